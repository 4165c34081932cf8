/**
 * Key and value encodings, as hyperbee resolves them through `codecs`: `'binary'` (the default),
 * `'utf-8'`/`'utf8'`, `'json'`, `'ndjson'`, `'ascii'`, `'hex'`, `'base64'`, any `{ encode, decode }`
 * object, or a compact-encoding codec (`preencode`/`encode`/`decode` on a state).
 */
import { BadArgumentError, DecodingError } from './errors.ts'

/** A codec for keys or values. */
export interface Codec<T = unknown> {
  /** The bytes of `value`. */
  encode(value: T): Uint8Array
  /** The value of `bytes`. */
  decode(bytes: Uint8Array): T
  /** Optional: encodes a whole range at once (as `sub-encoder` does). */
  encodeRange?(range: RangeBounds<T>): RangeBounds<Uint8Array>
  /** A name for the codec (informational). */
  readonly name?: string
}

/** Range bounds as iterators take them. */
export interface RangeBounds<K> {
  /** Lower bound, exclusive. */
  gt?: K | null
  /** Lower bound, inclusive. */
  gte?: K | null
  /** Upper bound, exclusive. */
  lt?: K | null
  /** Upper bound, inclusive. */
  lte?: K | null
}

/** A compact-encoding-shaped codec (`@orchard/codec` or the `compact-encoding` package). */
export interface CompactCodec<T = unknown> {
  /** Adds the encoded size of `value` to `state.end`. */
  preencode(state: CompactState, value: T): void
  /** Writes `value` into `state.buffer` at `state.start`, advancing it. */
  encode(state: CompactState, value: T): void
  /** Reads a value from `state.buffer` at `state.start`, advancing it. */
  decode(state: CompactState): T
}

/** The state compact-encoding codecs work on. */
export interface CompactState {
  /** The read or write position. */
  start: number
  /** The end of the data (while preencoding: the size so far). */
  end: number
  /** The bytes read or written. */
  buffer: Uint8Array
  /** Scratch space some codecs keep between preencode and encode. */
  cache?: unknown
}

/** What `keyEncoding`/`valueEncoding` options accept. */
export type Encoding =
  | 'binary'
  | 'utf-8'
  | 'utf8'
  | 'json'
  | 'ndjson'
  | 'ascii'
  | 'hex'
  | 'base64'
  // biome-ignore lint/suspicious/noExplicitAny: user codecs are of any type
  | Codec<any>
  // biome-ignore lint/suspicious/noExplicitAny: user codecs are of any type
  | CompactCodec<any>

const utf8Encoder = new TextEncoder()
const utf8Decoder = new TextDecoder()

/** UTF-8 bytes of a string. */
export function utf8(s: string): Uint8Array {
  return utf8Encoder.encode(s)
}

/** Strings up to this many UTF-16 units are encoded into the shared pool. */
const POOLED_MAX = 1024
const POOL_SIZE = 16384
/** Strings up to this long are encoded by a loop here, longer ones by `TextEncoder.encodeInto`. */
const SHORT = 24
let pool = new Uint8Array(POOL_SIZE)
let poolOffset = 0

/**
 * UTF-8 bytes of a string, for the bee's own use: short strings are written into a shared pool and
 * returned as views of it (as `Buffer.from` does), which saves a small allocation per key and value
 * on the write path. The views are never written to; longer strings get their own array.
 */
function utf8Pooled(s: string): Uint8Array {
  const n = s.length
  if (n > POOLED_MAX) return utf8Encoder.encode(s)
  if (poolOffset + 3 * n > POOL_SIZE) {
    pool = new Uint8Array(POOL_SIZE)
    poolOffset = 0
  }
  const start = poolOffset
  const buf = pool
  if (n <= SHORT) {
    // short strings: a plain loop beats the call into the platform encoder
    let i = 0
    for (; i < n; i++) {
      const c = s.charCodeAt(i)
      if (c >= 0x80) break
      buf[start + i] = c
    }
    if (i === n) {
      poolOffset = start + n
      return buf.subarray(start, poolOffset)
    }
  }
  // at most 3 bytes per UTF-16 unit (a surrogate pair: 4 bytes for 2 units)
  const { written } = utf8Encoder.encodeInto(s, buf.subarray(start, start + 3 * n))
  poolOffset = start + written
  return buf.subarray(start, poolOffset)
}

function toBytes(v: unknown, what: string): Uint8Array {
  if (v instanceof Uint8Array) return v
  if (typeof v === 'string') return utf8Pooled(v)
  throw new BadArgumentError(`${what} must be a Uint8Array or a string`)
}

const binary: Codec<Uint8Array | string> = {
  name: 'binary',
  encode: (v) => toBytes(v, 'binary value'),
  decode: (b) => b
}

const utf8Codec: Codec<string> = {
  name: 'utf-8',
  encode: (v) => utf8Encoder.encode(typeof v === 'string' ? v : String(v)),
  decode: (b) => utf8Decoder.decode(b)
}

function jsonCodec(newline: boolean): Codec<unknown> {
  return {
    name: newline ? 'ndjson' : 'json',
    encode(v) {
      const text = JSON.stringify(v)
      if (text === undefined) throw new BadArgumentError('value has no JSON form')
      return utf8Encoder.encode(newline ? `${text}\n` : text)
    },
    decode(b) {
      try {
        return JSON.parse(utf8Decoder.decode(b))
      } catch (err) {
        throw new DecodingError('value is not valid JSON', { cause: err })
      }
    }
  }
}

const ascii: Codec<string> = {
  name: 'ascii',
  encode(v) {
    const s = typeof v === 'string' ? v : String(v)
    const out = new Uint8Array(s.length)
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff
    return out
  },
  decode(b) {
    let s = ''
    for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]! & 0x7f)
    return s
  }
}

const hex: Codec<string> = {
  name: 'hex',
  encode(v) {
    const s = typeof v === 'string' ? v : String(v)
    const n = s.length >>> 1
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i++) {
      const byte = Number.parseInt(s.slice(i * 2, i * 2 + 2), 16)
      if (Number.isNaN(byte)) return out.subarray(0, i)
      out[i] = byte
    }
    return out
  },
  decode(b) {
    let s = ''
    for (const x of b) s += x.toString(16).padStart(2, '0')
    return s
  }
}

const base64: Codec<string> = {
  name: 'base64',
  encode(v) {
    const bin = atob((typeof v === 'string' ? v : String(v)).replace(/-/g, '+').replace(/_/g, '/'))
    const out = new Uint8Array(bin.length)
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
    return out
  },
  decode(b) {
    let s = ''
    for (const x of b) s += String.fromCharCode(x)
    return btoa(s)
  }
}

const named: Record<string, Codec<never>> = {
  binary: binary as Codec<never>,
  'utf-8': utf8Codec as Codec<never>,
  utf8: utf8Codec as Codec<never>,
  json: jsonCodec(false) as Codec<never>,
  ndjson: jsonCodec(true) as Codec<never>,
  ascii: ascii as Codec<never>,
  hex: hex as Codec<never>,
  base64: base64 as Codec<never>
}

function isCompact(c: object): c is CompactCodec {
  return typeof (c as CompactCodec).preencode === 'function'
}

function fromCompact(c: CompactCodec): Codec {
  return {
    name: 'compact-encoding',
    encode(value) {
      const state: CompactState = { start: 0, end: 0, buffer: new Uint8Array(0), cache: null }
      c.preencode(state, value)
      state.buffer = new Uint8Array(state.end)
      c.encode(state, value)
      return state.buffer
    },
    decode(buffer) {
      try {
        return c.decode({ start: 0, end: buffer.byteLength, buffer, cache: null })
      } catch (err) {
        throw new DecodingError('value does not decode with its compact encoding', { cause: err })
      }
    }
  }
}

/**
 * Resolves an encoding option to a codec, or null when none is given (keys and values are then
 * bytes, and strings are written as UTF-8). Unknown names fall back to binary, as `codecs` does.
 */
export function resolveEncoding(enc: Encoding | null | undefined): Codec | null {
  if (enc === null || enc === undefined) return null
  if (typeof enc === 'string') return (named[enc] as Codec | undefined) ?? (binary as Codec)
  if (typeof enc === 'object' || typeof enc === 'function') {
    if (isCompact(enc)) return fromCompact(enc)
    if (typeof (enc as Codec).encode === 'function' && typeof (enc as Codec).decode === 'function') {
      return enc as Codec
    }
  }
  throw new BadArgumentError('an encoding is a name or an object with encode and decode')
}

/** Encodes `v` with `codec` (raw bytes and UTF-8 strings without one); null for null/undefined. */
export function encodeWith(codec: Codec | null, v: unknown, what = 'key'): Uint8Array | null {
  if (v === undefined || v === null) return null
  if (codec === utf8Codec && typeof v === 'string') return utf8Pooled(v)
  let out: unknown
  if (codec !== null) {
    try {
      out = codec.encode(v)
    } catch (err) {
      if (err instanceof BadArgumentError) throw err
      throw new BadArgumentError(`${what} does not encode`, { cause: err })
    }
  } else out = v
  return toBytes(out, what)
}

/** Decodes `b` with `codec` (raw bytes without one). */
export function decodeWith(codec: Codec | null, b: Uint8Array): unknown {
  return codec === null ? b : codec.decode(b)
}
