/**
 * `pnpm bench corestore`: our Corestore on the file adapter vs the real corestore 7 on its default
 * storage (RocksDB), in one run:
 * - opening 1 000 named cores in a fresh store (all `get({ name })`s at once, until every one is
 *   ready), in cores/s;
 * - replicating 100 cores (10 × 1 KiB blocks each) from a writer store to a reader store on one
 *   stream, until the reader holds every block, in cores/s.
 * Ours runs ours against ours over an in-memory pipe; the real one runs real against real.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ready } from '@orchard/crypto'
import { openFileStorage } from '@orchard/storage/fs'
import { Corestore } from '../../packages/corestore/src/index.ts'
import type { BenchContext } from '../harness.ts'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(join(here, '../../packages/corestore/package.json'))
// biome-ignore lint/suspicious/noExplicitAny: the real corestore is untyped
const RealCorestore: any = require('corestore')

const OPEN = 1000
const REPLICATED = 100
const BLOCKS = 10

interface Side {
  // biome-ignore lint/suspicious/noExplicitAny: ours and the real store share this shape
  make(dir: string): any
  bytes(b: Uint8Array): Uint8Array
}

const sides: Record<'ours' | 'real', Side> = {
  ours: { make: (dir) => new Corestore(openFileStorage(dir)), bytes: (b) => b },
  real: { make: (dir) => new RealCorestore(dir), bytes: (b) => Buffer.from(b) }
}

async function openMany(side: Side, dir: string): Promise<number> {
  const store = side.make(dir)
  await store.ready()
  const start = performance.now()
  const cores = Array.from({ length: OPEN }, (_, i) => store.get({ name: `core-${i}` }))
  await Promise.all(cores.map((c) => c.ready()))
  const ms = performance.now() - start
  await store.close()
  return (OPEN * 1000) / ms
}

async function replicateMany(side: Side, dir: string): Promise<number> {
  const writer = side.make(join(dir, 'w'))
  const reader = side.make(join(dir, 'r'))
  const keys: Uint8Array[] = []
  const payload = Array.from({ length: BLOCKS }, (_, i) => side.bytes(new Uint8Array(1024).fill(i)))
  for (let c = 0; c < REPLICATED; c++) {
    const core = writer.get({ name: `core-${c}` })
    await core.append(payload)
    keys.push(core.key)
  }
  await reader.ready()
  const start = performance.now()
  const s1 = reader.replicate(true)
  const s2 = writer.replicate(false)
  s1.pipe(s2).pipe(s1)
  const clones = keys.map((key) => reader.get({ key }))
  await Promise.all(
    clones.map(async (clone) => {
      await clone.ready()
      for (let i = 0; i < BLOCKS; i++) await clone.get(i, { timeout: 30_000 })
    })
  )
  const ms = performance.now() - start
  s1.destroy()
  s2.destroy()
  await reader.close()
  await writer.close()
  return (REPLICATED * 1000) / ms
}

export default async function corestore(ctx: BenchContext): Promise<void> {
  await ready()
  const root = mkdtempSync(join(tmpdir(), 'orchard-bench-corestore-'))
  let n = 0
  const fresh = () => join(root, `${++n}`)
  try {
    const best = { open: { ours: 0, real: 0 }, replicate: { ours: 0, real: 0 } }
    // alternate rounds so both see the same machine state; keep the better of two each
    for (let round = 0; round < 2; round++) {
      for (const name of ['real', 'ours'] as const) {
        best.open[name] = Math.max(best.open[name], await openMany(sides[name], fresh()))
        best.replicate[name] = Math.max(best.replicate[name], await replicateMany(sides[name], fresh()))
      }
    }
    ctx.report({ metric: `open ${OPEN} named cores`, unit: 'cores/s', ...best.open })
    ctx.report({
      metric: `replicate ${REPLICATED} cores × ${BLOCKS} KiB, one stream`,
      unit: 'cores/s',
      ...best.replicate
    })
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}
