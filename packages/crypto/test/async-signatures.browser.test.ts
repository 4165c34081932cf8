/**
 * signAsync / verifyAsync in Chromium, where they run on BoringSSL's Ed25519 through WebCrypto:
 * the same signatures as libsodium, and libsodium's decisions on the edge cases where Ed25519
 * implementations differ (small-order and non-canonical keys and R, non-canonical S), with
 * libsodium itself (libsodium-wrappers-sumo, in this page) as the oracle.
 */
import { ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js'
import sodium from 'libsodium-wrappers-sumo'
import { afterEach, beforeAll, expect, it, vi } from 'vitest'
import * as c from '../src/index.ts'
import { fromHex, hex, rng } from './helpers.ts'

const L = 2n ** 252n + 27742317777372353535851937790883648493n

function withS(sig: Uint8Array, s: bigint): Uint8Array {
  const out = sig.slice()
  for (let i = 32; i < 64; i++) {
    out[i] = Number(s & 0xffn)
    s >>= 8n
  }
  return out
}

function sOf(sig: Uint8Array): bigint {
  let s = 0n
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(sig[i]!)
  return s
}

/** The 8 torsion points with both sign bits, and non-canonical encodings y = p + k. */
function weakPoints(): Uint8Array[] {
  const list: Uint8Array[] = []
  for (const h of ED25519_TORSION_SUBGROUP) {
    const p = fromHex(h)
    const flipped = p.slice()
    flipped[31]! ^= 0x80
    list.push(p, flipped)
  }
  for (let k = 0; k < 19; k++) {
    const p = new Uint8Array(32).fill(0xff)
    p[0] = 0xed + k
    p[31] = 0x7f
    list.push(p, p.slice().fill(0xff, 31))
  }
  return list
}

beforeAll(async () => {
  await sodium.ready
  await c.ready()
  expect(c.primitivesBackend()).toBe('kernel')
})

afterEach(() => {
  vi.restoreAllMocks()
})

it('signs with WebCrypto: the signatures libsodium makes (seed 71)', async () => {
  const sign = vi.spyOn(crypto.subtle, 'sign')
  const r = rng(71)
  for (let i = 0; i < 200; i++) {
    const kp = sodium.crypto_sign_seed_keypair(r.bytes(32))
    const message = r.bytes(r.length(300))
    const want = sodium.crypto_sign_detached(message, kp.privateKey)
    expect(hex(await c.signAsync(message, kp.privateKey))).toBe(hex(want))
  }
  expect(sign).toHaveBeenCalled()
})

it('verifies with WebCrypto, deciding every edge case as libsodium does (seed 72)', async () => {
  const verify = vi.spyOn(crypto.subtle, 'verify')
  const r = rng(72)
  const weak = weakPoints()
  const cases: { msg: Uint8Array; sig: Uint8Array; pk: Uint8Array }[] = []
  for (let i = 0; i < 600; i++) {
    const kp = sodium.crypto_sign_seed_keypair(r.bytes(32))
    const msg = r.bytes(r.length(200))
    let sig = sodium.crypto_sign_detached(msg, kp.privateKey)
    let pk = kp.publicKey
    switch (i % 6) {
      case 1: // S + L and S + 2L: the same equation, non-canonical S
        sig = withS(sig, sOf(sig) + L * BigInt(1 + r.int(2)))
        break
      case 2: // a weak public key
        pk = weak[r.int(weak.length)]!
        break
      case 3: // a weak R
        sig.set(weak[r.int(weak.length)]!, 0)
        break
      case 4: // a small-order key with R = identity and S = 0: valid for cofactorless equations
        pk = weak[r.int(16)]!
        sig = new Uint8Array(64)
        sig[0] = 1
        break
      case 5: // random bytes as the key
        pk = r.bytes(32)
        break
    }
    cases.push({ msg, sig, pk })
  }
  const want = cases.map(({ msg, sig, pk }) => sodium.crypto_sign_verify_detached(sig, msg, pk))
  const got = await Promise.all(cases.map(({ msg, sig, pk }) => c.verifyAsync(msg, sig, pk)))
  expect(got).toEqual(want)
  expect(want.filter(Boolean).length).toBeGreaterThan(50)
  expect(verify).toHaveBeenCalled()
})
