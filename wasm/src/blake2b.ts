// BLAKE2b (RFC 7693) for one message of any length: output 1..64 bytes, optional key ≤ 64 bytes,
// streaming (init / update / final) over a 256-byte state the caller places anywhere in memory.
// Full blocks in the middle of the input are compressed straight from the caller's memory; only
// the last block (which gets the final flag) and blocks straddling updates are buffered.
import { compress, IV0, IV1, IV2, IV3, IV4, IV5, IV6, IV7 } from './compress.generated'

// State layout.
const S_H = 0 // h[8] u64
const S_T = 64 // bytes compressed so far (u64; inputs stay far below 2^64)
const S_BUFLEN = 72 // u32
const S_OUTLEN = 76 // u32
const S_BUF = 128 // 128-byte block buffer

/** Parameter block word 0: digest length, key length, fanout 1, depth 1 (RFC 7693 §2.5). */
// @ts-ignore: decorator
@inline export function paramWord(outLen: u32, keyLen: u32): u64 {
  return 0x01010000 | (<u64>keyLen << 8) | <u64>outLen
}

/** Writes the initial chaining value for (outLen, keyLen) at h. */
// @ts-ignore: decorator
@inline export function initH(h: usize, outLen: u32, keyLen: u32): void {
  store<u64>(h, IV0 ^ paramWord(outLen, keyLen), 0)
  store<u64>(h, IV1, 8)
  store<u64>(h, IV2, 16)
  store<u64>(h, IV3, 24)
  store<u64>(h, IV4, 32)
  store<u64>(h, IV5, 40)
  store<u64>(h, IV6, 48)
  store<u64>(h, IV7, 56)
}

/** Starts a hash at `s`. A non-empty key is padded to a full first block (RFC 7693 §3.3). */
export function init(s: usize, outLen: u32, key: usize, keyLen: u32): void {
  initH(s + S_H, outLen, keyLen)
  store<u64>(s, 0, S_T)
  store<u32>(s, 0, S_BUFLEN)
  store<u32>(s, outLen, S_OUTLEN)
  if (keyLen > 0) {
    memory.fill(s + S_BUF, 0, 128)
    memory.copy(s + S_BUF, key, keyLen)
    store<u32>(s, 128, S_BUFLEN)
  }
}

/** Absorbs `len` bytes at `p`. The last block is always kept back for `final`. */
export function update(s: usize, p: usize, len: usize): void {
  if (len == 0) return
  let buflen = <usize>load<u32>(s, S_BUFLEN)
  let t = load<u64>(s, S_T)
  const fill: usize = 128 - buflen
  if (len > fill) {
    memory.copy(s + S_BUF + buflen, p, fill)
    t += 128
    compress(s + S_H, s + S_BUF, t, 0)
    buflen = 0
    p += fill
    len -= fill
    while (len > 128) {
      t += 128
      compress(s + S_H, p, t, 0)
      p += 128
      len -= 128
    }
  }
  memory.copy(s + S_BUF + buflen, p, len)
  store<u32>(s, <u32>(buflen + len), S_BUFLEN)
  store<u64>(s, t, S_T)
}

/** Finishes the hash at `s` and writes its outLen bytes to `out`. */
export function final(s: usize, out: usize): void {
  const buflen = <usize>load<u32>(s, S_BUFLEN)
  const t = load<u64>(s, S_T) + <u64>buflen
  memory.fill(s + S_BUF + buflen, 0, 128 - buflen)
  compress(s + S_H, s + S_BUF, t, 0xffffffffffffffff)
  // h is stored little-endian, which is the digest byte order.
  memory.copy(out, s + S_H, load<u32>(s, S_OUTLEN))
}
