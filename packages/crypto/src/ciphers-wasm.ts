/**
 * The ciphers of our WebAssembly kernel (`@orchard/wasm`: ChaCha20-Poly1305-IETF, libsodium's
 * secretstream, XSalsa20, secretbox), driven like the hasher: each call lays its inputs out in the
 * kernel's arena, makes one call, and copies the output out. The kernel instance (and so its
 * memory) is shared with the hasher; both lay out from the arena base per call and never keep data
 * there between calls, which is safe because every call is synchronous.
 */
import { DecryptionError } from './errors.ts'
import type { PullResult, SecretStreamState } from './types.ts'

/** The cipher exports of the kernel (wasm/src/aead.ts). */
interface CipherExports {
  memory: WebAssembly.Memory
  arena(): number
  aeadEncrypt(k: number, n: number, ad: number, adLen: number, m: number, mLen: number, out: number): void
  aeadDecrypt(k: number, n: number, ad: number, adLen: number, c: number, cLen: number, out: number): number
  streamInit(s: number, key: number, header: number): void
  streamPush(s: number, out: number, m: number, mLen: number, tag: number): void
  streamPull(s: number, out: number, c: number, cLen: number): number
  xsalsa20Xor(dst: number, src: number, len: number, k: number, n: number): void
  secretboxEasy(out: number, m: number, mLen: number, k: number, n: number): void
  secretboxOpen(out: number, box: number, boxLen: number, k: number, n: number): number
}

const PAGE = 65536
/** Secretstream state: k (32) ‖ counter (4) ‖ inonce (8). */
const STATE_BYTES = 44

/** The kernel's ciphers, with inputs already validated by the public functions. */
export class KernelCiphers {
  private readonly k: CipherExports
  private readonly base: number
  private u8: Uint8Array

  constructor(exports: WebAssembly.Exports) {
    this.k = exports as unknown as CipherExports
    this.base = this.k.arena()
    this.u8 = new Uint8Array(this.k.memory.buffer)
  }

  /** Makes [arena, arena + bytes) addressable; returns the (possibly new) byte view. */
  private reserve(bytes: number): Uint8Array {
    const mem = this.k.memory
    const need = this.base + bytes
    if (need > mem.buffer.byteLength) mem.grow(Math.ceil((need - mem.buffer.byteLength) / PAGE))
    if (this.u8.buffer !== mem.buffer) this.u8 = new Uint8Array(mem.buffer)
    return this.u8
  }

  /** Zeroes the key material a call left in the arena (keys and subkeys are the first bytes). */
  private wipe(bytes: number): void {
    this.u8.fill(0, this.base, this.base + bytes)
  }

  chacha20poly1305Encrypt(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, plaintext: Uint8Array) {
    // key 32 | nonce 12 (+4) | ad | m | out (m + 16)
    const b = this.base
    const n = plaintext.byteLength
    const a = b + 48
    const m = a + ad.byteLength
    const out = m + n
    const u8 = this.reserve(48 + ad.byteLength + 2 * n + 16)
    u8.set(key, b)
    u8.set(nonce, b + 32)
    u8.set(ad, a)
    u8.set(plaintext, m)
    this.k.aeadEncrypt(b, b + 32, a, ad.byteLength, m, n, out)
    this.wipe(32)
    return u8.slice(out, out + n + 16)
  }

  chacha20poly1305Decrypt(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, ciphertext: Uint8Array) {
    const n = ciphertext.byteLength - 16
    if (n < 0) throw new DecryptionError('ciphertext is shorter than its 16-byte tag')
    const b = this.base
    const a = b + 48
    const c = a + ad.byteLength
    const out = c + n + 16
    const u8 = this.reserve(48 + ad.byteLength + 2 * n + 16)
    u8.set(key, b)
    u8.set(nonce, b + 32)
    u8.set(ad, a)
    u8.set(ciphertext, c)
    const rc = this.k.aeadDecrypt(b, b + 32, a, ad.byteLength, c, n, out)
    this.wipe(32)
    if (rc !== 0) throw new DecryptionError()
    return u8.slice(out, out + n)
  }

  secretStream(key: Uint8Array, header: Uint8Array): SecretStreamState {
    const b = this.base
    const u8 = this.reserve(STATE_BYTES + 56)
    u8.set(key, b + STATE_BYTES)
    u8.set(header, b + STATE_BYTES + 32)
    this.k.streamInit(b, b + STATE_BYTES, b + STATE_BYTES + 32)
    const state = u8.slice(b, b + STATE_BYTES)
    this.wipe(STATE_BYTES + 32)
    return new KernelSecretStream(this, state)
  }

  /** One secretstream push with `state` (updated in place). */
  streamPush(state: Uint8Array, message: Uint8Array, tag: number, out: Uint8Array | undefined): Uint8Array {
    // state 44 (+4) | m | out (m + 17)
    const b = this.base
    const n = message.byteLength
    const m = b + 48
    const c = m + n
    const u8 = this.reserve(48 + 2 * n + 17)
    u8.set(state, b)
    u8.set(message, m)
    this.k.streamPush(b, c, m, n, tag)
    state.set(u8.subarray(b, b + STATE_BYTES))
    this.wipe(STATE_BYTES)
    const result = out ?? new Uint8Array(n + 17)
    result.set(u8.subarray(c, c + n + 17))
    return result
  }

  /** One secretstream pull with `state` (updated in place only if the message authenticates). */
  streamPull(state: Uint8Array, ciphertext: Uint8Array, out?: Uint8Array): PullResult {
    const clen = ciphertext.byteLength
    if (clen < 17) throw new DecryptionError('secretstream message is shorter than 17 bytes')
    const b = this.base
    const c = b + 48
    const m = c + clen
    const u8 = this.reserve(48 + 2 * clen)
    u8.set(state, b)
    u8.set(ciphertext, c)
    const tag = this.k.streamPull(b, m, c, clen)
    if (tag < 0) {
      this.wipe(STATE_BYTES)
      throw new DecryptionError('secretstream message failed authentication')
    }
    state.set(u8.subarray(b, b + STATE_BYTES))
    this.wipe(STATE_BYTES)
    // the ciphertext was copied in above, so `out` may overlap it
    if (out === undefined) return { message: u8.slice(m, m + clen - 17), tag }
    out.set(u8.subarray(m, m + clen - 17))
    return { message: out, tag }
  }

  xsalsa20Xor(data: Uint8Array, nonce: Uint8Array, key: Uint8Array, out: Uint8Array): Uint8Array {
    // key 32 | nonce 24 | data, encrypted in place
    const b = this.base
    const n = data.byteLength
    const u8 = this.reserve(56 + n)
    u8.set(key, b)
    u8.set(nonce, b + 32)
    u8.set(data, b + 56)
    this.k.xsalsa20Xor(b + 56, b + 56, n, b, b + 32)
    this.wipe(32)
    out.set(u8.subarray(b + 56, b + 56 + n))
    return out
  }

  secretboxEasy(message: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array {
    const b = this.base
    const n = message.byteLength
    const m = b + 56
    const out = m + n
    const u8 = this.reserve(56 + 2 * n + 16)
    u8.set(key, b)
    u8.set(nonce, b + 32)
    u8.set(message, m)
    this.k.secretboxEasy(out, m, n, b, b + 32)
    this.wipe(32)
    return u8.slice(out, out + n + 16)
  }

  secretboxOpenEasy(box: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array {
    const n = box.byteLength - 16
    if (n < 0) throw new DecryptionError('secretbox is shorter than its 16-byte tag')
    const b = this.base
    const c = b + 56
    const out = c + n + 16
    const u8 = this.reserve(56 + 2 * n + 16)
    u8.set(key, b)
    u8.set(nonce, b + 32)
    u8.set(box, c)
    const rc = this.k.secretboxOpen(out, c, n + 16, b, b + 32)
    this.wipe(32)
    if (rc !== 0) throw new DecryptionError()
    return u8.slice(out, out + n)
  }
}

/** One direction of a secretstream: its 44-byte state lives here, between calls. */
class KernelSecretStream implements SecretStreamState {
  private readonly ciphers: KernelCiphers
  private readonly state: Uint8Array

  constructor(ciphers: KernelCiphers, state: Uint8Array) {
    this.ciphers = ciphers
    this.state = state
  }

  push(message: Uint8Array, tag: number, out: Uint8Array | undefined): Uint8Array {
    return this.ciphers.streamPush(this.state, message, tag, out)
  }

  pull(ciphertext: Uint8Array, out?: Uint8Array): PullResult {
    return this.ciphers.streamPull(this.state, ciphertext, out)
  }
}
