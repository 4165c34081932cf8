/**
 * The bench harness: every suite measures ours against the real Holepunch package in the same run
 * and reports rows `{suite, metric, unit, ours, real, ratio}` (ratio = ours / real, higher is
 * better for ours). `--json` prints one JSON object per line; otherwise an aligned table.
 */

export interface Row {
  suite: string
  metric: string
  unit: string
  ours: number
  /** The real (native Holepunch) figure; null where the real stack has no equivalent. */
  real: number | null
  /** Extra figures for the same metric (e.g. the fallback path), printed beside the row. */
  extra?: Record<string, number>
}

export interface BenchContext {
  suite: string
  /** Print one row (JSON line or table line). */
  report(row: Omit<Row, 'suite'>): void
}

export type Suite = (ctx: BenchContext) => Promise<void>

export interface Timing {
  /** Operations per second over the timed window. */
  opsPerSec: number
  ops: number
  ms: number
}

/**
 * Runs `fn` (which performs `opsPerCall` operations per call) repeatedly for about `ms`
 * milliseconds after a warm-up, and returns the rate. Async functions are awaited.
 */
export async function measure(
  fn: () => unknown | Promise<unknown>,
  { opsPerCall = 1, ms = 800, warmupMs = 200 }: { opsPerCall?: number; ms?: number; warmupMs?: number } = {}
): Promise<Timing> {
  const run = async (budget: number) => {
    let calls = 0
    const start = performance.now()
    let now = start
    while (now - start < budget) {
      const r = fn()
      if (r instanceof Promise) await r
      calls++
      now = performance.now()
    }
    return { calls, elapsed: now - start }
  }
  await run(warmupMs)
  const { calls, elapsed } = await run(ms)
  const ops = calls * opsPerCall
  return { opsPerSec: (ops * 1000) / elapsed, ops, ms: elapsed }
}

/** A seeded xorshift32 generator of random u32s: the same sequence on every side of a bench. */
export function xorshift(seed: number): () => number {
  let x = seed
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return x >>> 0
  }
}

/** The median of `xs` (the mean of the middle two for an even count); `xs` is left as it was. */
export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((x, y) => x - y)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

export function formatRow(row: Row): string {
  const fmt = (n: number | null) =>
    n === null ? '—' : n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2)
  const ratio = row.real ? `${(row.ours / row.real).toFixed(2)}×` : '—'
  const extra = row.extra
    ? `  (${Object.entries(row.extra)
        .map(([k, v]) => `${k} ${fmt(v)}`)
        .join(', ')})`
    : ''
  return `${row.suite.padEnd(10)} ${row.metric.padEnd(44)} ${fmt(row.ours).padStart(14)} ${fmt(row.real).padStart(14)} ${ratio.padStart(8)}  ${row.unit}${extra}`
}

export function toJson(row: Row): string {
  return JSON.stringify({
    suite: row.suite,
    metric: row.metric,
    unit: row.unit,
    ours: row.ours,
    real: row.real,
    ratio: row.real ? row.ours / row.real : null,
    ...(row.extra ? { extra: row.extra } : {})
  })
}
