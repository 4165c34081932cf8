// The stream ciphers over any length: ChaCha20-IETF (32-bit block counter, 96-bit nonce) and
// Salsa20 (64-bit counter, 64-bit nonce), dst = src XOR keystream from block `ctr` on. dst may
// equal src. The SIMD build runs four blocks per call while 256 bytes remain; a partial last block
// takes its keystream from a scratch block.

import { KS } from './layout'
import { chachaXor1, chachaXor4, salsaXor1, salsaXor4 } from './stream.generated'

/** XORs the first `len` (< 64) bytes of the keystream block at KS into dst. */
// @ts-ignore: decorator
@inline function xorTail(dst: usize, src: usize, len: usize): void {
  for (let i: usize = 0; i < len; i++) store<u8>(dst + i, load<u8>(src + i) ^ load<u8>(KS + i))
}

/** ChaCha20-IETF: len bytes from src, XORed with the keystream of (k, n) from block ctr, to dst. */
export function chacha20Xor(dst: usize, src: usize, len: usize, k: usize, ctr: u32, n: usize): void {
  if (ASC_FEATURE_SIMD) {
    while (len >= 256) {
      chachaXor4(dst, src, k, ctr, n)
      dst += 256
      src += 256
      len -= 256
      ctr += 4
    }
  }
  while (len >= 64) {
    chachaXor1(dst, src, k, ctr, n)
    dst += 64
    src += 64
    len -= 64
    ctr++
  }
  if (len > 0) {
    memory.fill(KS, 0, 64)
    chachaXor1(KS, KS, k, ctr, n)
    xorTail(dst, src, len)
  }
}

/** Salsa20: len bytes from src, XORed with the keystream of (k, 8-byte n) from block ctr, to dst. */
export function salsa20Xor(dst: usize, src: usize, len: usize, k: usize, ctr: u64, n: usize): void {
  if (ASC_FEATURE_SIMD) {
    while (len >= 256) {
      salsaXor4(dst, src, k, ctr, n)
      dst += 256
      src += 256
      len -= 256
      ctr += 4
    }
  }
  while (len >= 64) {
    salsaXor1(dst, src, k, ctr, n)
    dst += 64
    src += 64
    len -= 64
    ctr++
  }
  if (len > 0) {
    memory.fill(KS, 0, 64)
    salsaXor1(KS, KS, k, ctr, n)
    xorTail(dst, src, len)
  }
}
