/** Argument checks shared by the public functions, so every backend sees only well-formed input. */
import { InvalidArgumentError, InvalidSizeError } from './errors.ts'

export function assertBytes(value: unknown, what: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new InvalidArgumentError(`${what} must be a Uint8Array`)
}

export function assertSize(value: unknown, size: number, what: string): asserts value is Uint8Array {
  assertBytes(value, what)
  if (value.byteLength !== size) throw new InvalidSizeError(what, `${size} bytes`, value.byteLength)
}

export function assertRange(
  value: unknown,
  min: number,
  max: number,
  what: string
): asserts value is Uint8Array {
  assertBytes(value, what)
  if (value.byteLength < min || value.byteLength > max) {
    throw new InvalidSizeError(what, `${min}–${max} bytes`, value.byteLength)
  }
}

export function assertBytesList(value: unknown, what: string): asserts value is Uint8Array[] {
  if (!Array.isArray(value)) throw new InvalidArgumentError(`${what} must be an array of Uint8Array`)
  for (let i = 0; i < value.length; i++) {
    // The label is built only on failure: this runs for every block of a batch.
    if (!(value[i] instanceof Uint8Array))
      throw new InvalidArgumentError(`${what}[${i}] must be a Uint8Array`)
  }
}

/** BLAKE2b output length: an integer in 1..64 (RFC 7693). */
export function assertOutLen(n: unknown): asserts n is number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 64) {
    throw new InvalidSizeError('BLAKE2b output length', 'an integer in 1..64', Number(n))
  }
}

/** BLAKE2b key: up to 64 bytes; an empty key means unkeyed, as in libsodium. */
export function normaliseKey(key: unknown): Uint8Array | undefined {
  if (key === undefined || key === null) return undefined
  assertRange(key, 0, 64, 'BLAKE2b key')
  return key.byteLength === 0 ? undefined : key
}
