/**
 * The history of a bee: its blocks in write order (or newest first), each as a `put` or `del`,
 * optionally following new writes (`live`).
 */
import type { Batch } from '../batch.ts'
import { InvalidOperationError } from '../errors.ts'
import { checkLimit } from '../range.ts'
import type { BlockEntry, EntryEncoding } from '../tree.ts'

/** Options of `createHistoryStream`: seq bounds (negative counts back from the version). */
export interface HistoryOptions {
  /** Only blocks after this seq. */
  gt?: number
  /** Only blocks from this seq on. */
  gte?: number
  /** Only blocks before this seq. */
  lt?: number
  /** Only blocks up to and including this seq. */
  lte?: number
  /** Alias of `gte`. */
  since?: number
  /** Alias of `lt`. */
  end?: number
  /** Newest block first. */
  reverse?: boolean
  /** Keep following new blocks (not with `reverse`). */
  live?: boolean
  /** At most this many entries (-1 or absent: no limit). */
  limit?: number
}

/** One history entry. */
export interface HistoryEntry<K = unknown, V = unknown> {
  /** Whether the block wrote the key or deleted it. */
  type: 'put' | 'del'
  /** The block. */
  seq: number
  /** The key written or deleted. */
  key: K
  /** The value written (null for a delete). */
  value: V | null
}

/** An iterator over the blocks of a bee. */
export class HistoryIterator {
  readonly batch: Batch
  readonly options: HistoryOptions
  readonly live: boolean
  readonly reverse: boolean
  readonly encoding: EntryEncoding
  gte = 0
  lt = 0
  limit: number

  constructor(batch: Batch, opts: HistoryOptions = {}) {
    this.batch = batch
    this.options = opts
    this.live = !!opts.live
    this.reverse = !!opts.reverse
    this.limit = checkLimit(opts.limit)
    this.encoding = batch.encoding
    if (this.live && this.reverse)
      throw new InvalidOperationError('Cannot have both live and reverse enabled')
    for (const k of ['gt', 'gte', 'lt', 'lte', 'since', 'end'] as const) {
      const v = opts[k]
      if (v !== undefined && v !== null && !Number.isSafeInteger(v)) {
        throw new InvalidOperationError(`history option ${k} must be an integer`)
      }
    }
  }

  /** Fixes the bounds at the current version. */
  async open(): Promise<void> {
    await this.batch.getRoot(false)
    this.gte = Math.max(1, gteOf(this.options, this.batch.version))
    this.lt = this.live ? Number.POSITIVE_INFINITY : ltOf(this.options, this.batch.version)
  }

  /** The next entry, or null at the end. */
  async next(): Promise<HistoryEntry | null> {
    if (this.limit === 0) return null
    if (this.limit > 0) this.limit--
    if (this.gte >= this.lt) return null
    if (this.reverse) {
      if (this.lt <= 1) return null
      return final(await this.batch.getBlock(--this.lt), this.encoding)
    }
    return final(await this.batch.getBlock(this.gte++), this.encoding)
  }

  close(): Promise<void> {
    return this.batch.closeSnapshot()
  }
}

function final(block: BlockEntry, encoding: EntryEncoding): HistoryEntry {
  const type = block.isDeletion() ? 'del' : 'put'
  return { type, ...block.final(encoding) }
}

function gteOf(opts: HistoryOptions, version: number): number {
  if (opts.gt) return (opts.gt < 0 ? opts.gt + version : opts.gt) + 1
  const gte = opts.gte || opts.since || 1
  return gte < 0 ? gte + version : gte
}

function ltOf(opts: HistoryOptions, version: number): number {
  if (opts.lte === 0 || opts.lt === 0 || opts.end === 0) return 0
  if (opts.lte) return (opts.lte < 0 ? opts.lte + version : opts.lte) + 1
  const lt = opts.lt || opts.end || version
  return lt < 0 ? lt + version : lt
}
