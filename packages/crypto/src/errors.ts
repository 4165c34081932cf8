/**
 * Typed failures. Every error this package throws is a `CryptoError` with a stable `code`, so
 * callers branch on the kind (`err instanceof DecryptionError` or `err.code === 'DECRYPTION_FAILED'`)
 * instead of parsing messages. Bad input never yields a silently wrong value.
 */

/** Base class of every error this package throws. */
export class CryptoError extends Error {
  /** Stable machine-readable kind, e.g. `'INVALID_SIZE'`. */
  readonly code: string

  /** An error of kind `code`; `options.cause` keeps the underlying failure. */
  constructor(message: string, code = 'CRYPTO_ERROR', options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

/** A key, nonce, seed, header, signature or output length has the wrong size. */
export class InvalidSizeError extends CryptoError {
  /** `what` (e.g. `'key'`) was `actual` bytes where `expected` (e.g. `'32 bytes'`) was required. */
  constructor(what: string, expected: string, actual: number) {
    super(`${what} must be ${expected}, got ${actual}`, 'INVALID_SIZE')
  }
}

/** An argument has the wrong type or an out-of-range value (e.g. a negative tree size). */
export class InvalidArgumentError extends CryptoError {
  /** An argument error explained by `message`. */
  constructor(message: string) {
    super(message, 'INVALID_ARGUMENT')
  }
}

/** Authenticated decryption failed: the ciphertext, tag, nonce, key or associated data is wrong. */
export class DecryptionError extends CryptoError {
  /** A failed authentication; the default message names no secret. */
  constructor(message = 'ciphertext cannot be decrypted with this key') {
    super(message, 'DECRYPTION_FAILED')
  }
}

/**
 * A public key is not acceptable for Ed25519 Diffie-Hellman: not a canonical point encoding, not
 * on the curve, of small order or outside the prime-order subgroup — or the shared point is the
 * identity. These are exactly the inputs libsodium's `crypto_scalarmult_ed25519_noclamp` refuses.
 */
export class InvalidPointError extends CryptoError {
  /** A refused Ed25519 point. */
  constructor(message = 'invalid or weak Ed25519 point') {
    super(message, 'INVALID_POINT')
  }
}

/** A synchronous function was called before `await ready()` finished. */
export class NotReadyError extends CryptoError {
  /** The error for a call made before `ready()`. */
  constructor() {
    super('@orchard/crypto is not ready: await ready() first', 'NOT_READY')
  }
}

/** The requested backend cannot run here (e.g. `backend: 'wasm'` where WebAssembly is blocked). */
export class BackendUnavailableError extends CryptoError {
  /** A backend that cannot load; `options.cause` is why (e.g. the WebAssembly compile error). */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'BACKEND_UNAVAILABLE', options)
  }
}
