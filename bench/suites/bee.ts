/**
 * `pnpm bench bee`: hyperbee, ours (on our file storage adapter) vs the real hyperbee 2.27.3 on the
 * real hypercore 11 (RocksDB), in one run: single puts, puts in batches of 1 000, random gets over
 * 10 000 keys, and range scans of 1 000 keys. Same keys and values; alternating windows.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ready } from '@orchard/crypto'
import { Hypercore } from '@orchard/hypercore'
import { openFileStorage } from '@orchard/storage/fs'
import { Hyperbee } from '../../packages/hyperbee/src/index.ts'
import { type BenchContext, measure } from '../harness.ts'

// the real packages come from the hyperbee package's devDependencies (bench/package.json lists neither)
const here = dirname(fileURLToPath(import.meta.url))
const beeRequire = createRequire(join(here, '../../packages/hyperbee/package.json'))
const RealHyperbee = beeRequire('hyperbee')
const RealHypercore = beeRequire('hypercore')

interface Target {
  put(key: string, value: string): Promise<unknown>
  putBatch(entries: Array<[string, string]>): Promise<unknown>
  get(key: string): Promise<unknown>
  scan(gte: string, limit: number): Promise<number>
  close(): Promise<void>
}

const enc = { keyEncoding: 'utf-8', valueEncoding: 'utf-8' } as const

function wrap(bee: {
  put(k: string, v: string): Promise<unknown>
  batch(): { put(k: string, v: string): Promise<unknown>; flush(): Promise<unknown> }
  get(k: string): Promise<unknown>
  createReadStream(r: object): AsyncIterable<unknown>
  close(): Promise<void>
}): Target {
  return {
    put: (k, v) => bee.put(k, v),
    async putBatch(entries) {
      const b = bee.batch()
      for (const [k, v] of entries) await b.put(k, v)
      await b.flush()
    },
    get: (k) => bee.get(k),
    async scan(gte, limit) {
      let n = 0
      for await (const _ of bee.createReadStream({ gte, limit })) n++
      return n
    },
    close: () => bee.close()
  }
}

async function ours(dir: string): Promise<Target> {
  const bee = new Hyperbee<string, string>(new Hypercore(await openFileStorage(dir)), enc)
  await bee.ready()
  return wrap(bee)
}

async function real(dir: string): Promise<Target> {
  const bee = new RealHyperbee(new RealHypercore(dir), { ...enc, extension: false })
  await bee.ready()
  return wrap(bee)
}

const key = (i: number) => `key-${String(i).padStart(8, '0')}`
const value = (i: number) => `value-${i}-${'x'.repeat(90)}`

export default async function bee(ctx: BenchContext): Promise<void> {
  await ready()
  const root = mkdtempSync(join(tmpdir(), 'orchard-bench-bee-'))
  try {
    const targets = { ours: await ours(join(root, 'ours')), real: await real(join(root, 'real')) }
    const rates: Record<string, Record<string, number>> = { ours: {}, real: {} }
    const counters = { ours: 1_000_000, real: 1_000_000 }
    // 10 000 keys to read from
    for (const t of Object.values(targets)) {
      for (let i = 0; i < 10_000; i += 1000) {
        await t.putBatch(
          Array.from({ length: 1000 }, (_, k) => [key(i + k), value(i + k)] as [string, string])
        )
      }
    }
    const run = async (
      metric: string,
      fn: (t: Target, name: 'ours' | 'real') => () => Promise<unknown>,
      opsPerCall = 1
    ) => {
      for (let round = 0; round < 2; round++) {
        for (const name of ['real', 'ours'] as const) {
          const r = await measure(fn(targets[name], name), { opsPerCall, ms: 1500, warmupMs: 300 })
          rates[name]![metric] = Math.max(rates[name]![metric] ?? 0, r.opsPerSec)
        }
      }
    }
    await run('get (random of 10 000 keys)', (t) => () => t.get(key(Math.floor(Math.random() * 10_000))))
    await run(
      'range scan of 1 000 keys (keys/s)',
      (t) => async () => {
        const n = await t.scan(key(Math.floor(Math.random() * 9000)), 1000)
        if (n !== 1000) throw new Error(`scan returned ${n}`)
      },
      1000
    )
    await run('put (single)', (t, name) => () => {
      const i = counters[name]++
      return t.put(key(i), value(i))
    })
    await run(
      'put batched (1 000 per batch, keys/s)',
      (t, name) => () => {
        const start = counters[name]
        counters[name] += 1000
        return t.putBatch(
          Array.from({ length: 1000 }, (_, k) => [key(start + k), value(start + k)] as [string, string])
        )
      },
      1000
    )
    for (const metric of Object.keys(rates.ours!)) {
      ctx.report({
        metric,
        unit: metric.includes('keys/s') ? 'keys/s' : 'ops/s',
        ours: rates.ours![metric]!,
        real: rates.real![metric]!
      })
    }
    await targets.ours.close()
    await targets.real.close()
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}
