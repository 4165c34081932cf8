/**
 * Range bounds: encoding `gt`/`gte`/`lt`/`lte` with the key encoding, a sub's default bounds (its
 * whole prefix), and the prefix codec a sub wraps its key encoding in — all as hyperbee 2 does.
 */
import { concat } from './bytes.ts'
import { type Codec, type Encoding, encodeWith } from './encodings.ts'
import { BadArgumentError } from './errors.ts'

/** The options of range reads (`createReadStream`, `peek`, diffs). */
export interface RangeOptions {
  /** Only keys after this one. */
  gt?: unknown
  /** Only keys from this one on. */
  gte?: unknown
  /** Only keys before this one. */
  lt?: unknown
  /** Only keys up to and including this one. */
  lte?: unknown
  /** Descending key order. */
  reverse?: boolean
  /** At most this many entries (-1 or absent: no limit). */
  limit?: number
  /** Key encoding for this read (overrides the bee's). */
  keyEncoding?: Encoding
  /** Value encoding for this read (overrides the bee's). */
  valueEncoding?: Encoding
}

/** Encoded bounds. */
export interface EncodedRange {
  gt: Uint8Array | null
  gte: Uint8Array | null
  lt: Uint8Array | null
  lte: Uint8Array | null
  reverse: boolean
  limit: number
}

const SEP = new Uint8Array(1)
const EMPTY = new Uint8Array(0)

/** Checks a `limit` option: absent, or a number that is not NaN. */
export function checkLimit(limit: unknown): number {
  if (limit === undefined || limit === null) return -1
  if (typeof limit !== 'number' || Number.isNaN(limit)) throw new BadArgumentError('limit must be a number')
  return limit
}

/** Encodes a range with the key codec; a sub without bounds gets its prefix as the range. */
export function encodeRange(codec: Codec | null, opts: RangeOptions, sub: boolean): EncodedRange {
  const out: EncodedRange = {
    gt: null,
    gte: null,
    lt: null,
    lte: null,
    reverse: !!opts.reverse,
    limit: checkLimit(opts.limit)
  }
  if (codec?.encodeRange) {
    const r = codec.encodeRange({ gt: opts.gt, gte: opts.gte, lt: opts.lt, lte: opts.lte })
    out.gt = r.gt ?? null
    out.gte = r.gte ?? null
    out.lt = r.lt ?? null
    out.lte = r.lte ?? null
    return out
  }
  out.gt = encodeWith(codec, opts.gt, 'range bound')
  out.gte = encodeWith(codec, opts.gte, 'range bound')
  out.lt = encodeWith(codec, opts.lt, 'range bound')
  out.lte = encodeWith(codec, opts.lte, 'range bound')
  if (codec && sub && !out.gt && !out.gte) out.gt = encodeWith(codec, SEP)
  if (codec && sub && !out.lt && !out.lte) {
    const end = encodeWith(codec, EMPTY)!.slice()
    if (end.byteLength) end[end.byteLength - 1]!++
    out.lt = end
  }
  return out
}

/**
 * The key codec of a sub: `prefix` + the key encoded with `inner` (a byte key is taken as is), and
 * the prefix cut off when decoding.
 */
export function prefixEncoding(prefix: Uint8Array, inner: Codec | null): Codec {
  return {
    name: 'prefixed',
    encode(key: unknown) {
      const k = key instanceof Uint8Array ? key : encodeWith(inner, key, 'key')
      if (k === null) throw new BadArgumentError('a key is required')
      return concat([prefix, k])
    },
    decode(key: Uint8Array) {
      const sliced = key.subarray(prefix.byteLength)
      return inner ? inner.decode(sliced) : sliced
    }
  }
}
