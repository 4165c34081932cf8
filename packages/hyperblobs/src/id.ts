/**
 * Blob ids and byte ranges: their shape, their validation, and how a `{ start, end, length }`
 * read range resolves against a blob. Ids arrive from elsewhere (a hyperdrive entry, a peer's
 * message), so every field is checked before it drives a read.
 */
import { BadArgumentError, InvalidBlobIdError, InvalidBlockMapError, InvalidRangeError } from './errors.ts'

/**
 * Where a blob lives in its core, as hyperblobs 2 returns it from `put`: blocks
 * `[blockOffset, blockOffset + blockLength)` holding bytes `[byteOffset, byteOffset + byteLength)`
 * of the core.
 *
 * With `blockMap: true` (blobs written with `blockMap` or `dedup`), the bounds are those of the
 * blob's *block map* — an index appended after the data that lists, in order, the blocks holding
 * the blob (which may be blocks of earlier blobs, when deduplicated).
 */
export interface BlobId {
  /** The blob's first block. */
  blockOffset: number
  /** The core's byte offset of the blob's first byte. */
  byteOffset: number
  /** How many blocks the blob (or its block map) takes. */
  blockLength: number
  /** How many bytes the blob (or its block map) takes. */
  byteLength: number
  /** Set when the bounds are those of a block map rather than of the data. */
  blockMap?: boolean
}

/** A byte range inside a blob, as hyperblobs takes it (`end` is inclusive; `length` wins over it). */
export interface RangeOptions {
  /** First byte, relative to the blob (default 0). */
  start?: number
  /** Last byte, inclusive, relative to the blob (default: the blob's last byte). */
  end?: number
  /** How many bytes from `start` (instead of `end`). */
  length?: number
}

/** A half-open byte range `[start, end)` relative to a blob. */
export interface ByteRange {
  /** First byte. */
  start: number
  /** End (exclusive). */
  end: number
}

/** The largest block map hyperblobs reads: 64 blocks of 8192 entries. */
export const MAX_BLOCK_MAP_BLOCKS = 64

/** Throws {@link InvalidBlobIdError} unless `id` is a well-formed blob id. */
export function validateId(id: unknown): asserts id is BlobId {
  if (typeof id !== 'object' || id === null) throw new InvalidBlobIdError('a blob id must be an object')
  const o = id as Record<string, unknown>
  for (const field of ['blockOffset', 'byteOffset', 'blockLength', 'byteLength'] as const) {
    const v = o[field]
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      throw new InvalidBlobIdError(`${field} must be a non-negative safe integer, got ${String(v)}`)
    }
  }
  const b = id as BlobId
  if (
    !Number.isSafeInteger(b.blockOffset + b.blockLength) ||
    !Number.isSafeInteger(b.byteOffset + b.byteLength)
  ) {
    throw new InvalidBlobIdError('the blob ends past 2^53')
  }
  // bytes need blocks to live in (the converse is fine: a blob may be made of empty blocks)
  if (b.blockLength === 0 && b.byteLength > 0) {
    throw new InvalidBlobIdError(`${b.byteLength} bytes in 0 blocks`)
  }
  if (b.blockMap && b.blockLength > MAX_BLOCK_MAP_BLOCKS) {
    throw new InvalidBlockMapError(`Block map is too large: ${b.blockLength} blocks`)
  }
}

/** Whether a read of `id` with `opts` is the whole blob (hyperblobs reads those block by block in parallel). */
export function isWholeBlob(id: BlobId, opts: (RangeOptions & { core?: unknown }) | undefined): boolean {
  if (id.blockMap) return false
  if (!opts) return true
  // as hyperblobs: `start: 0` still reads the whole blob; any `length` or `end` does not
  if (opts.start) return false
  if (isSet(opts.length) || isSet(opts.end)) return false
  return !opts.core
}

/**
 * The half-open byte range `[start, end)` (relative to a blob of `total` bytes) that `opts`
 * selects; throws {@link InvalidRangeError} if it is malformed or leaves the blob.
 */
export function resolveRange(total: number, opts: RangeOptions = {}): ByteRange {
  const start = isSet(opts.start) ? bound('start', opts.start) : 0
  if (start > total) throw new InvalidRangeError(`start ${start} is past the blob's ${total} bytes`)
  let end = total
  if (isSet(opts.length)) {
    end = start + bound('length', opts.length)
    if (end > total) {
      throw new InvalidRangeError(`start ${start} + length ${opts.length} is past the blob's ${total} bytes`)
    }
  } else if (isSet(opts.end)) {
    const last = opts.end
    // `end` is inclusive: `end: start - 1` is the empty range, anything before it is a mistake
    if (typeof last !== 'number' || !Number.isSafeInteger(last) || last < start - 1) {
      throw new InvalidRangeError(`end must be an integer from start - 1 (${start - 1}), got ${String(last)}`)
    }
    if (last >= total) throw new InvalidRangeError(`end ${last} is past the blob's last byte ${total - 1}`)
    end = last + 1
  }
  return { start, end }
}

/** Throws {@link BadArgumentError} unless `n` is a positive safe integer (a block size). */
export function checkBlockSize(n: unknown): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n <= 0) {
    throw new BadArgumentError(`blockSize must be a positive integer, got ${String(n)}`)
  }
  return n
}

function bound(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new InvalidRangeError(`${name} must be a non-negative integer, got ${String(v)}`)
  }
  return v
}

function isSet(v: unknown): boolean {
  return v !== undefined && v !== null
}
