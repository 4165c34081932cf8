/**
 * @orchard/crypto — hypercore's cryptography, byte-for-byte what hypercore-crypto, sodium-native and
 * @hyperswarm/secret-stream compute, in any JS engine.
 *
 * The story: `await ready()` once, then everything is synchronous and works on `Uint8Array`s
 * (`signAsync`/`verifyAsync` are the two exceptions, and optional).
 * - Hashing (BLAKE2b and the Merkle tree: `data`, `parent`, `tree`, their batched forms and
 *   `appendTree`) runs in our own WebAssembly kernel (`@orchard/wasm`, built from AssemblyScript),
 *   which hashes whole batches of tree nodes in one call.
 * - In browsers (and wherever the `node` export condition does not apply) the ciphers — ChaCha20-
 *   Poly1305, secretstream, XSalsa20, secretbox — run in that kernel too, Ed25519 and Noise DH on
 *   @noble/curves by libsodium's rules, and `signAsync`/`verifyAsync` on WebCrypto's native Ed25519.
 *   No libsodium is downloaded.
 * - Under Node, signatures, Noise DH and the ciphers run in libsodium (libsodium-wrappers-sumo),
 *   whose synchronous Ed25519 is much faster than @noble's; `ready({ libsodium })` overrides the
 *   default either way.
 * - Where WebAssembly cannot run, `ready()` falls back to `@noble` (hashes, curves, ciphers) with the
 *   same results; `ready({ backend: 'js' })` selects it explicitly.
 * Bad input throws typed errors (`InvalidSizeError`, `DecryptionError`, `InvalidPointError`, …).
 *
 * @module \@orchard/crypto
 */
export {
  chacha20poly1305Decrypt,
  chacha20poly1305Encrypt,
  SECRETSTREAM_ABYTES,
  SECRETSTREAM_HEADERBYTES,
  SECRETSTREAM_KEYBYTES,
  SecretStreamPull,
  SecretStreamPush,
  secretboxEasy,
  secretboxOpenEasy,
  TAG_FINAL,
  TAG_MESSAGE,
  TAG_PUSH,
  TAG_REKEY,
  xsalsa20Xor
} from './ciphers.ts'
export {
  BackendUnavailableError,
  CryptoError,
  DecryptionError,
  InvalidArgumentError,
  InvalidPointError,
  InvalidSizeError,
  NotReadyError
} from './errors.ts'
export {
  appendTree,
  blake2b,
  blake2bBatch,
  data,
  discoveryKey,
  hash,
  hashLeaves,
  hashParents,
  hmacBlake2b512,
  namespace,
  parent,
  tree
} from './hashing.ts'
export { ed25519Dh, keyPair, randomBytes, sign, signAsync, verify, verifyAsync } from './keys.ts'
export { backend, primitivesBackend, type ReadyOptions, ready } from './state.ts'
export type { AppendResult, KeyPair, PullResult, TreeNode } from './types.ts'
