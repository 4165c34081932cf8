/**
 * The libsodium primitives: Ed25519 and Noise DH (libsodium-wrappers-sumo: the only build exporting
 * `crypto_scalarmult_ed25519_noclamp`). The ciphers run in our kernel, which outruns libsodium's. The wrapper functions malloc, copy and free several buffers
 * per call; here we call the raw emscripten exports instead, through one scratch region of the
 * libsodium heap that only grows. 64-bit lengths are passed as (low, high) i32 pairs, as emscripten
 * legalises them.
 */
import { InvalidPointError } from './errors.ts'
import type { KeyPair, SignaturePrimitives } from './types.ts'

/** The raw libsodium exports this file uses (typed by hand; the wrapper ships no types for them). */
export interface RawSodium {
  HEAPU8: Uint8Array
  _malloc(n: number): number
  _free(ptr: number): void
  _randombytes_buf(buf: number, n: number): void
  _crypto_sign_keypair(pk: number, sk: number): number
  _crypto_sign_seed_keypair(pk: number, sk: number, seed: number): number
  _crypto_sign_detached(
    sig: number,
    siglenP: number,
    m: number,
    mlenLo: number,
    mlenHi: number,
    sk: number
  ): number
  _crypto_sign_verify_detached(sig: number, m: number, mlenLo: number, mlenHi: number, pk: number): number
  _crypto_hash_sha512(out: number, m: number, mlenLo: number, mlenHi: number): number
  _crypto_scalarmult_ed25519_noclamp(q: number, n: number, p: number): number
}

/** A growable scratch region in the libsodium heap. Pointers are valid until the next `reserve`. */
class Scratch {
  private ptr = 0
  private cap = 0
  private readonly raw: RawSodium

  constructor(raw: RawSodium) {
    this.raw = raw
  }

  /** Returns the base of a region of at least `n` bytes (free + malloc when it must grow). */
  reserve(n: number): number {
    if (n > this.cap) {
      if (this.ptr !== 0) this.raw._free(this.ptr)
      this.cap = Math.max(n, 2 * this.cap, 4096)
      this.ptr = this.raw._malloc(this.cap)
      if (this.ptr === 0) throw new RangeError(`libsodium could not allocate ${this.cap} bytes`)
    }
    return this.ptr
  }

  /** The heap view (re-read each time: it is replaced when the heap grows). */
  get heap(): Uint8Array {
    return this.raw.HEAPU8
  }
}

/** Primitives over an initialised raw libsodium module. */
export function sodiumPrimitives(raw: RawSodium): SignaturePrimitives {
  const scratch = new Scratch(raw)

  return {
    name: 'libsodium',

    randomBytes(n) {
      const base = scratch.reserve(n)
      raw._randombytes_buf(base, n)
      return scratch.heap.slice(base, base + n)
    },

    keyPair(seed): KeyPair {
      const base = scratch.reserve(128)
      if (seed) {
        scratch.heap.set(seed, base + 96)
        raw._crypto_sign_seed_keypair(base, base + 32, base + 96)
      } else {
        raw._crypto_sign_keypair(base, base + 32)
      }
      const heap = scratch.heap
      const keys = { publicKey: heap.slice(base, base + 32), secretKey: heap.slice(base + 32, base + 96) }
      heap.fill(0, base, base + 128)
      return keys
    },

    sign(message, secretKey) {
      const n = message.byteLength
      const base = scratch.reserve(128 + n)
      const heap = scratch.heap
      heap.set(secretKey, base + 64)
      heap.set(message, base + 128)
      raw._crypto_sign_detached(base, 0, base + 128, n, 0, base + 64)
      const sig = scratch.heap.slice(base, base + 64)
      scratch.heap.fill(0, base + 64, base + 128)
      return sig
    },

    verify(message, signature, publicKey) {
      const n = message.byteLength
      const base = scratch.reserve(96 + n)
      const heap = scratch.heap
      heap.set(signature, base)
      heap.set(publicKey, base + 64)
      heap.set(message, base + 96)
      return raw._crypto_sign_verify_detached(base, base + 96, n, 0, base + 64) === 0
    },

    ed25519Dh(publicKey, secretKey) {
      const base = scratch.reserve(160)
      const heap = scratch.heap
      // scalar = clamp(SHA-512(seed)[0..32]), as noise-curve-ed derives it.
      heap.set(secretKey.subarray(0, 32), base + 128)
      raw._crypto_hash_sha512(base + 64, base + 128, 32, 0)
      const h = scratch.heap
      h[base + 64]! &= 248
      h[base + 95]! &= 127
      h[base + 95]! |= 64
      h.set(publicKey, base + 32)
      const rc = raw._crypto_scalarmult_ed25519_noclamp(base, base + 64, base + 32)
      const out = scratch.heap.slice(base, base + 32)
      scratch.heap.fill(0, base, base + 160)
      if (rc !== 0) throw new InvalidPointError()
      return out
    }
  }
}
