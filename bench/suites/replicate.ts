/**
 * `pnpm bench replicate`: full replication of N × 1 KiB blocks over an in-memory pipe, for
 * ours ⇄ ours, ours → real, real → ours and real ⇄ real, in one run. Each pair gets a fresh writer
 * (in memory for ours, on its default storage for the real one) and reader; the clock runs from
 * connecting to the reader holding every block. Reported as blocks/s (MB/s beside); `real` is
 * real ⇄ real.
 *
 * Then into a browser: one Node writer (ours, file storage) of 1 024 × 64 KiB served over a
 * loopback WebSocket, downloaded whole by a headless Chromium tab on IndexedDB, by a dedicated
 * worker of that tab on OPFS, and by a Node reader (ours, file storage, own process) in the same
 * run (`bench/replicate/tab-vs-node.ts`), in MB/s; the clock runs from attaching the stream to the
 * reader's contiguous length reaching the writer's. The real stack has no tab, so `real` is null
 * there.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import RealSecretStream from '@hyperswarm/secret-stream'
import { Hypercore } from '@orchard/hypercore'
import { openMemoryStorage } from '@orchard/storage'
import { type Duplex, memoryPair } from '@orchard/wire'
import RealHypercore from 'hypercore'
import { Duplex as StreamxDuplex } from 'streamx'
import type { BenchContext } from '../harness.ts'
import { measureTabVsNode } from '../replicate/tab-vs-node.ts'

const BLOCKS = 20_000
const SIZE = 1024
/** The core replicated into a tab and into Node: 64 MiB in 64 KiB blocks. */
const TAB_BLOCKS = 1024
const TAB_BLOCK_SIZE = 64 * 1024

type Kind = 'ours' | 'real'
// biome-ignore lint/suspicious/noExplicitAny: the real hypercore is untyped
type AnyCore = any

let root = ''
let n = 0

function toStreamx(d: Duplex) {
  const sx = new StreamxDuplex({
    write(data: Uint8Array, cb: (err?: Error | null) => void) {
      d.write(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
      cb(null)
    },
    predestroy() {
      d.destroy()
    }
  })
  d.on('data', (chunk) => sx.push(chunk))
  d.on('close', () => sx.destroy())
  return sx
}

async function make(kind: Kind, key?: Uint8Array): Promise<AnyCore> {
  const core =
    kind === 'ours'
      ? key
        ? new Hypercore(openMemoryStorage(), key)
        : new Hypercore(openMemoryStorage())
      : new RealHypercore(join(root, `r${++n}`), key ? Buffer.from(key) : undefined)
  await core.ready()
  return core
}

function side(core: AnyCore, kind: Kind, isInitiator: boolean, raw: Duplex): { destroy(): void } {
  if (kind === 'ours') return core.replicate(isInitiator, { stream: raw, keepAlive: 0 })
  const noise = new RealSecretStream(isInitiator, toStreamx(raw))
  core.replicate(noise, { keepAlive: false })
  return noise
}

async function run(w: Kind, r: Kind): Promise<number> {
  const writer = await make(w)
  const data = Array.from({ length: 1000 }, (_, i) => new Uint8Array(SIZE).fill(i & 0xff))
  for (let i = 0; i < BLOCKS; i += 1000) {
    await writer.append(w === 'real' ? data.map((b) => Buffer.from(b)) : data)
  }
  const reader = await make(r, new Uint8Array(writer.key))
  const [x, y] = memoryPair()
  const start = performance.now()
  const a = side(writer, w, true, x)
  const b = side(reader, r, false, y)
  while (reader.length < BLOCKS) await new Promise((res) => setTimeout(res, 1))
  await reader.download({ start: 0, end: BLOCKS }).done()
  const ms = performance.now() - start
  a.destroy()
  b.destroy()
  await writer.close()
  await reader.close()
  return (BLOCKS * 1000) / ms
}

export default async function replicate(ctx: BenchContext): Promise<void> {
  root = mkdtempSync(join(tmpdir(), 'orchard-bench-repl-'))
  try {
    const pairs: Array<[Kind, Kind]> = [
      ['real', 'real'],
      ['ours', 'ours'],
      ['ours', 'real'],
      ['real', 'ours']
    ]
    const rates = new Map<string, number>()
    // a round not counted (JIT tiers, libsodium and the WASM kernel warming up — ours took two
    // runs to reach its steady rate), then three rounds, best of each: this VM's timings swing by
    // a quarter from run to run
    for (let round = 0; round < 4; round++) {
      for (const [w, r] of pairs) {
        const rate = await run(w, r)
        const key = `${w}→${r}`
        if (round > 0) rates.set(key, Math.max(rates.get(key) ?? 0, rate))
      }
    }
    const real = rates.get('real→real')!
    for (const [w, r] of pairs) {
      const rate = rates.get(`${w}→${r}`)!
      ctx.report({
        metric: `full replication ${w} → ${r} (${BLOCKS} × 1 KiB)`,
        unit: 'blocks/s',
        ours: rate,
        real,
        extra: { 'MB/s': (rate * SIZE) / 1e6 }
      })
    }
    const { tab, worker, node } = await measureTabVsNode(root, TAB_BLOCKS, TAB_BLOCK_SIZE, 3)
    const size = `${TAB_BLOCKS} × 64 KiB`
    ctx.report({
      metric: `Node → tab (IDB) over WebSocket (${size})`,
      unit: 'MB/s',
      ours: tab,
      real: null,
      extra: { 'Node → Node MB/s': node, 'tab / Node': tab / node }
    })
    ctx.report({
      metric: `Node → tab worker (OPFS) over WebSocket (${size})`,
      unit: 'MB/s',
      ours: worker,
      real: null,
      extra: { 'Node → Node MB/s': node, 'worker / Node': worker / node }
    })
    ctx.report({
      metric: `Node → Node (file) over WebSocket (${size})`,
      unit: 'MB/s',
      ours: node,
      real: null
    })
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}
