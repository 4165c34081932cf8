/**
 * Signatures, Noise DH and the ciphers against sodium-native, hypercore-crypto and noise-curve-ed,
 * ≥ 1 000 seeded random inputs each, on every backend (helpers.ts `BACKENDS`): libsodium; our kernel's
 * ciphers with @noble Ed25519 and WebCrypto for signAsync/verifyAsync; all @noble.
 */
import { ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js'
import { beforeAll, describe, expect, it } from 'vitest'
import * as c from '../src/index.ts'
import { BACKENDS, fromHex, hex, rng } from './helpers.ts'
import { buf, curve, hc, na } from './oracles.ts'

const N = 1000

/** sodium-native's answer for a DH, or null where libsodium refuses the point. */
function nativeDh(publicKey: Uint8Array, secretKey: Uint8Array): string | null {
  try {
    return hex(curve.dh(buf(publicKey), { secretKey: buf(secretKey) }))
  } catch {
    return null
  }
}

function oursDh(publicKey: Uint8Array, secretKey: Uint8Array): string | null {
  try {
    return hex(c.ed25519Dh(publicKey, secretKey))
  } catch (err) {
    expect(err).toBeInstanceOf(c.InvalidPointError)
    return null
  }
}

/** Encodings libsodium must refuse: the 8 torsion points, with the sign bit set too, and y ≥ p. */
function weakPoints(): Uint8Array[] {
  const list: Uint8Array[] = []
  for (const h of ED25519_TORSION_SUBGROUP) {
    const p = fromHex(h)
    list.push(p)
    const flipped = p.slice()
    flipped[31]! ^= 0x80
    list.push(flipped)
  }
  for (let k = 0; k < 19; k++) {
    const p = new Uint8Array(32).fill(0xff) // y = p + k (non-canonical), both signs
    p[0] = 0xed + k
    p[31] = 0x7f
    list.push(p, p.slice().fill(0xff, 31))
  }
  return list
}

/** Valid, tampered and malformed signatures with sodium-native's verdicts (the verify tests' cases). */
function verifyCases(seed: number) {
  const r = rng(seed)
  const weak = weakPoints()
  return Array.from({ length: N }, () => {
    const kp = hc.keyPair(buf(r.bytes(32)))
    const message = r.bytes(r.length(300))
    let sig = new Uint8Array(hc.sign(buf(message), kp.secretKey))
    let pk = new Uint8Array(kp.publicKey)
    let msg = message
    switch (r.int(7)) {
      case 1: // flipped signature bit
        sig[r.int(64)]! ^= 1 << r.int(8)
        break
      case 2: // flipped message bit
        if (msg.byteLength > 0) msg = msg.slice()
        if (msg.byteLength > 0) msg[r.int(msg.byteLength)]! ^= 1
        break
      case 3: // S + L: same point equation, non-canonical scalar
        sig = addOrder(sig)
        break
      case 4: // weak public key or R
        if (r.int(2) === 0) pk = weak[r.int(weak.length)]!
        else sig.set(weak[r.int(weak.length)]!, 0)
        break
      case 5: // random public key (often not on the curve)
        pk = r.bytes(32)
        break
    }
    const want = na.crypto_sign_verify_detached(buf(sig), buf(msg), buf(pk))
    return { msg, sig, pk, want }
  })
}

for (const setup of BACKENDS) {
  describe(`primitives on the ${setup.label} equal the native packages`, () => {
    beforeAll(async () => {
      await c.ready(setup.options)
      expect([c.backend(), c.primitivesBackend()]).toEqual([setup.backend, setup.primitives])
    })

    it('keyPair(seed) equals hypercore-crypto; random key pairs are well formed (seed 21)', () => {
      const r = rng(21)
      for (let i = 0; i < N; i++) {
        const seed = r.bytes(32)
        const ours = c.keyPair(seed)
        const want = hc.keyPair(buf(seed))
        expect(hex(ours.publicKey)).toBe(want.publicKey.toString('hex'))
        expect(hex(ours.secretKey)).toBe(want.secretKey.toString('hex'))
      }
      const random = c.keyPair()
      expect(random.secretKey.byteLength).toBe(64)
      expect(hex(random.secretKey.subarray(32))).toBe(hex(random.publicKey))
      expect(hc.validateKeyPair({ publicKey: buf(random.publicKey), secretKey: buf(random.secretKey) })).toBe(
        true
      )
    })

    it('sign equals hypercore-crypto (seed 22)', () => {
      const r = rng(22)
      for (let i = 0; i < N; i++) {
        const { secretKey } = hc.keyPair(buf(r.bytes(32)))
        const message = r.bytes(r.length(400))
        expect(hex(c.sign(message, secretKey))).toBe(hc.sign(buf(message), secretKey).toString('hex'))
      }
    })

    it('verify agrees with sodium-native on valid, tampered and malformed signatures (seed 23)', () => {
      const cases = verifyCases(23)
      for (const { msg, sig, pk, want } of cases) expect(c.verify(msg, sig, pk)).toBe(want)
      expect(cases.filter((t) => t.want).length).toBeGreaterThan(N / 4)
    })

    it('signAsync equals hypercore-crypto, also for a secret key whose halves disagree (seed 29)', async () => {
      const r = rng(29)
      for (let i = 0; i < N; i++) {
        const { secretKey } = hc.keyPair(buf(r.bytes(32)))
        // libsodium hashes the public half as given: a mismatched one changes the signature.
        if (i % 10 === 0) secretKey.set(hc.keyPair(buf(r.bytes(32))).publicKey, 32)
        const message = r.bytes(r.length(400))
        const want = Buffer.alloc(64)
        na.crypto_sign_detached(want, buf(message), secretKey)
        expect(hex(await c.signAsync(message, secretKey))).toBe(want.toString('hex'))
      }
    })

    it('verifyAsync agrees with sodium-native on the same cases as verify (seed 23)', async () => {
      const cases = verifyCases(23)
      const got = await Promise.all(cases.map(({ msg, sig, pk }) => c.verifyAsync(msg, sig, pk)))
      expect(got).toEqual(cases.map((t) => t.want))
      expect(await c.verifyAsync(cases[0]!.msg, cases[0]!.sig.subarray(1), cases[0]!.pk)).toBe(false)
    })

    it("ed25519Dh equals noise-curve-ed's dh for random keys (seed 24)", () => {
      const r = rng(24)
      for (let i = 0; i < N; i++) {
        const a = hc.keyPair(buf(r.bytes(32)))
        const b = hc.keyPair(buf(r.bytes(32)))
        const ours = c.ed25519Dh(b.publicKey, a.secretKey)
        expect(hex(ours)).toBe(nativeDh(b.publicKey, a.secretKey))
        expect(hex(ours)).toBe(hex(c.ed25519Dh(a.publicKey, b.secretKey)))
      }
    })

    it('ed25519Dh refuses exactly what libsodium refuses: weak, non-canonical, off-curve points (seed 25)', () => {
      const r = rng(25)
      const { secretKey } = hc.keyPair(buf(r.bytes(32)))
      const weak = weakPoints()
      for (const p of weak) {
        expect(nativeDh(p, secretKey)).toBeNull()
        expect(() => c.ed25519Dh(p, secretKey)).toThrow(c.InvalidPointError)
      }
      let refused = 0
      for (let i = 0; i < N; i++) {
        // Random encodings: about half are not on the curve; most on-curve ones have a torsion part.
        const p = r.bytes(32)
        const want = nativeDh(p, secretKey)
        expect(oursDh(p, secretKey)).toBe(want)
        if (want === null) refused++
      }
      expect(refused).toBeGreaterThan(N / 4)
    })

    it('chacha20poly1305 equals sodium-native; forgeries throw DecryptionError (seed 26)', () => {
      const r = rng(26)
      for (let i = 0; i < N; i++) {
        const key = r.bytes(32)
        const nonce = r.bytes(12)
        const ad = r.bytes(r.length(80))
        const plaintext = r.bytes(r.length(600))
        const want = Buffer.alloc(plaintext.byteLength + 16)
        na.crypto_aead_chacha20poly1305_ietf_encrypt(
          want,
          buf(plaintext),
          buf(ad),
          null,
          buf(nonce),
          buf(key)
        )
        const ours = c.chacha20poly1305Encrypt(key, nonce, ad, plaintext)
        expect(hex(ours)).toBe(want.toString('hex'))
        expect(hex(c.chacha20poly1305Decrypt(key, nonce, ad, want))).toBe(hex(plaintext))
        const forged = ours.slice()
        forged[r.int(forged.byteLength)]! ^= 1 << r.int(8)
        expect(() => c.chacha20poly1305Decrypt(key, nonce, ad, forged)).toThrow(c.DecryptionError)
      }
    })

    it('xsalsa20Xor equals crypto_stream_xor, also in place (seed 27)', () => {
      const r = rng(27)
      for (let i = 0; i < N; i++) {
        const key = r.bytes(32)
        const nonce = r.bytes(24)
        const data = r.bytes(r.length(1000))
        const want = Buffer.alloc(data.byteLength)
        na.crypto_stream_xor(want, buf(data), buf(nonce), buf(key))
        expect(hex(c.xsalsa20Xor(data, nonce, key))).toBe(want.toString('hex'))
        const inPlace = data.slice()
        expect(c.xsalsa20Xor(inPlace, nonce, key, inPlace)).toBe(inPlace)
        expect(hex(inPlace)).toBe(want.toString('hex'))
      }
    })

    it('secretbox equals crypto_secretbox_easy; open round-trips; forgeries throw (seed 28)', () => {
      const r = rng(28)
      for (let i = 0; i < N; i++) {
        const key = r.bytes(32)
        const nonce = r.bytes(24)
        const message = r.bytes(r.length(500))
        const want = Buffer.alloc(message.byteLength + 16)
        na.crypto_secretbox_easy(want, buf(message), buf(nonce), buf(key))
        const box = c.secretboxEasy(message, nonce, key)
        expect(hex(box)).toBe(want.toString('hex'))
        expect(hex(c.secretboxOpenEasy(want, nonce, key))).toBe(hex(message))
        box[r.int(box.byteLength)]! ^= 1 << r.int(8)
        expect(() => c.secretboxOpenEasy(box, nonce, key)).toThrow(c.DecryptionError)
      }
    })
  })
}

const L = 2n ** 252n + 27742317777372353535851937790883648493n

/** Adds the group order to S (little-endian), giving a non-canonical but equivalent scalar. */
function addOrder(sig: Uint8Array): Uint8Array {
  let s = 0n
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(sig[i]!)
  s += L
  const out = sig.slice()
  for (let i = 32; i < 64; i++) {
    out[i] = Number(s & 0xffn)
    s >>= 8n
  }
  return out
}
