/**
 * Encodings on the client side: the owner keeps keys, values and blocks as bytes, and each client
 * encodes and decodes with its own encodings (which may be functions, and so could not travel).
 * The names and codecs are hyperbee's (`'binary'`, `'utf-8'`, `'json'`, ... or a codec object).
 */
import { BadArgumentError, type Codec, type Encoding, resolveEncoding } from '@orchard/hyperbee'

export type { Codec, Encoding }

const utf8 = new TextEncoder()

/** The codec of an encoding option (null: bytes, strings as UTF-8). */
export function codecOf(enc: Encoding | null | undefined): Codec | null {
  return resolveEncoding(enc)
}

/** `value` encoded with `codec`, as bytes that own their buffer; null for null/undefined. */
export function encodeWith(codec: Codec | null, value: unknown, what: string): Uint8Array | null {
  if (value === undefined || value === null) return null
  let out: unknown = value
  if (codec !== null) {
    try {
      out = codec.encode(value)
    } catch (err) {
      if (err instanceof BadArgumentError) throw err
      throw new BadArgumentError(`${what} does not encode`, { cause: err })
    }
  }
  if (typeof out === 'string') return utf8.encode(out)
  if (out instanceof Uint8Array) return out.slice()
  throw new BadArgumentError(`${what} must be a Uint8Array or a string`)
}

/** `value` encoded with `codec`; a key is required. */
export function encodeKey(codec: Codec | null, key: unknown): Uint8Array {
  const bytes = encodeWith(codec, key, 'key')
  if (bytes === null) throw new BadArgumentError('a key is required')
  return bytes
}

/** `bytes` decoded with `codec` (bytes as they are without one). */
export function decodeWith(codec: Codec | null, bytes: Uint8Array): unknown {
  return codec === null ? bytes : codec.decode(bytes)
}
