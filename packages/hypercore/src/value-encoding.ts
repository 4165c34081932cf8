/**
 * Value encodings for blocks: `'binary'` (default), `'utf-8'`, `'json'`, or any codec from
 * `@orchard/codec` (or a compact-encoding-shaped object). A block that does not decode under the
 * session's encoding raises `DecodingError`, carrying the index.
 */
import { type Codec, decode, encode } from '@orchard/codec'
import { BadArgumentError, DecodingError } from './errors.ts'

/**
 * How a session encodes block values: a name, a codec from `@orchard/codec` (or compact-encoding-shaped), or
 * `{ encode, decode }`.
 */
export type ValueEncoding = 'binary' | 'utf-8' | 'utf8' | 'json' | Codec<unknown, never> | PlainEncoding

/** Encodes and decodes block values. */
export interface BlockCodec {
  readonly name: string
  encode(value: unknown): Uint8Array
  decode(bytes: Uint8Array, index: number): unknown
}

const utf8Encoder = new TextEncoder()
const utf8Decoder = new TextDecoder('utf-8', { fatal: true })

const binary: BlockCodec = {
  name: 'binary',
  encode(value) {
    if (value instanceof Uint8Array) return value
    if (typeof value === 'string') return utf8Encoder.encode(value)
    throw new BadArgumentError('binary blocks must be Uint8Array or string')
  },
  decode: (bytes) => bytes
}

const utf8: BlockCodec = {
  name: 'utf-8',
  encode(value) {
    if (typeof value !== 'string') throw new BadArgumentError('utf-8 blocks must be strings')
    return utf8Encoder.encode(value)
  },
  decode(bytes, index) {
    try {
      return utf8Decoder.decode(bytes)
    } catch (err) {
      throw new DecodingError(`block ${index} is not valid UTF-8`, { cause: err })
    }
  }
}

const json: BlockCodec = {
  name: 'json',
  encode(value) {
    const text = JSON.stringify(value)
    if (text === undefined) throw new BadArgumentError('value has no JSON form')
    return utf8Encoder.encode(text)
  },
  decode(bytes, index) {
    try {
      return JSON.parse(utf8Decoder.decode(bytes))
    } catch (err) {
      throw new DecodingError(`block ${index} is not valid JSON`, { cause: err })
    }
  }
}

function fromCodec(codec: Codec<unknown, never>): BlockCodec {
  return {
    name: 'codec',
    encode: (value) => encode(codec as Codec<unknown, unknown>, value),
    decode(bytes, index) {
      try {
        return decode(codec, bytes)
      } catch (err) {
        throw new DecodingError(`block ${index} does not decode under the value encoding`, { cause: err })
      }
    }
  }
}

/** An encoding as `{ encode(value): bytes, decode(bytes): value }` (abstract-encoding's shape). */
export interface PlainEncoding {
  /** Value to bytes. */
  encode(value: unknown): Uint8Array
  /** Bytes to value; throwing marks the block undecodable. */
  decode(bytes: Uint8Array): unknown
}

function fromPlain(enc: PlainEncoding): BlockCodec {
  return {
    name: 'custom',
    encode(value) {
      const bytes = enc.encode(value)
      if (!(bytes instanceof Uint8Array)) throw new BadArgumentError('a value encoding must encode to bytes')
      return bytes
    },
    decode(bytes, index) {
      try {
        return enc.decode(bytes)
      } catch (err) {
        throw new DecodingError(`block ${index} does not decode under the value encoding`, { cause: err })
      }
    }
  }
}

/** The block codec for a `valueEncoding` option. */
export function blockCodec(enc: ValueEncoding | undefined): BlockCodec {
  if (enc === undefined || enc === 'binary') return binary
  if (enc === 'utf-8' || enc === 'utf8') return utf8
  if (enc === 'json') return json
  if (typeof enc === 'object' && enc !== null && typeof enc.decode === 'function') {
    // a compact-encoding codec (preencode/encode into a state), or a plain { encode, decode }
    return 'preencode' in enc ? fromCodec(enc) : fromPlain(enc as unknown as PlainEncoding)
  }
  throw new BadArgumentError(`unknown valueEncoding ${String(enc)}`)
}
