/**
 * The kernel's ciphers, both builds (four-block SIMD and scalar), against RFC 8439's AEAD vector
 * and against sodium-native on seeded random inputs: lengths around the 64-byte block and the
 * 256-byte SIMD stride, unaligned inputs, every secretstream tag (so rekeys happen), forgeries.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { KernelCiphers } from '../../packages/crypto/src/ciphers-wasm.ts'
import { instantiateKernel } from '../../packages/crypto/src/merkle-wasm.ts'
import { fromHex, hex, rng, utf8 } from '../../packages/crypto/test/helpers.ts'
import { buf, na } from '../../packages/crypto/test/oracles.ts'

/** Lengths that straddle the block (64) and SIMD stride (256) boundaries, and a few long ones. */
function length(r: ReturnType<typeof rng>): number {
  const edges = [0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 191, 255, 256, 257, 511, 512, 513, 1023]
  const pick = r.int(4)
  if (pick === 0) return edges[r.int(edges.length)]!
  if (pick === 1) return 256 * (1 + r.int(8)) + r.int(3) - 1
  if (pick === 2) return r.int(5000)
  return r.int(300)
}

/** A view at an odd offset, so the kernel gets input the loader copied from unaligned memory. */
const unaligned = (r: ReturnType<typeof rng>, n: number) => r.bytes(n + 3).subarray(3)

// RFC 8439 §2.8.2: the AEAD example ("Ladies and Gentlemen…").
const RFC_KEY = fromHex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f')
const RFC_NONCE = fromHex('070000004041424344454647')
const RFC_AD = fromHex('50515253c0c1c2c3c4c5c6c7')
const RFC_PLAINTEXT = utf8(
  "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it."
)
const RFC_SEALED = fromHex(
  `d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b
   1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc
   3ff4def08e4b7a9de576d26586cec64b6116` + '1ae10b594f09e26a7e902ecbd0600691'
)

for (const build of ['simd', 'scalar'] as const) {
  describe(`the ${build} build's ciphers`, () => {
    let k: KernelCiphers

    beforeAll(async () => {
      k = new KernelCiphers((await instantiateKernel({ build })).exports)
    })

    it('ChaCha20-Poly1305: RFC 8439 §2.8.2 seals and opens', () => {
      expect(hex(k.chacha20poly1305Encrypt(RFC_KEY, RFC_NONCE, RFC_AD, RFC_PLAINTEXT))).toBe(hex(RFC_SEALED))
      expect(hex(k.chacha20poly1305Decrypt(RFC_KEY, RFC_NONCE, RFC_AD, RFC_SEALED))).toBe(hex(RFC_PLAINTEXT))
    })

    it('ChaCha20-Poly1305 equals sodium-native; every forged byte is refused (seed 81)', () => {
      const r = rng(81)
      for (let i = 0; i < 600; i++) {
        const key = r.bytes(32)
        const nonce = r.bytes(12)
        const ad = unaligned(r, r.int(3) === 0 ? 0 : r.int(100))
        const plaintext = unaligned(r, length(r))
        const want = Buffer.alloc(plaintext.byteLength + 16)
        na.crypto_aead_chacha20poly1305_ietf_encrypt(
          want,
          buf(plaintext),
          buf(ad),
          null,
          buf(nonce),
          buf(key)
        )
        const sealed = k.chacha20poly1305Encrypt(key, nonce, ad, plaintext)
        expect(hex(sealed)).toBe(want.toString('hex'))
        expect(hex(k.chacha20poly1305Decrypt(key, nonce, ad, sealed))).toBe(hex(plaintext))
        sealed[r.int(sealed.byteLength)]! ^= 1 << r.int(8)
        expect(() => k.chacha20poly1305Decrypt(key, nonce, ad, sealed)).toThrow('cannot be decrypted')
      }
    })

    it('XSalsa20 equals crypto_stream_xor (seed 82)', () => {
      const r = rng(82)
      for (let i = 0; i < 600; i++) {
        const key = r.bytes(32)
        const nonce = r.bytes(24)
        const data = unaligned(r, length(r))
        const want = Buffer.alloc(data.byteLength)
        na.crypto_stream_xor(want, buf(data), buf(nonce), buf(key))
        expect(hex(k.xsalsa20Xor(data, nonce, key, new Uint8Array(data.byteLength)))).toBe(
          want.toString('hex')
        )
      }
    })

    it('secretbox equals crypto_secretbox_easy; forgeries are refused (seed 83)', () => {
      const r = rng(83)
      for (let i = 0; i < 600; i++) {
        const key = r.bytes(32)
        const nonce = r.bytes(24)
        const message = unaligned(r, length(r))
        const want = Buffer.alloc(message.byteLength + 16)
        na.crypto_secretbox_easy(want, buf(message), buf(nonce), buf(key))
        const box = k.secretboxEasy(message, nonce, key)
        expect(hex(box)).toBe(want.toString('hex'))
        expect(hex(k.secretboxOpenEasy(box, nonce, key))).toBe(hex(message))
        box[r.int(box.byteLength)]! ^= 1 << r.int(8)
        expect(() => k.secretboxOpenEasy(box, nonce, key)).toThrow('cannot be decrypted')
      }
    })

    it('secretstream interoperates with sodium-native both ways, every tag, rekeys included (seed 84)', () => {
      const r = rng(84)
      const STATE = na.crypto_secretstream_xchacha20poly1305_STATEBYTES as number
      for (let s = 0; s < 10; s++) {
        const key = r.bytes(32)
        const native = Buffer.alloc(STATE)
        const header = Buffer.alloc(24)
        na.crypto_secretstream_xchacha20poly1305_init_push(native, header, buf(key))
        const nativePull = Buffer.alloc(STATE)
        na.crypto_secretstream_xchacha20poly1305_init_pull(nativePull, header, buf(key))
        const oursPull = k.secretStream(key, header)
        const oursPush = k.secretStream(key, header)
        for (let i = 0; i < 60; i++) {
          const message = unaligned(r, length(r))
          const tag = [0, 0, 0, 1, 2, 3][r.int(6)]!
          const ct = Buffer.alloc(message.byteLength + 17)
          na.crypto_secretstream_xchacha20poly1305_push(native, ct, buf(message), null, tag)
          // A forgery first: refused, and the stream still pulls the real message after it.
          const forged = new Uint8Array(ct)
          forged[r.int(forged.byteLength)]! ^= 1 << r.int(8)
          expect(() => oursPull.pull(forged)).toThrow('failed authentication')
          expect(oursPull.pull(ct)).toEqual({ message: new Uint8Array(message), tag })
          const ours = oursPush.push(message, tag, undefined)
          expect(hex(ours)).toBe(ct.toString('hex'))
          const m = Buffer.alloc(message.byteLength)
          const t = Buffer.alloc(1)
          na.crypto_secretstream_xchacha20poly1305_pull(nativePull, m, t, buf(ours), null)
          expect([m.toString('hex'), t[0]]).toEqual([hex(message), tag])
        }
      }
    })
  })
}
