/**
 * Ed25519 on @noble/curves by libsodium's rules, shared by the `kernel` and `noble` primitives (keys,
 * signatures, Noise DH; randomness from `crypto.getRandomValues`). Where noble's defaults differ
 * from libsodium (cofactored verification, no small-order checks, a recomputed public key when
 * signing) this file follows libsodium, because peers on the native stack accept and reject by
 * libsodium's rules.
 */
import { ED25519_TORSION_SUBGROUP, ed25519 } from '@noble/curves/ed25519.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { InvalidPointError } from './errors.ts'
import type { KeyPair, Primitives } from './types.ts'

const Point = ed25519.Point
const L = Point.Fn.ORDER
const P = Point.CURVE().p

function leToBigint(bytes: Uint8Array): bigint {
  let n = 0n
  for (let i = bytes.byteLength - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!)
  return n
}

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}

/** The y coordinate of an encoding, sign bit dropped, not reduced. */
function encodedY(bytes: Uint8Array): bigint {
  const copy = new Uint8Array(bytes.subarray(0, 32)) // a copy, also for Buffers
  copy[31]! &= 0x7f
  return leToBigint(copy)
}

// y mod p of the 8 torsion points: libsodium's small-order blacklist compares encodings with the
// sign bit ignored, which is the same as testing y mod p against this set.
const TORSION_Y = new Set(ED25519_TORSION_SUBGROUP.map((hex) => encodedY(hexToBytes(hex)) % P))

/** Whether an encoding is one of the 8 small-order points, by libsodium's blacklist (sign bit ignored). */
export function hasSmallOrder(bytes: Uint8Array): boolean {
  return TORSION_Y.has(encodedY(bytes) % P)
}

/** Whether an encoding's y (sign bit dropped) is below p, as libsodium's `ge25519_is_canonical` asks. */
export function isCanonicalY(bytes: Uint8Array): boolean {
  return encodedY(bytes) < P
}

function clampedScalar(seed: Uint8Array): { a: Uint8Array; prefix: Uint8Array } {
  const az = sha512(seed)
  az[0]! &= 248
  az[31]! &= 127
  az[31]! |= 64
  return { a: az.subarray(0, 32), prefix: az.subarray(32, 64) }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  let len = 0
  for (const p of parts) len += p.byteLength
  const out = new Uint8Array(len)
  let off = 0
  for (const p of parts) {
    out.set(p, off)
    off += p.byteLength
  }
  return out
}

function bigintToLe32(n: bigint): Uint8Array {
  const out = new Uint8Array(32)
  for (let i = 0; i < 32; i++) {
    out[i] = Number(n & 0xffn)
    n >>= 8n
  }
  return out
}

/** `n` bytes from the platform's CSPRNG. */
export function getRandomValues(n: number): Uint8Array {
  const out = new Uint8Array(n)
  // getRandomValues fills at most 65 536 bytes per call.
  for (let off = 0; off < n; off += 65536) globalThis.crypto.getRandomValues(out.subarray(off, off + 65536))
  return out
}

/** The Ed25519 half of a `Primitives`. */
export type Ed25519Primitives = Pick<Primitives, 'randomBytes' | 'keyPair' | 'sign' | 'verify' | 'ed25519Dh'>

export const nobleEd25519: Ed25519Primitives = {
  randomBytes: getRandomValues,

  keyPair(seed): KeyPair {
    const s = seed ?? getRandomValues(32)
    const publicKey = ed25519.getPublicKey(s)
    const secretKey = new Uint8Array(64)
    secretKey.set(s, 0)
    secretKey.set(publicKey, 32)
    return { publicKey, secretKey }
  },

  // RFC 8032 with libsodium's layout: the public key hashed into k is secretKey[32..64] as given.
  sign(message, secretKey) {
    const { a, prefix } = clampedScalar(secretKey.subarray(0, 32))
    const r = leToBigint(sha512(concat(prefix, message))) % L
    const R = Point.BASE.multiplyUnsafe(r).toBytes()
    const k = leToBigint(sha512(concat(R, secretKey.subarray(32, 64), message))) % L
    const s = (r + k * leToBigint(a)) % L
    return concat(R, bigintToLe32(s))
  },

  // libsodium's rules: canonical S, R and A not of small order, A canonical, cofactorless check.
  verify(message, signature, publicKey) {
    const R = signature.subarray(0, 32)
    const s = leToBigint(signature.subarray(32, 64))
    if (s >= L || hasSmallOrder(R)) return false
    if (!isCanonicalY(publicKey) || hasSmallOrder(publicKey)) return false
    let A: InstanceType<typeof Point>
    try {
      A = Point.fromBytes(publicKey)
    } catch {
      return false
    }
    const k = leToBigint(sha512(concat(R, publicKey, message))) % L
    const check = Point.BASE.multiplyUnsafe(s).subtract(A.multiplyUnsafe(k)).toBytes()
    let diff = 0
    for (let i = 0; i < 32; i++) diff |= check[i]! ^ R[i]!
    return diff === 0
  },

  // crypto_scalarmult_ed25519_noclamp with noise-curve-ed's scalar; rejects what libsodium rejects.
  ed25519Dh(publicKey, secretKey) {
    if (!isCanonicalY(publicKey) || hasSmallOrder(publicKey)) throw new InvalidPointError()
    let point: InstanceType<typeof Point>
    try {
      point = Point.fromBytes(publicKey)
    } catch (err) {
      throw new InvalidPointError(`invalid Ed25519 point: ${(err as Error).message}`)
    }
    if (!point.isTorsionFree())
      throw new InvalidPointError('Ed25519 point is outside the prime-order subgroup')
    const { a } = clampedScalar(secretKey.subarray(0, 32))
    const shared = point.multiplyUnsafe(leToBigint(a) % L)
    if (shared.is0()) throw new InvalidPointError('Ed25519 DH produced the identity point')
    return shared.toBytes()
  }
}
