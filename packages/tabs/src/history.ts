/**
 * History stream bounds as hyperbee computes them (negative bounds count back from the version),
 * and how a live history stream is told to stop while it waits for a block.
 */
import type { HistoryOptions } from '@orchard/hyperbee'

/** How a live history stream is told to end while it waits for a block. */
export interface LiveStop {
  stopped: boolean
  wake: (() => void) | null
}

/** The first seq a history stream yields. */
export function historyGte(opts: HistoryOptions, version: number): number {
  if (opts.gt) return (opts.gt < 0 ? opts.gt + version : opts.gt) + 1
  const gte = opts.gte || opts.since || 1
  return gte < 0 ? gte + version : gte
}

/** The seq a history stream stops before. */
export function historyLt(opts: HistoryOptions, version: number): number {
  if (opts.lte === 0 || opts.lt === 0 || opts.end === 0) return 0
  if (opts.lte) return (opts.lte < 0 ? opts.lte + version : opts.lte) + 1
  const lt = opts.lt || opts.end || version
  return lt < 0 ? lt + version : lt
}
