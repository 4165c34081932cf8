// The kernel's exports: one-shot and streaming BLAKE2b, hypercore's batched Merkle hashing, and
// the ciphers of libsodium that the stack uses (ChaCha20-Poly1305, secretstream, XSalsa20, secretbox).
// All pointers are into this module's memory; the loader writes inputs at ARENA and above and
// reads outputs from where it asked them to go. See ../README.md for the memory map.
import { final, init, update } from './blake2b'
import { ARENA, STATE } from './layout'

export { final, init, update } from './blake2b'
export {
  aeadDecrypt,
  aeadEncrypt,
  secretboxEasy,
  secretboxOpen,
  streamInit,
  streamPull,
  streamPush,
  xsalsa20Xor
} from './aead'
export { append, appendRoots, leaves, parents, tree } from './merkle'

/** First byte the loader may use. */
export function arena(): usize {
  return ARENA
}

/** Whether this build runs two messages per SIMD compression (1) or one (0). */
export function lanes(): u32 {
  return ASC_FEATURE_SIMD ? 2 : 1
}

/** One-shot BLAKE2b of `len` bytes at `p` (key ≤ 64 bytes, outLen 1..64) into `out`. */
export function blake2b(p: usize, len: usize, key: usize, keyLen: u32, outLen: u32, out: usize): void {
  init(STATE, outLen, key, keyLen)
  update(STATE, p, len)
  final(STATE, out)
}
