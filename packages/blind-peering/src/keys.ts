/**
 * Blind peer keys as Holepunch apps write them (hypercore-id-encoding: 32 bytes, 64 hex characters
 * or 52 z-base-32 characters), and the choice of the blind peers closest to a target by XOR
 * distance, as `blind-peering` spreads cores over its mirrors.
 */
import { compareBytes, fromZBase32 } from '@orchard/codec'
import { BlindPeeringError } from './errors.ts'

/** A 32-byte key from bytes, hex or z-base-32; throws `INVALID_KEY` otherwise. */
export function decodeKey(key: Uint8Array | string): Uint8Array {
  if (key instanceof Uint8Array) {
    if (key.byteLength === 32) return key
    throw new BlindPeeringError('INVALID_KEY', `a key is 32 bytes, got ${key.byteLength}`)
  }
  if (/^[0-9a-fA-F]{64}$/.test(key)) {
    const out = new Uint8Array(32)
    for (let i = 0; i < 32; i++) out[i] = Number.parseInt(key.slice(i * 2, i * 2 + 2), 16)
    return out
  }
  const z = key.length === 52 ? fromZBase32(key) : null
  if (z !== null && z.byteLength === 32) return z
  throw new BlindPeeringError('INVALID_KEY', `not a 32-byte key in hex or z-base-32: ${JSON.stringify(key)}`)
}

function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength)
  for (let i = 0; i < out.byteLength; i++) out[i] = a[i]! ^ b[i]!
  return out
}

/** The `n` keys of `keys` closest to `target` by XOR distance, closest first. */
export function closestKeys(target: Uint8Array, keys: readonly Uint8Array[], n: number): Uint8Array[] {
  return keys
    .map((key) => ({ key, distance: xor(key, target) }))
    .sort((a, b) => compareBytes(a.distance, b.distance))
    .slice(0, Math.max(0, n))
    .map((k) => k.key)
}
