/**
 * The Noise handshake secret-stream uses: `Noise_XX_Ed25519_ChaChaPoly_BLAKE2b` with an empty
 * prologue and empty payloads, Ed25519 static and ephemeral keys, and noise-curve-ed's DH (an
 * Ed25519 point times the clamped scalar of the secret key's seed). BLAKE2b-512 hashing,
 * HMAC-BLAKE2b HKDF, ChaCha20-Poly1305 with 64-bit little-endian counters. The IK pattern (the
 * initiator knows the responder's static key, as HyperDHT connects) is supported too.
 */

import {
  blake2bBatch,
  chacha20poly1305Decrypt,
  chacha20poly1305Encrypt,
  ed25519Dh,
  keyPair as generateKeyPair,
  hmacBlake2b512,
  type KeyPair
} from '@orchard/crypto'
import { concat } from './bytes.ts'
import { WireError } from './errors.ts'

/**
 * A Noise handshake pattern: `XX` (secret-stream's default, keys exchanged in the handshake) or `IK` (the
 * initiator already knows the responder's key, as HyperDHT connects).
 */
export type Pattern = 'XX' | 'IK'

const EMPTY = new Uint8Array(0)
const DHLEN = 32
const MACLEN = 16

type Token = 'e' | 's' | 'ee' | 'es' | 'se' | 'ss'

const PATTERNS: Record<Pattern, { pre: { responderStatic: boolean }; messages: Token[][] }> = {
  XX: { pre: { responderStatic: false }, messages: [['e'], ['e', 'ee', 's', 'es'], ['s', 'se']] },
  IK: {
    pre: { responderStatic: true },
    messages: [
      ['e', 'es', 's', 'ss'],
      ['e', 'ee', 'se']
    ]
  }
}

/** The handshake's symmetric state: chaining key, handshake hash, cipher key and nonce. */
class SymmetricState {
  h: Uint8Array
  ck: Uint8Array
  k: Uint8Array | null = null
  n = 0
  readonly #nonce = new Uint8Array(12)

  constructor(protocolName: string) {
    const name = new TextEncoder().encode(protocolName)
    this.h = new Uint8Array(64)
    if (name.byteLength <= 64) this.h.set(name)
    else this.h = blake2bBatch([name], 64)
    this.ck = this.h.slice()
  }

  mixHash(data: Uint8Array): void {
    this.h = blake2bBatch([this.h, data], 64)
  }

  #hkdf(ikm: Uint8Array): [Uint8Array, Uint8Array] {
    const prk = hmacBlake2b512(this.ck, ikm)
    const t1 = hmacBlake2b512(prk, ONE)
    const t2 = hmacBlake2b512(prk, [t1, TWO])
    return [t1, t2]
  }

  mixKey(ikm: Uint8Array): void {
    const [t1, t2] = this.#hkdf(ikm)
    this.ck = t1
    this.k = t2.subarray(0, 32)
    this.n = 0
  }

  #nextNonce(): Uint8Array {
    new DataView(this.#nonce.buffer).setUint32(4, this.n, true)
    this.n++
    return this.#nonce
  }

  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    const out = this.k ? chacha20poly1305Encrypt(this.k, this.#nextNonce(), this.h, plaintext) : plaintext
    this.mixHash(out)
    return out
  }

  decryptAndHash(ciphertext: Uint8Array): Uint8Array {
    let out = ciphertext
    if (this.k) {
      try {
        out = chacha20poly1305Decrypt(this.k, this.#nextNonce(), this.h, ciphertext)
      } catch (err) {
        throw new WireError('HANDSHAKE_FAILED', 'a handshake message failed authentication', { cause: err })
      }
    }
    this.mixHash(ciphertext)
    return out
  }

  split(): [Uint8Array, Uint8Array] {
    const [t1, t2] = this.#hkdf(EMPTY)
    return [t1.slice(0, 32), t2.slice(0, 32)]
  }
}

const ONE = new Uint8Array([1])
const TWO = new Uint8Array([2])

/** The result of a completed handshake. */
export interface HandshakeResult {
  /** Key for what we send. */
  tx: Uint8Array
  /** Key for what we receive. */
  rx: Uint8Array
  /** The final handshake hash (64 bytes): binds the session for stream ids and capabilities. */
  hash: Uint8Array
  /** Our static public key. */
  publicKey: Uint8Array
  /** The remote's static public key, authenticated by the handshake. */
  remotePublicKey: Uint8Array
}

/** Options of a {@link NoiseHandshake}. */
export interface NoiseOptions {
  /** The handshake pattern. Default `'XX'`. */
  pattern?: Pattern
  /** The responder's static key (IK initiators). */
  remotePublicKey?: Uint8Array | null
  /** Test-only: a fixed ephemeral key pair. */
  ephemeral?: KeyPair
  /** Bytes both sides mix in first; a mismatch fails the handshake. Default empty (as secret-stream). */
  prologue?: Uint8Array
}

/** One side of a Noise handshake: `send()` and `recv()` alternate until `result` is set. */
export class NoiseHandshake {
  /** True on the side that sends the first message. */
  readonly isInitiator: boolean
  /** The pattern being run. */
  readonly pattern: Pattern
  /** The keys and hash, once the handshake completed; null before. */
  result: HandshakeResult | null = null
  readonly #s: KeyPair
  #e: KeyPair | null
  #rs: Uint8Array | null
  #re: Uint8Array | null = null
  readonly #sym: SymmetricState
  readonly #messages: Token[][]
  #step = 0

  /** One side of a handshake authenticated by `staticKeyPair`. */
  constructor(isInitiator: boolean, staticKeyPair: KeyPair, opts: NoiseOptions = {}) {
    this.isInitiator = isInitiator
    this.pattern = opts.pattern ?? 'XX'
    this.#s = staticKeyPair
    this.#e = opts.ephemeral ?? null
    this.#rs = opts.remotePublicKey ?? null
    const p = PATTERNS[this.pattern]
    this.#messages = p.messages
    this.#sym = new SymmetricState(`Noise_${this.pattern}_Ed25519_ChaChaPoly_BLAKE2b`)
    this.#sym.mixHash(opts.prologue ?? EMPTY)
    if (p.pre.responderStatic) {
      const rs = isInitiator ? this.#rs : this.#s.publicKey
      if (!rs) throw new WireError('HANDSHAKE_FAILED', 'the IK pattern needs the responder’s public key')
      this.#sym.mixHash(rs)
    }
  }

  /** Whether it is our turn to send. */
  get sending(): boolean {
    return this.#step % 2 === (this.isInitiator ? 0 : 1)
  }

  /**
   * The remote's static public key as soon as the handshake revealed it (IK: the initiator knows it from
   * the start, the responder after the first message); null before.
   */
  get remotePublicKey(): Uint8Array | null {
    return this.#rs
  }

  /** True once the handshake completed and `result` is set. */
  get complete(): boolean {
    return this.result !== null
  }

  #dh(token: Token): Uint8Array {
    const local = token[this.isInitiator ? 0 : 1] === 'e' ? this.#e : this.#s
    const remote = token[this.isInitiator ? 1 : 0] === 'e' ? this.#re : this.#rs
    if (!local || !remote) throw new WireError('HANDSHAKE_FAILED', `missing key for ${token}`)
    try {
      return ed25519Dh(remote, local.secretKey)
    } catch (err) {
      throw new WireError('HANDSHAKE_FAILED', 'the remote sent an invalid public key', { cause: err })
    }
  }

  /** Our next handshake message (payload empty unless given). */
  send(payload: Uint8Array = EMPTY): Uint8Array {
    if (!this.sending || this.complete) throw new WireError('HANDSHAKE_FAILED', 'not our turn to send')
    const parts: Uint8Array[] = []
    for (const token of this.#messages[this.#step]!) {
      if (token === 'e') {
        this.#e ??= generateKeyPair()
        parts.push(this.#e.publicKey)
        this.#sym.mixHash(this.#e.publicKey)
      } else if (token === 's') {
        parts.push(this.#sym.encryptAndHash(this.#s.publicKey))
      } else {
        this.#sym.mixKey(this.#dh(token))
      }
    }
    parts.push(this.#sym.encryptAndHash(payload))
    this.#advance()
    return concat(parts)
  }

  /** Processes the remote's handshake message; returns its payload. */
  recv(message: Uint8Array): Uint8Array {
    if (this.sending || this.complete) throw new WireError('HANDSHAKE_FAILED', 'unexpected handshake message')
    let offset = 0
    const take = (n: number) => {
      if (message.byteLength - offset < n)
        throw new WireError('HANDSHAKE_FAILED', 'handshake message too short')
      const out = message.subarray(offset, offset + n)
      offset += n
      return out
    }
    for (const token of this.#messages[this.#step]!) {
      if (token === 'e') {
        this.#re = take(DHLEN).slice()
        this.#sym.mixHash(this.#re)
      } else if (token === 's') {
        this.#rs = this.#sym.decryptAndHash(take(this.#sym.k ? DHLEN + MACLEN : DHLEN)).slice()
      } else {
        this.#sym.mixKey(this.#dh(token))
      }
    }
    const payload = this.#sym.decryptAndHash(message.subarray(offset))
    this.#advance()
    return payload
  }

  #advance(): void {
    this.#step++
    if (this.#step < this.#messages.length) return
    const [k1, k2] = this.#sym.split()
    this.result = {
      tx: this.isInitiator ? k1 : k2,
      rx: this.isInitiator ? k2 : k1,
      hash: this.#sym.h.slice(),
      publicKey: this.#s.publicKey,
      remotePublicKey: this.#rs!
    }
  }
}
