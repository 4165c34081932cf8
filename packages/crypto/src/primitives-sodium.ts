/**
 * The libsodium primitives (libsodium-wrappers-sumo: the only build exporting
 * `crypto_scalarmult_ed25519_noclamp`). The wrapper functions malloc, copy and free several buffers
 * per call; here we call the raw emscripten exports instead, through one scratch region of the
 * libsodium heap that only grows. 64-bit lengths are passed as (low, high) i32 pairs, as emscripten
 * legalises them.
 */
import { DecryptionError, InvalidPointError } from './errors.ts'
import type { KeyPair, Primitives, PullResult, SecretStreamState } from './types.ts'

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
  _crypto_aead_chacha20poly1305_ietf_encrypt(
    ...args: [number, number, number, number, number, number, number, number, number, number, number]
  ): number
  _crypto_aead_chacha20poly1305_ietf_decrypt(
    ...args: [number, number, number, number, number, number, number, number, number, number, number]
  ): number
  _crypto_secretstream_xchacha20poly1305_init_pull(state: number, header: number, key: number): number
  _crypto_secretstream_xchacha20poly1305_push(
    ...args: [number, number, number, number, number, number, number, number, number, number]
  ): number
  _crypto_secretstream_xchacha20poly1305_pull(
    ...args: [number, number, number, number, number, number, number, number, number, number]
  ): number
  _crypto_stream_xor(c: number, m: number, mlenLo: number, mlenHi: number, n: number, k: number): number
  _crypto_secretbox_easy(c: number, m: number, mlenLo: number, mlenHi: number, n: number, k: number): number
  _crypto_secretbox_open_easy(
    m: number,
    c: number,
    clenLo: number,
    clenHi: number,
    n: number,
    k: number
  ): number
}

const STATE_BYTES = 52 // crypto_secretstream_xchacha20poly1305_statebytes()

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

class SodiumSecretStream implements SecretStreamState {
  private readonly state = new Uint8Array(STATE_BYTES)
  private readonly raw: RawSodium
  private readonly scratch: Scratch

  constructor(raw: RawSodium, scratch: Scratch, key: Uint8Array, header: Uint8Array) {
    this.raw = raw
    this.scratch = scratch
    // init_pull derives exactly the state init_push would for this header, so it serves both.
    const base = scratch.reserve(STATE_BYTES + 24 + 32)
    const heap = scratch.heap
    heap.set(header, base + STATE_BYTES)
    heap.set(key, base + STATE_BYTES + 24)
    raw._crypto_secretstream_xchacha20poly1305_init_pull(base, base + STATE_BYTES, base + STATE_BYTES + 24)
    this.state.set(scratch.heap.subarray(base, base + STATE_BYTES))
    scratch.heap.fill(0, base, base + STATE_BYTES + 56)
  }

  push(message: Uint8Array, tag: number, out: Uint8Array | undefined): Uint8Array {
    const mlen = message.byteLength
    const base = this.scratch.reserve(STATE_BYTES + 2 * mlen + 17)
    const m = base + STATE_BYTES
    const c = m + mlen
    let heap = this.scratch.heap
    heap.set(this.state, base)
    heap.set(message, m)
    this.raw._crypto_secretstream_xchacha20poly1305_push(base, c, 0, m, mlen, 0, 0, 0, 0, tag)
    heap = this.scratch.heap
    this.state.set(heap.subarray(base, base + STATE_BYTES))
    const result = out ?? new Uint8Array(mlen + 17)
    result.set(heap.subarray(c, c + mlen + 17))
    return result
  }

  pull(ciphertext: Uint8Array): PullResult {
    const clen = ciphertext.byteLength
    if (clen < 17) throw new DecryptionError('secretstream message is shorter than 17 bytes')
    const base = this.scratch.reserve(STATE_BYTES + 8 + 2 * clen)
    const tagP = base + STATE_BYTES
    const c = tagP + 8
    const m = c + clen
    let heap = this.scratch.heap
    heap.set(this.state, base)
    heap.set(ciphertext, c)
    const rc = this.raw._crypto_secretstream_xchacha20poly1305_pull(base, m, 0, tagP, c, clen, 0, 0, 0, 0)
    if (rc !== 0) throw new DecryptionError('secretstream message failed authentication')
    heap = this.scratch.heap
    this.state.set(heap.subarray(base, base + STATE_BYTES))
    return { message: heap.slice(m, m + clen - 17), tag: heap[tagP]! }
  }
}

/** Primitives over an initialised raw libsodium module. */
export function sodiumPrimitives(raw: RawSodium): Primitives {
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
    },

    chacha20poly1305Encrypt(key, nonce, ad, plaintext) {
      const n = plaintext.byteLength
      const base = scratch.reserve(48 + ad.byteLength + 2 * n + 16)
      const heap = scratch.heap
      const a = base + 48
      const m = a + ad.byteLength
      const c = m + n
      heap.set(key, base)
      heap.set(nonce, base + 32)
      heap.set(ad, a)
      heap.set(plaintext, m)
      raw._crypto_aead_chacha20poly1305_ietf_encrypt(c, 0, m, n, 0, a, ad.byteLength, 0, 0, base + 32, base)
      const out = scratch.heap.slice(c, c + n + 16)
      scratch.heap.fill(0, base, base + 32)
      return out
    },

    chacha20poly1305Decrypt(key, nonce, ad, ciphertext) {
      const n = ciphertext.byteLength
      if (n < 16) throw new DecryptionError('ciphertext is shorter than its 16-byte tag')
      const base = scratch.reserve(48 + ad.byteLength + 2 * n)
      const heap = scratch.heap
      const a = base + 48
      const c = a + ad.byteLength
      const m = c + n
      heap.set(key, base)
      heap.set(nonce, base + 32)
      heap.set(ad, a)
      heap.set(ciphertext, c)
      const rc = raw._crypto_aead_chacha20poly1305_ietf_decrypt(
        m,
        0,
        0,
        c,
        n,
        0,
        a,
        ad.byteLength,
        0,
        base + 32,
        base
      )
      scratch.heap.fill(0, base, base + 32)
      if (rc !== 0) throw new DecryptionError()
      return scratch.heap.slice(m, m + n - 16)
    },

    secretStream(key, header) {
      return new SodiumSecretStream(raw, scratch, key, header)
    },

    xsalsa20Xor(data, nonce, key, out) {
      const n = data.byteLength
      const base = scratch.reserve(56 + n)
      const heap = scratch.heap
      heap.set(key, base)
      heap.set(nonce, base + 32)
      heap.set(data, base + 56)
      // In place inside the heap: libsodium's stream xor allows c == m.
      raw._crypto_stream_xor(base + 56, base + 56, n, 0, base + 32, base)
      out.set(scratch.heap.subarray(base + 56, base + 56 + n))
      scratch.heap.fill(0, base, base + 32)
      return out
    },

    secretboxEasy(message, nonce, key) {
      const n = message.byteLength
      const base = scratch.reserve(56 + 2 * n + 16)
      const heap = scratch.heap
      const m = base + 56
      const c = m + n
      heap.set(key, base)
      heap.set(nonce, base + 32)
      heap.set(message, m)
      raw._crypto_secretbox_easy(c, m, n, 0, base + 32, base)
      const out = scratch.heap.slice(c, c + n + 16)
      scratch.heap.fill(0, base, base + 32)
      return out
    },

    secretboxOpenEasy(box, nonce, key) {
      const n = box.byteLength
      if (n < 16) throw new DecryptionError('secretbox is shorter than its 16-byte tag')
      const base = scratch.reserve(56 + 2 * n)
      const heap = scratch.heap
      const c = base + 56
      const m = c + n
      heap.set(key, base)
      heap.set(nonce, base + 32)
      heap.set(box, c)
      const rc = raw._crypto_secretbox_open_easy(m, c, n, 0, base + 32, base)
      scratch.heap.fill(0, base, base + 32)
      if (rc !== 0) throw new DecryptionError()
      return scratch.heap.slice(m, m + n - 16)
    }
  }
}
