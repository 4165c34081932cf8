/**
 * libsodium's `crypto_secretstream_xchacha20poly1305` on @noble/ciphers' ChaCha20 and Poly1305, for
 * the pure-JS backend. State = subkey k (HChaCha20(key, header[0..16])) and a 12-byte ChaCha20
 * nonce = counter(u32 le, starts at 1) ‖ inonce (header[16..24]). Each message:
 *   block 0 of the keystream keys Poly1305; block 1 encrypts the tag byte (padded to 64 bytes);
 *   blocks 2… encrypt the message; MAC over ad ‖ pad ‖ encrypted tag block ‖ c ‖ pad ‖ lengths;
 *   then inonce ^= mac[0..8], counter++, and a rekey on TAG_REKEY or counter wrap.
 */

import { Poly1305 } from '@noble/ciphers/_poly1305.js'
import { chacha20, hchacha } from '@noble/ciphers/chacha.js'
import { DecryptionError } from './errors.ts'
import type { PullResult, SecretStreamState } from './types.ts'

const ABYTES = 17
const TAG_REKEY = 2
// "expand 32-byte k" as little-endian words.
const SIGMA = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574])
const ZERO_PAD = new Uint8Array(16)

function u32le(bytes: Uint8Array, words: number): Uint32Array {
  const out = new Uint32Array(words)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  for (let i = 0; i < words; i++) out[i] = view.getUint32(4 * i, true)
  return out
}

function u64le(n: number): Uint8Array {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setUint32(0, n % 2 ** 32, true)
  new DataView(out.buffer).setUint32(4, Math.floor(n / 2 ** 32), true)
  return out
}

export class JsSecretStream implements SecretStreamState {
  private k: Uint8Array
  /** counter(4) ‖ inonce(8): the ChaCha20-IETF nonce. */
  private readonly nonce = new Uint8Array(12)
  private readonly block = new Uint8Array(64)

  constructor(key: Uint8Array, header: Uint8Array) {
    const sub = new Uint32Array(8)
    hchacha(SIGMA, u32le(key, 8), u32le(header.subarray(0, 16), 4), sub)
    this.k = new Uint8Array(sub.buffer)
    this.nonce.set(header.subarray(16, 24), 4)
    this.resetCounter()
  }

  private resetCounter(): void {
    this.nonce.fill(0, 0, 4)
    this.nonce[0] = 1
  }

  /** Keys Poly1305 with keystream block 0 and absorbs the (empty) associated data. */
  private mac(): Poly1305 {
    const polyKey = chacha20(this.k, this.nonce, new Uint8Array(32))
    return new Poly1305(polyKey)
  }

  /** Poly1305 over the ciphertext part, its padding and the two lengths (ad is always empty). */
  private seal(poly: Poly1305, c: Uint8Array): Uint8Array {
    poly.update(c)
    // libsodium pads with (0x10 - 64 + mlen) & 0xf zero bytes, i.e. mlen % 16 (not to a multiple of
    // 16); the format is defined by that code, so we do the same.
    poly.update(ZERO_PAD.subarray(0, c.byteLength % 16))
    poly.update(u64le(0))
    poly.update(u64le(64 + c.byteLength))
    return poly.digest()
  }

  /** After a message: inonce ^= mac[0..8], counter++, rekey on TAG_REKEY or counter wrap. */
  private advance(mac: Uint8Array, tag: number): void {
    for (let i = 0; i < 8; i++) this.nonce[4 + i]! ^= mac[i]!
    let carry = 1
    for (let i = 0; i < 4; i++) {
      const v = this.nonce[i]! + carry
      this.nonce[i] = v
      carry = v >> 8
    }
    const wrapped = this.nonce[0] === 0 && this.nonce[1] === 0 && this.nonce[2] === 0 && this.nonce[3] === 0
    if ((tag & TAG_REKEY) !== 0 || wrapped) this.rekey()
  }

  private rekey(): void {
    const buf = new Uint8Array(40)
    buf.set(this.k, 0)
    buf.set(this.nonce.subarray(4, 12), 32)
    const next = chacha20(this.k, this.nonce, buf)
    this.k = next.slice(0, 32)
    this.nonce.set(next.subarray(32, 40), 4)
    this.resetCounter()
  }

  push(message: Uint8Array, tag: number, out: Uint8Array | undefined): Uint8Array {
    const mlen = message.byteLength
    const result = out ?? new Uint8Array(mlen + ABYTES)
    const poly = this.mac()
    const block = this.block
    block.fill(0)
    block[0] = tag
    chacha20(this.k, this.nonce, block, block, 1)
    poly.update(block)
    result[0] = block[0]!
    const c = result.subarray(1, 1 + mlen)
    chacha20(this.k, this.nonce, message, c, 2)
    const mac = this.seal(poly, c)
    result.set(mac, 1 + mlen)
    this.advance(mac, tag)
    return result
  }

  pull(ciphertext: Uint8Array, out?: Uint8Array): PullResult {
    if (ciphertext.byteLength < ABYTES)
      throw new DecryptionError('secretstream message is shorter than 17 bytes')
    const mlen = ciphertext.byteLength - ABYTES
    const poly = this.mac()
    const block = this.block
    block.fill(0)
    block[0] = ciphertext[0]!
    chacha20(this.k, this.nonce, block, block, 1)
    const tag = block[0]!
    block[0] = ciphertext[0]!
    poly.update(block)
    const c = ciphertext.subarray(1, 1 + mlen)
    // The state only moves after the MAC checks out, so a forged message leaves the stream usable.
    const mac = this.seal(poly, c)
    let diff = 0
    for (let i = 0; i < 16; i++) diff |= mac[i]! ^ ciphertext[1 + mlen + i]!
    if (diff !== 0) throw new DecryptionError('secretstream message failed authentication')
    // `out` is either apart from the ciphertext or exactly its message bytes (chacha20 in place)
    const message = chacha20(this.k, this.nonce, c, out ?? new Uint8Array(mlen), 2)
    this.advance(mac, tag)
    return { message, tag }
  }
}
