/**
 * Ed25519 keys and signatures (libsodium's `crypto_sign_*`, as hypercore-crypto uses them), the
 * Ed25519-point Diffie-Hellman of @hyperswarm/secret-stream's Noise curve, and randomness.
 */
import { InvalidArgumentError } from './errors.ts'
import { activePrimitives } from './state.ts'
import type { KeyPair } from './types.ts'
import { assertBytes, assertSize } from './validate.ts'

/** `n` cryptographically secure random bytes. */
export function randomBytes(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('n must be a non-negative integer')
  return activePrimitives().randomBytes(n)
}

/**
 * An Ed25519 key pair (`crypto_sign_seed_keypair` with a 32-byte seed, else random):
 * `secretKey` = seed ‖ publicKey (64 bytes).
 */
export function keyPair(seed?: Uint8Array): KeyPair {
  if (seed !== undefined) assertSize(seed, 32, 'seed')
  return activePrimitives().keyPair(seed)
}

/** Detached Ed25519 signature (64 bytes) of `message` with a 64-byte libsodium secret key. */
export function sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  assertBytes(message, 'message')
  assertSize(secretKey, 64, 'secretKey')
  return activePrimitives().sign(message, secretKey)
}

/**
 * Verifies a detached Ed25519 signature by libsodium's rules. Like hypercore-crypto it returns
 * false (rather than throwing) when the signature is not 64 bytes or the key not 32.
 */
export function verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  assertBytes(message, 'message')
  assertBytes(signature, 'signature')
  assertBytes(publicKey, 'publicKey')
  if (signature.byteLength !== 64 || publicKey.byteLength !== 32) return false
  return activePrimitives().verify(message, signature, publicKey)
}

/**
 * `sign` for callers that can wait: where the synchronous path is pure JS (the `kernel` and `noble`
 * primitives: browsers by default) it signs with WebCrypto's native Ed25519, several times faster;
 * elsewhere (libsodium) it is `sign`. Always the same 64 bytes as `sign` (Ed25519 is
 * deterministic). Bad input rejects with the errors `sign` throws. `message` and `secretKey` are
 * copied before the first `await`, so the caller may reuse them at once.
 */
export async function signAsync(message: Uint8Array, secretKey: Uint8Array): Promise<Uint8Array> {
  assertBytes(message, 'message')
  assertSize(secretKey, 64, 'secretKey')
  const prims = activePrimitives()
  return prims.signAsync ? prims.signAsync(message, secretKey) : prims.sign(message, secretKey)
}

/**
 * `verify` for callers that can wait, on WebCrypto where `signAsync` uses it, with exactly
 * `verify`'s (libsodium's) decisions: the checks libsodium makes and WebCrypto may not — canonical
 * S, no small-order R or key, a canonical key — run first. Resolves false (rather than rejecting)
 * for a wrong signature or key size, like `verify`.
 */
export async function verifyAsync(
  message: Uint8Array,
  signature: Uint8Array,
  publicKey: Uint8Array
): Promise<boolean> {
  assertBytes(message, 'message')
  assertBytes(signature, 'signature')
  assertBytes(publicKey, 'publicKey')
  if (signature.byteLength !== 64 || publicKey.byteLength !== 32) return false
  const prims = activePrimitives()
  return prims.verifyAsync
    ? prims.verifyAsync(message, signature, publicKey)
    : prims.verify(message, signature, publicKey)
}

/**
 * Noise DH of noise-curve-ed (the curve of @hyperswarm/secret-stream): the scalar is
 * clamp(SHA-512(secretKey[0..32])[0..32]) and the result is the compressed Edwards point
 * scalar · publicKey (`crypto_scalarmult_ed25519_noclamp`). Throws `InvalidPointError` for the
 * points libsodium refuses (non-canonical, off-curve, small-order, outside the prime-order subgroup,
 * or an identity result).
 */
export function ed25519Dh(publicKey: Uint8Array, secretKey: Uint8Array): Uint8Array {
  assertSize(publicKey, 32, 'publicKey')
  assertSize(secretKey, 64, 'secretKey')
  return activePrimitives().ed25519Dh(publicKey, secretKey)
}
