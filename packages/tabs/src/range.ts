/**
 * Range bounds as a shared bee sends them to the owner: encoded in the tab with the read's key
 * codec, and — for a sub without bounds — its whole prefix, as hyperbee's `encodeRange` does.
 */
import { BadArgumentError, type Codec, type RangeOptions } from '@orchard/hyperbee'
import { encodeWith } from './codec.ts'
import type { WireRange } from './protocol.ts'

const SEP = new Uint8Array(1)
const EMPTY = new Uint8Array(0)

/** `range` encoded with `keyCodec`; `sub`: the bee is a sub (bounds default to its prefix). */
export function encodeRange(range: RangeOptions, keyCodec: Codec | null, sub: boolean): WireRange {
  const limit = range.limit
  if (limit !== undefined && limit !== null && (typeof limit !== 'number' || Number.isNaN(limit)))
    throw new BadArgumentError('limit must be a number')
  const out: WireRange = {
    gt: null,
    gte: null,
    lt: null,
    lte: null,
    reverse: !!range.reverse,
    limit: limit ?? -1
  }
  if (keyCodec?.encodeRange) {
    const r = keyCodec.encodeRange({ gt: range.gt, gte: range.gte, lt: range.lt, lte: range.lte })
    for (const k of ['gt', 'gte', 'lt', 'lte'] as const) out[k] = r[k] ? (r[k] as Uint8Array).slice() : null
    return out
  }
  for (const k of ['gt', 'gte', 'lt', 'lte'] as const) out[k] = encodeWith(keyCodec, range[k], 'range bound')
  // a sub's stream without bounds covers its prefix (hyperbee's bounds: after prefix + 0x00, before
  // the prefix with its last byte raised)
  if (keyCodec && sub && !out.gt && !out.gte) out.gt = encodeWith(keyCodec, SEP, 'range bound')
  if (keyCodec && sub && !out.lt && !out.lte) {
    const end = encodeWith(keyCodec, EMPTY, 'range bound')!
    if (end.byteLength) end[end.byteLength - 1]!++
    out.lt = end
  }
  return out
}
