/**
 * @orchard/crypto — hypercore's cryptography, byte-for-byte what hypercore-crypto, sodium-native and
 * @hyperswarm/secret-stream compute, in any JS engine.
 *
 * The story: `await ready()` once, then everything is synchronous and works on `Uint8Array`s.
 * - Hashing (BLAKE2b and the Merkle tree: `data`, `parent`, `tree`, their batched forms and
 *   `appendTree`) runs in our own WebAssembly kernel (`@orchard/wasm`, built from AssemblyScript),
 *   which hashes whole batches of tree nodes in one call.
 * - Signatures, Noise DH and the ciphers run in libsodium (libsodium-wrappers-sumo).
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
export { ed25519Dh, keyPair, randomBytes, sign, verify } from './keys.ts'
export { backend, type ReadyOptions, ready } from './state.ts'
export type { AppendResult, KeyPair, PullResult, TreeNode } from './types.ts'
