/**
 * The storage bench workloads, shared by every adapter (and by the RocksDB reference through a
 * thin shim): appends of 1 KiB blocks one per batch and 100 per batch, random point gets,
 * random 100-key multi-gets and an ordered scan. Runs in Node and, bundled, in Chromium.
 */
import type { BatchOp, Storage } from '@orchard/storage'
import { xorshift } from '../harness.ts'

/** What a workload needs from a store. */
export interface BenchTarget {
  /** Writes blocks `start..start+values.length` in one atomic batch. */
  append(start: number, values: Uint8Array[]): Promise<void>
  get(index: number): Promise<Uint8Array | null>
  getMany(indexes: number[]): Promise<(Uint8Array | null)[]>
  /** Reads `count` blocks in order from `start`; returns how many came back. */
  scan?(start: number, count: number): Promise<number>
}

export interface WorkloadResult {
  metric: string
  opsPerSec: number
  mbPerSec: number
}

export type Measure = (
  fn: () => unknown | Promise<unknown>,
  opts: { opsPerCall?: number; ms?: number; warmupMs?: number }
) => Promise<{ opsPerSec: number }>

export const BLOCK = 1024
export const PREFILL = 20_000

/**
 * Hypercore's block key: a 4-byte core id, then the block index as a big-endian u64 (12 bytes, the
 * shape the IndexedDB adapter packs).
 */
export function blockKey(index: number): Uint8Array {
  return new Uint8Array([
    0,
    0,
    0,
    1,
    0,
    0,
    0,
    0,
    index >>> 24,
    (index >>> 16) & 0xff,
    (index >>> 8) & 0xff,
    index & 0xff
  ])
}

/** The bench target for one of our storages. */
export function storageTarget(st: Storage): BenchTarget {
  return {
    append(start, values) {
      const ops: BatchOp[] = new Array(values.length)
      for (let i = 0; i < values.length; i++) {
        ops[i] = { type: 'put', store: 'blocks', key: blockKey(start + i), value: values[i]! }
      }
      return st.write(ops)
    },
    get: (index) => st.get('blocks', blockKey(index)),
    getMany: (indexes) => st.getMany('blocks', indexes.map(blockKey)),
    async scan(start, count) {
      let n = 0
      for await (const _ of st.range('blocks', { gte: blockKey(start), limit: count })) n++
      return n
    }
  }
}

/** A store under test, with what to do (untimed) before each of its timed windows. */
export interface NamedTarget {
  name: string
  target: BenchTarget
  settle?: () => Promise<void>
}

/**
 * Runs the workloads on fresh targets side by side: each workload is timed in `rounds` windows
 * of `budgetMs` per target, the targets taking turns window by window (so a disk that slows down
 * as the run writes more slows every target alike), and each target's best window counts.
 * `settle` runs untimed before every window (file stores flush their dirty pages there, so one
 * window's writeback does not throttle the next). Appends grow the stores; gets read the first
 * {@link PREFILL} blocks. Returns the results per target name.
 */
export async function runWorkloads(
  all: NamedTarget[],
  measure: Measure,
  { budgetMs = 250, rounds = 3 }: { budgetMs?: number; rounds?: number } = {}
): Promise<Map<string, WorkloadResult[]>> {
  const results = new Map<string, WorkloadResult[]>(all.map((t) => [t.name, []]))
  const value = new Uint8Array(BLOCK)
  for (let i = 0; i < BLOCK; i++) value[i] = i & 0xff
  const mb = (ops: number) => (ops * BLOCK) / (1024 * 1024)
  const best = async (
    metric: string,
    make: (t: BenchTarget) => () => unknown | Promise<unknown>,
    opsPerCall = 1,
    targets = all
  ) => {
    const top = new Map<string, number>()
    const fns = targets.map((t) => make(t.target))
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < targets.length; i++) {
        const t = targets[i]!
        await t.settle?.()
        const { opsPerSec } = await measure(fns[i]!, { opsPerCall, ms: budgetMs, warmupMs: 50 })
        top.set(t.name, Math.max(top.get(t.name) ?? 0, opsPerSec))
      }
    }
    for (const t of targets) {
      const ops = top.get(t.name)!
      results.get(t.name)!.push({ metric, opsPerSec: ops, mbPerSec: mb(ops) })
    }
  }

  // Prefill in batches of 1000 so the read workloads have something to read.
  const thousand = new Array<Uint8Array>(1000).fill(value)
  for (const { target } of all) for (let i = 0; i < PREFILL; i += 1000) await target.append(i, thousand)

  const one = [value]
  await best('append 1 KiB, 1 per batch', (target) => {
    let next = PREFILL
    return () => target.append(next++, one)
  })

  const hundred = new Array<Uint8Array>(100).fill(value)
  await best(
    'append 1 KiB, 100 per batch',
    (target) => {
      // Past anything the single appends could have reached.
      let next = 1 << 28
      return () => {
        const p = target.append(next, hundred)
        next += 100
        return p
      }
    },
    100
  )

  await best('random get 1 KiB', (target) => {
    const rand = xorshift(0x9e3779b9)
    return () => target.get(rand() % PREFILL)
  })

  await best(
    'random getMany 100 × 1 KiB',
    (target) => {
      const rand = xorshift(0x85ebca6b)
      const keys = new Array<number>(100)
      return () => {
        for (let i = 0; i < 100; i++) keys[i] = rand() % PREFILL
        return target.getMany(keys)
      }
    },
    100
  )

  await best(
    'ordered scan 1 KiB',
    (target) => {
      const rand = xorshift(0xc2b2ae35)
      return () => target.scan!(rand() % (PREFILL - 1000), 1000)
    },
    1000,
    all.filter((t) => t.target.scan)
  )
  return results
}
