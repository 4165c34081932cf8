/** Byte helpers (no Buffer): input coercion, concat, equality, and a fast non-cryptographic hash. */
import { BadArgumentError } from './errors.ts'

const utf8 = new TextEncoder()

/** What `put` and `write` take: bytes (any view or buffer), or a string stored as UTF-8. */
export type BlobInput = Uint8Array | ArrayBufferView | ArrayBuffer | string

/**
 * `value` as bytes: a Uint8Array as it is, any other ArrayBuffer view or ArrayBuffer as a view of
 * its bytes, a string as UTF-8 (what `b4a.from` gives hyperblobs).
 */
export function toBytes(value: unknown, what = 'a blob'): Uint8Array {
  if (value instanceof Uint8Array) return value
  if (typeof value === 'string') return utf8.encode(value)
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
  if (value instanceof ArrayBuffer) return new Uint8Array(value)
  throw new BadArgumentError(`${what} must be a Uint8Array or a string`)
}

export { concatBytes as concat, equalBytes as equals } from '@orchard/codec'

/**
 * A 64-bit FNV-1a-style fingerprint (two independent 32-bit lanes) plus the length, as a map key.
 * Deduplication uses it only to find candidates and then compares the bytes themselves, so a
 * collision (even a crafted one) costs a comparison, never a wrong block.
 */
export function fingerprint(bytes: Uint8Array): string {
  let a = 0x811c9dc5
  let b = 0x01000193 ^ bytes.byteLength
  for (let i = 0; i < bytes.byteLength; i++) {
    const x = bytes[i]!
    a = Math.imul(a ^ x, 0x01000193)
    b = Math.imul(b ^ x, 0x5bd1e995) ^ (b >>> 15)
  }
  return `${bytes.byteLength}:${(a >>> 0).toString(36)}:${(b >>> 0).toString(36)}`
}
