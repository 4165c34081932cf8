/**
 * Symmetric encryption the stack needs: ChaCha20-Poly1305 (IETF) for the Noise handshake,
 * libsodium's secretstream for secret-stream's data frames, XSalsa20 for hypercore block
 * encryption, and secretbox for the DHT.
 */
import { InvalidArgumentError, InvalidSizeError } from './errors.ts'
import { activePrimitives } from './state.ts'
import type { PullResult, SecretStreamState } from './types.ts'
import { assertBytes, assertSize } from './validate.ts'

/** `crypto_secretstream_xchacha20poly1305_HEADERBYTES`. */
export const SECRETSTREAM_HEADERBYTES = 24
/** `crypto_secretstream_xchacha20poly1305_ABYTES`: bytes a pushed message grows by. */
export const SECRETSTREAM_ABYTES = 17
/** `crypto_secretstream_xchacha20poly1305_KEYBYTES`. */
export const SECRETSTREAM_KEYBYTES = 32
/** Secretstream tag of an ordinary message. */
export const TAG_MESSAGE = 0
/** Secretstream tag marking the end of a set of messages (the stream goes on). */
export const TAG_PUSH = 1
/** Secretstream tag after which both sides rekey. */
export const TAG_REKEY = 2
/** Secretstream tag of the last message: after it, the stream rekeys and should be closed. */
export const TAG_FINAL = 3

/** ChaCha20-Poly1305 IETF encryption (32-byte key, 12-byte nonce): ciphertext ‖ 16-byte tag. */
export function chacha20poly1305Encrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  ad: Uint8Array,
  plaintext: Uint8Array
): Uint8Array {
  assertSize(key, 32, 'key')
  assertSize(nonce, 12, 'nonce')
  assertBytes(ad, 'ad')
  assertBytes(plaintext, 'plaintext')
  return activePrimitives().chacha20poly1305Encrypt(key, nonce, ad, plaintext)
}

/** ChaCha20-Poly1305 IETF decryption; throws `DecryptionError` if authentication fails. */
export function chacha20poly1305Decrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  ad: Uint8Array,
  ciphertext: Uint8Array
): Uint8Array {
  assertSize(key, 32, 'key')
  assertSize(nonce, 12, 'nonce')
  assertBytes(ad, 'ad')
  assertBytes(ciphertext, 'ciphertext')
  return activePrimitives().chacha20poly1305Decrypt(key, nonce, ad, ciphertext)
}

function assertTag(tag: number): void {
  if (!Number.isInteger(tag) || tag < 0 || tag > 255) throw new InvalidArgumentError('tag must be a byte')
}

/**
 * The sending half of `crypto_secretstream_xchacha20poly1305`. The header (random unless given —
 * giving one is for tests and vectors only) goes to the receiver before the first message.
 */
export class SecretStreamPush {
  /** The 24-byte header the receiver needs to initialise its `SecretStreamPull`. */
  readonly header: Uint8Array
  private readonly state: SecretStreamState

  /**
   * Starts a stream under the 32-byte `key`; the 24-byte `header` is random unless given (tests pass one to
   * reproduce vectors).
   */
  constructor(key: Uint8Array, header?: Uint8Array) {
    assertSize(key, SECRETSTREAM_KEYBYTES, 'key')
    if (header !== undefined) assertSize(header, SECRETSTREAM_HEADERBYTES, 'header')
    const prims = activePrimitives()
    // new Uint8Array(x) copies even when x is a Buffer (whose slice() would alias).
    this.header = header ? new Uint8Array(header) : prims.randomBytes(SECRETSTREAM_HEADERBYTES)
    this.state = prims.secretStream(key, this.header)
  }

  /**
   * Encrypts one message (no associated data): encrypted tag (1) ‖ ciphertext ‖ MAC (16).
   * `out`, if given, must be exactly `message.byteLength + 17` bytes and is returned.
   */
  push(message: Uint8Array, tag = TAG_MESSAGE, out?: Uint8Array): Uint8Array {
    assertBytes(message, 'message')
    assertTag(tag)
    if (out !== undefined) assertSize(out, message.byteLength + SECRETSTREAM_ABYTES, 'out')
    return this.state.push(message, tag, out)
  }
}

/** The receiving half of `crypto_secretstream_xchacha20poly1305`. */
export class SecretStreamPull {
  private readonly state: SecretStreamState

  /** Opens the receiving side of the stream that the sender's `header` started under `key`. */
  constructor(key: Uint8Array, header: Uint8Array) {
    assertSize(key, SECRETSTREAM_KEYBYTES, 'key')
    assertSize(header, SECRETSTREAM_HEADERBYTES, 'header')
    this.state = activePrimitives().secretStream(key, header)
  }

  /**
   * Decrypts and authenticates the next message. Throws `DecryptionError` on a forged, reordered
   * or truncated message; the stream state is then unchanged.
   *
   * `out`, if given, must be exactly `ciphertext.byteLength − 17` bytes and becomes the message:
   * either apart from the ciphertext, or the ciphertext's own message bytes
   * (`ciphertext.subarray(1, -16)`), decrypting in place as the real secret-stream does with what
   * it receives. On a failure `out` holds nothing of the message.
   */
  pull(ciphertext: Uint8Array, out?: Uint8Array): PullResult {
    assertBytes(ciphertext, 'ciphertext')
    if (out !== undefined) {
      assertSize(out, Math.max(0, ciphertext.byteLength - SECRETSTREAM_ABYTES), 'out')
      if (overlapsElsewhere(out, ciphertext)) {
        throw new InvalidArgumentError('out must be apart from the ciphertext or exactly its message bytes')
      }
    }
    return this.state.pull(ciphertext, out)
  }
}

/**
 * libsodium `crypto_stream_xor` (XSalsa20; 24-byte nonce, 32-byte key): `data` XOR keystream,
 * written to `out` (may be `data` itself, for in-place encryption) or a new array.
 */
export function xsalsa20Xor(
  data: Uint8Array,
  nonce: Uint8Array,
  key: Uint8Array,
  out?: Uint8Array
): Uint8Array {
  assertBytes(data, 'data')
  assertSize(nonce, 24, 'nonce')
  assertSize(key, 32, 'key')
  if (out !== undefined && (!(out instanceof Uint8Array) || out.byteLength !== data.byteLength)) {
    throw new InvalidSizeError('out', `${data.byteLength} bytes (the length of data)`, out?.byteLength ?? 0)
  }
  return activePrimitives().xsalsa20Xor(data, nonce, key, out ?? new Uint8Array(data.byteLength))
}

/** libsodium `crypto_secretbox_easy` (XSalsa20-Poly1305): 16-byte MAC ‖ ciphertext. */
export function secretboxEasy(message: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array {
  assertBytes(message, 'message')
  assertSize(nonce, 24, 'nonce')
  assertSize(key, 32, 'key')
  return activePrimitives().secretboxEasy(message, nonce, key)
}

/** libsodium `crypto_secretbox_open_easy`; throws `DecryptionError` if authentication fails. */
export function secretboxOpenEasy(box: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array {
  assertBytes(box, 'box')
  assertSize(nonce, 24, 'nonce')
  assertSize(key, 32, 'key')
  return activePrimitives().secretboxOpenEasy(box, nonce, key)
}

/** Whether `out` shares bytes with `ciphertext` other than as its message bytes (bytes 1…−16). */
function overlapsElsewhere(out: Uint8Array, ciphertext: Uint8Array): boolean {
  if (out.buffer !== ciphertext.buffer || out.byteLength === 0) return false
  const apart =
    out.byteOffset + out.byteLength <= ciphertext.byteOffset ||
    ciphertext.byteOffset + ciphertext.byteLength <= out.byteOffset
  return !apart && out.byteOffset !== ciphertext.byteOffset + 1
}
