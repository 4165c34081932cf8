/**
 * signAsync / verifyAsync beyond equal outputs (oracle-primitives.test.ts checks those on every
 * backend): on the kernel primitives they really run on WebCrypto; libsodium's refusals that
 * WebCrypto does not make are made first; a platform without Ed25519 falls back to the synchronous
 * path; cached keys follow a secret key overwritten in place; inputs are copied before any await.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { nobleEd25519 } from '../src/ed25519-noble.ts'
import { webCryptoSignatures } from '../src/ed25519-webcrypto.ts'
import * as c from '../src/index.ts'
import { hex, rng } from './helpers.ts'
import { buf, na } from './oracles.ts'

function nativeSign(message: Uint8Array, secretKey: Uint8Array): string {
  const out = Buffer.alloc(64)
  na.crypto_sign_detached(out, buf(message), buf(secretKey))
  return out.toString('hex')
}

/** The identity point (y = 1) and a signature (R = identity, S = 0) valid for it under any message. */
function identityForgery() {
  const identity = new Uint8Array(32)
  identity[0] = 1
  const signature = new Uint8Array(64)
  signature[0] = 1
  return { identity, signature }
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('on the kernel primitives (the browser default)', () => {
  beforeAll(async () => {
    await c.ready({ backend: 'wasm', libsodium: false })
    expect(c.primitivesBackend()).toBe('kernel')
  })

  it('signAsync and verifyAsync run on WebCrypto, with libsodium’s results', async () => {
    const sign = vi.spyOn(crypto.subtle, 'sign')
    const verify = vi.spyOn(crypto.subtle, 'verify')
    const r = rng(61)
    const { secretKey, publicKey } = c.keyPair(r.bytes(32))
    const message = r.bytes(112)
    const signature = await c.signAsync(message, secretKey)
    expect(hex(signature)).toBe(nativeSign(message, secretKey))
    expect(await c.verifyAsync(message, signature, publicKey)).toBe(true)
    expect(sign).toHaveBeenCalled()
    expect(verify).toHaveBeenCalled()
  })

  it('verifyAsync refuses the small-order-key forgery that WebCrypto alone accepts', async () => {
    const { identity, signature } = identityForgery()
    const message = new Uint8Array([1, 2, 3])
    // Why the pre-checks exist: the platform's Ed25519 (OpenSSL here) takes this signature.
    const raw = await crypto.subtle.importKey('raw', identity, 'Ed25519', false, ['verify'])
    expect(await crypto.subtle.verify('Ed25519', raw, signature, message)).toBe(true)
    expect(na.crypto_sign_verify_detached(buf(signature), buf(message), buf(identity))).toBe(false)
    expect(await c.verifyAsync(message, signature, identity)).toBe(false)
    // The same identity, encoded non-canonically (y = p + 1).
    const nonCanonical = new Uint8Array(32).fill(0xff)
    nonCanonical[0] = 0xee
    nonCanonical[31] = 0x7f
    expect(na.crypto_sign_verify_detached(buf(signature), buf(message), buf(nonCanonical))).toBe(false)
    expect(await c.verifyAsync(message, signature, nonCanonical)).toBe(false)
  })

  it('a secret key overwritten in place signs with its new contents', async () => {
    const r = rng(62)
    const secretKey = c.keyPair(r.bytes(32)).secretKey
    const message = r.bytes(40)
    expect(hex(await c.signAsync(message, secretKey))).toBe(nativeSign(message, secretKey))
    secretKey.set(c.keyPair(r.bytes(32)).secretKey)
    expect(hex(await c.signAsync(message, secretKey))).toBe(nativeSign(message, secretKey))
  })

  it('copies its inputs at the call: overwriting them while it waits changes nothing', async () => {
    const r = rng(63)
    const { secretKey, publicKey } = c.keyPair(r.bytes(32))
    const message = r.bytes(64)
    const want = nativeSign(message, secretKey)
    const signing = c.signAsync(message, secretKey)
    const original = message.slice()
    message.fill(0)
    secretKey.fill(0)
    const signature = await signing
    expect(hex(signature)).toBe(want)
    const verifying = c.verifyAsync(original, signature, publicKey)
    original.fill(1)
    signature.fill(2)
    expect(await verifying).toBe(true)
  })
})

describe('where WebCrypto has no Ed25519', () => {
  it('signAsync and verifyAsync give the synchronous results without calling it again', async () => {
    await c.ready({ backend: 'wasm', libsodium: false })
    const importKey = vi
      .spyOn(crypto.subtle, 'importKey')
      .mockRejectedValue(new DOMException('Unrecognized name.', 'NotSupportedError'))
    const sign = vi.spyOn(crypto.subtle, 'sign')
    const fns = webCryptoSignatures(nobleEd25519)
    const r = rng(64)
    const { secretKey, publicKey } = c.keyPair(r.bytes(32))
    for (let i = 0; i < 20; i++) {
      const message = r.bytes(r.length(200))
      const signature = await fns.signAsync(message, secretKey)
      expect(hex(signature)).toBe(nativeSign(message, secretKey))
      expect(await fns.verifyAsync(message, signature, publicKey)).toBe(true)
      signature[0]! ^= 1
      expect(await fns.verifyAsync(message, signature, publicKey)).toBe(false)
    }
    const { identity, signature } = identityForgery()
    expect(await fns.verifyAsync(new Uint8Array(3), signature, identity)).toBe(false)
    expect(importKey).toHaveBeenCalledTimes(1) // the self-test, once
    expect(sign).not.toHaveBeenCalled()
  })
})

describe('on libsodium (the Node default)', () => {
  it('signAsync and verifyAsync are sign and verify: no WebCrypto', async () => {
    await c.ready()
    expect([c.backend(), c.primitivesBackend()]).toEqual(['wasm', 'libsodium'])
    const sign = vi.spyOn(crypto.subtle, 'sign')
    const { secretKey, publicKey } = c.keyPair(new Uint8Array(32).fill(3))
    const signature = await c.signAsync(new Uint8Array(5), secretKey)
    expect(hex(signature)).toBe(hex(c.sign(new Uint8Array(5), secretKey)))
    expect(await c.verifyAsync(new Uint8Array(5), signature, publicKey)).toBe(true)
    expect(sign).not.toHaveBeenCalled()
  })
})
