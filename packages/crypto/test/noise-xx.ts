/**
 * A minimal Noise XX (Noise_XX_Ed25519_ChaChaPoly_BLAKE2b, empty prologue and payloads) written
 * against our primitives, only to reproduce @hyperswarm/secret-stream's handshake vector
 * (holepunch-formats §5.6) end to end. Not a library: the real one lives in @orchard/wire.
 */
import type * as Crypto from '../src/index.ts'

type C = typeof Crypto
type KeyPair = Crypto.KeyPair

const NAME = new TextEncoder().encode('Noise_XX_Ed25519_ChaChaPoly_BLAKE2b')

class Symmetric {
  h: Uint8Array = new Uint8Array(64)
  ck: Uint8Array
  k: Uint8Array | null = null
  n = 0

  private readonly c: C

  constructor(c: C) {
    this.c = c
    this.h.set(NAME)
    this.ck = this.h.slice()
    this.mixHash(new Uint8Array(0)) // the (empty) prologue
  }

  mixHash(data: Uint8Array): void {
    this.h = this.c.blake2bBatch([this.h, data], 64)
  }

  hkdf(ikm: Uint8Array): [Uint8Array, Uint8Array] {
    const prk = this.c.hmacBlake2b512(this.ck, ikm)
    const t1 = this.c.hmacBlake2b512(prk, new Uint8Array([1]))
    const t2 = this.c.hmacBlake2b512(prk, [t1, new Uint8Array([2])])
    return [t1, t2]
  }

  mixKey(dh: Uint8Array): void {
    const [t1, t2] = this.hkdf(dh)
    this.ck = t1
    this.k = t2.slice(0, 32)
    this.n = 0
  }

  private nonce(): Uint8Array {
    const nonce = new Uint8Array(12)
    new DataView(nonce.buffer).setUint32(4, this.n, true)
    return nonce
  }

  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    let out = plaintext
    if (this.k) out = this.c.chacha20poly1305Encrypt(this.k, this.nonce(), this.h, plaintext)
    if (this.k) this.n++
    this.mixHash(out)
    return out
  }

  decryptAndHash(ciphertext: Uint8Array): Uint8Array {
    let out = ciphertext
    if (this.k) out = this.c.chacha20poly1305Decrypt(this.k, this.nonce(), this.h, ciphertext)
    if (this.k) this.n++
    this.mixHash(ciphertext)
    return out
  }

  split(): [Uint8Array, Uint8Array] {
    const [t1, t2] = this.hkdf(new Uint8Array(0))
    return [t1.slice(0, 32), t2.slice(0, 32)]
  }
}

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let off = 0
  for (const p of parts) {
    out.set(p, off)
    off += p.byteLength
  }
  return out
}

/** Runs XX between two parties with fixed static and ephemeral keys; returns the messages and results. */
export function runXX(c: C, keys: { si: KeyPair; sr: KeyPair; ei: KeyPair; er: KeyPair }) {
  const { si, sr, ei, er } = keys
  const I = new Symmetric(c)
  const R = new Symmetric(c)

  // -> e
  I.mixHash(ei.publicKey)
  const msg1 = concat(ei.publicKey, I.encryptAndHash(new Uint8Array(0)))
  R.mixHash(msg1.subarray(0, 32))
  R.decryptAndHash(msg1.subarray(32))

  // <- e, ee, s, es
  R.mixHash(er.publicKey)
  R.mixKey(c.ed25519Dh(ei.publicKey, er.secretKey))
  const encS = R.encryptAndHash(sr.publicKey)
  R.mixKey(c.ed25519Dh(ei.publicKey, sr.secretKey))
  const msg2 = concat(er.publicKey, encS, R.encryptAndHash(new Uint8Array(0)))
  I.mixHash(msg2.subarray(0, 32))
  I.mixKey(c.ed25519Dh(msg2.subarray(0, 32), ei.secretKey))
  const remoteStatic = I.decryptAndHash(msg2.subarray(32, 80))
  I.mixKey(c.ed25519Dh(remoteStatic, ei.secretKey))
  I.decryptAndHash(msg2.subarray(80))

  // -> s, se
  const encSi = I.encryptAndHash(si.publicKey)
  I.mixKey(c.ed25519Dh(er.publicKey, si.secretKey))
  const msg3 = concat(encSi, I.encryptAndHash(new Uint8Array(0)))
  const initiatorStatic = R.decryptAndHash(msg3.subarray(0, 48))
  R.mixKey(c.ed25519Dh(initiatorStatic, er.secretKey))
  R.decryptAndHash(msg3.subarray(48))

  const [itx, irx] = I.split()
  const [rk1, rk2] = R.split()
  return {
    msg1,
    msg2,
    msg3,
    hash: I.h,
    responderHash: R.h,
    itx,
    irx,
    rrx: rk1,
    rtx: rk2,
    remoteStatic,
    initiatorStatic
  }
}
