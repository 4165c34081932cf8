// Many short messages, each hashed to 32 bytes (unkeyed BLAKE2b-256): hypercore's leaves, parents
// and roots. A message is described, not copied: an inline prefix (the type byte and u64 length)
// followed by up to two segments that point anywhere in memory. Blocks that lie wholly inside a
// segment are compressed in place; only blocks straddling a boundary, or the padded last block,
// are assembled in a scratch block.
//
// The SIMD build runs two messages at once, one per i64x2 lane: whenever a lane's message ends its
// digest is written out and the next message starts in that lane, so messages of any mix of
// lengths keep both lanes busy; the last message left alone finishes on the scalar path.

import { initH, paramWord } from './blake2b'
import { compress, compress2, hashBlock32, hashBlock32x2, IV0, IV1, IV2, IV3, IV4, IV5, IV6, IV7 } from './compress.generated'
import {
  D_OUT,
  D_PREFIX,
  D_PREFIX_LEN,
  D_SEG1_LEN,
  D_SEG1_PTR,
  D_SEG2_LEN,
  D_SEG2_PTR,
  DESC_SIZE,
  HSTATE,
  LANE_H,
  LANE_M,
  SCRATCH0,
  SCRATCH1
} from './layout'

const LAST: u64 = 0xffffffffffffffff

// @ts-ignore: decorator
@inline function totalOf(d: usize): u32 {
  return load<u32>(d, D_PREFIX_LEN) + load<u32>(d, D_SEG1_LEN) + load<u32>(d, D_SEG2_LEN)
}

// @ts-ignore: decorator
@inline function blocksOf(total: u32): u32 {
  return total == 0 ? 1 : (total + 127) >> 7
}

/** Copies the part of [start, start + len) that falls in the block at offset o into dst. */
// @ts-ignore: decorator
@inline function copyPart(dst: usize, o: u32, start: u32, ptr: usize, len: u32): void {
  const lo = max(o, start)
  const hi = min(o + 128, start + len)
  if (hi > lo) memory.copy(dst + (lo - o), ptr + (lo - start), hi - lo)
}

/** Address of block k of message d: in place when possible, else assembled in `scratch`. */
function blockAt(d: usize, k: u32, scratch: usize): usize {
  const o = k << 7
  const pl = load<u32>(d, D_PREFIX_LEN)
  const l1 = load<u32>(d, D_SEG1_LEN)
  const l2 = load<u32>(d, D_SEG2_LEN)
  if (o >= pl && o + 128 <= pl + l1) return <usize>load<u32>(d, D_SEG1_PTR) + (o - pl)
  if (o >= pl + l1 && o + 128 <= pl + l1 + l2) return <usize>load<u32>(d, D_SEG2_PTR) + (o - pl - l1)
  memory.fill(scratch, 0, 128)
  copyPart(scratch, o, 0, d + D_PREFIX, pl)
  copyPart(scratch, o, pl, <usize>load<u32>(d, D_SEG1_PTR), l1)
  copyPart(scratch, o, pl + l1, <usize>load<u32>(d, D_SEG2_PTR), l2)
  return scratch
}

/** Runs blocks k.. of message d on the scalar state at HSTATE and writes the digest. */
function finishScalar(d: usize, k: u32): void {
  const total = totalOf(d)
  const last = blocksOf(total) - 1
  for (; k < last; k++) compress(HSTATE, blockAt(d, k, SCRATCH0), <u64>(k + 1) << 7, 0)
  compress(HSTATE, blockAt(d, last, SCRATCH0), <u64>total, LAST)
  memory.copy(<usize>load<u32>(d, D_OUT), HSTATE, 32)
}

/** Hashes n described messages one after the other. */
export function hashManyScalar(desc: usize, n: u32): void {
  for (let i: u32 = 0; i < n; i++) {
    initH(HSTATE, 32, 0)
    finishScalar(desc + <usize>i * DESC_SIZE, 0)
  }
}

// @ts-ignore: decorator
@inline function laneReset(lane: usize): void {
  const h = LANE_H + (lane << 3)
  store<u64>(h, IV0 ^ paramWord(32, 0), 0)
  store<u64>(h, IV1, 16)
  store<u64>(h, IV2, 32)
  store<u64>(h, IV3, 48)
  store<u64>(h, IV4, 64)
  store<u64>(h, IV5, 80)
  store<u64>(h, IV6, 96)
  store<u64>(h, IV7, 112)
}

/** Puts the 16 words of a block into one lane of the interleaved block. */
// @ts-ignore: decorator
@inline function laneLoad(lane: usize, p: usize): void {
  const m = LANE_M + (lane << 3)
  for (let j: usize = 0; j < 16; j++) store<u64>(m + (j << 4), load<u64>(p + (j << 3)))
}

// @ts-ignore: decorator
@inline function laneDigest(lane: usize, out: usize): void {
  const h = LANE_H + (lane << 3)
  store<u64>(out, load<u64>(h, 0), 0)
  store<u64>(out, load<u64>(h, 16), 8)
  store<u64>(out, load<u64>(h, 32), 16)
  store<u64>(out, load<u64>(h, 48), 24)
}

/** Moves a lane's state to the scalar state, to finish its message alone. */
// @ts-ignore: decorator
@inline function laneToScalar(lane: usize): void {
  const h = LANE_H + (lane << 3)
  for (let j: usize = 0; j < 8; j++) store<u64>(HSTATE + (j << 3), load<u64>(h + (j << 4)))
}

/** Hashes n described messages two at a time (SIMD build only). */
export function hashManyLanes(desc: usize, n: u32): void {
  if (n < 2) {
    hashManyScalar(desc, n)
    return
  }
  let d0 = desc
  let d1 = desc + DESC_SIZE
  let next: u32 = 2
  let k0: u32 = 0
  let k1: u32 = 0
  let total0 = totalOf(d0)
  let total1 = totalOf(d1)
  let last0 = blocksOf(total0) - 1
  let last1 = blocksOf(total1) - 1
  laneReset(0)
  laneReset(1)
  while (true) {
    laneLoad(0, blockAt(d0, k0, SCRATCH0))
    laneLoad(1, blockAt(d1, k1, SCRATCH1))
    const t0: u64 = k0 == last0 ? <u64>total0 : <u64>(k0 + 1) << 7
    const t1: u64 = k1 == last1 ? <u64>total1 : <u64>(k1 + 1) << 7
    compress2(LANE_H, LANE_M, t0, t1, k0 == last0 ? LAST : 0, k1 == last1 ? LAST : 0)
    let done0 = false
    let done1 = false
    if (k0 == last0) {
      laneDigest(0, <usize>load<u32>(d0, D_OUT))
      if (next < n) {
        d0 = desc + <usize>(next++) * DESC_SIZE
        k0 = 0
        total0 = totalOf(d0)
        last0 = blocksOf(total0) - 1
        laneReset(0)
      } else done0 = true
    } else k0++
    if (k1 == last1) {
      laneDigest(1, <usize>load<u32>(d1, D_OUT))
      if (next < n) {
        d1 = desc + <usize>(next++) * DESC_SIZE
        k1 = 0
        total1 = totalOf(d1)
        last1 = blocksOf(total1) - 1
        laneReset(1)
      } else done1 = true
    } else k1++
    if (done0 || done1) {
      if (!done0) {
        laneToScalar(0)
        finishScalar(d0, k0)
      }
      if (!done1) {
        laneToScalar(1)
        finishScalar(d1, k1)
      }
      return
    }
  }
}

/** Hashes n described messages with the fastest path this build has. */
export function hashMany(desc: usize, n: u32): void {
  if (ASC_FEATURE_SIMD) hashManyLanes(desc, n)
  else hashManyScalar(desc, n)
}

/** Fills descriptor d: prefix of `prefixLen` bytes is written by the caller at d + D_PREFIX. */
// @ts-ignore: decorator
@inline export function describe(
  d: usize,
  prefixLen: u32,
  seg1: usize,
  len1: u32,
  seg2: usize,
  len2: u32,
  out: usize
): void {
  store<u32>(d, <u32>seg1, D_SEG1_PTR)
  store<u32>(d, len1, D_SEG1_LEN)
  store<u32>(d, <u32>seg2, D_SEG2_PTR)
  store<u32>(d, len2, D_SEG2_LEN)
  store<u32>(d, <u32>out, D_OUT)
  store<u32>(d, prefixLen, D_PREFIX_LEN)
}

/** A parent descriptor: where its u64 size sum, left hash and right hash are, and where its digest goes. */
export const PD_SIZE: usize = 16

/** Writes the block 0x01 ‖ size ‖ hl ‖ hr (73 bytes, zero-padded) as 16 words `stride` bytes apart. */
// @ts-ignore: decorator
@inline function parentBlock(dst: usize, stride: usize, size: u64, hl: usize, hr: usize): void {
  const l0 = load<u64>(hl, 0)
  const l1 = load<u64>(hl, 8)
  const l2 = load<u64>(hl, 16)
  const l3 = load<u64>(hl, 24)
  const r0 = load<u64>(hr, 0)
  const r1 = load<u64>(hr, 8)
  const r2 = load<u64>(hr, 16)
  const r3 = load<u64>(hr, 24)
  // The type byte shifts everything by one byte: word j = (previous word >> 56) | (word << 8).
  store<u64>(dst, 0x01 | (size << 8))
  store<u64>(dst + stride, (size >> 56) | (l0 << 8))
  store<u64>(dst + 2 * stride, (l0 >> 56) | (l1 << 8))
  store<u64>(dst + 3 * stride, (l1 >> 56) | (l2 << 8))
  store<u64>(dst + 4 * stride, (l2 >> 56) | (l3 << 8))
  store<u64>(dst + 5 * stride, (l3 >> 56) | (r0 << 8))
  store<u64>(dst + 6 * stride, (r0 >> 56) | (r1 << 8))
  store<u64>(dst + 7 * stride, (r1 >> 56) | (r2 << 8))
  store<u64>(dst + 8 * stride, (r2 >> 56) | (r3 << 8))
  store<u64>(dst + 9 * stride, r3 >> 56)
  for (let j: usize = 10; j < 16; j++) store<u64>(dst + j * stride, 0)
}

// @ts-ignore: decorator
@inline function parentBlockOf(dst: usize, stride: usize, pd: usize): void {
  parentBlock(
    dst,
    stride,
    load<u64>(<usize>load<u32>(pd)),
    <usize>load<u32>(pd, 4),
    <usize>load<u32>(pd, 8)
  )
}

/**
 * Hashes n parents (parent descriptors at `pd`). A parent is always one 73-byte block, so the
 * block is built straight from the hashes and hashed from the IV with no state in memory; the SIMD
 * build does two per compression.
 */
export function hashParentDescs(pd: usize, n: u32): void {
  let i: u32 = 0
  if (ASC_FEATURE_SIMD) {
    for (; i + 1 < n; i += 2) {
      const a = pd + (<usize>i << 4)
      parentBlockOf(LANE_M, 16, a)
      parentBlockOf(LANE_M + 8, 16, a + PD_SIZE)
      hashBlock32x2(LANE_M, 73, 73, <usize>load<u32>(a, 12), <usize>load<u32>(a + PD_SIZE, 12))
    }
  }
  for (; i < n; i++) {
    const a = pd + (<usize>i << 4)
    parentBlockOf(SCRATCH0, 8, a)
    hashBlock32(SCRATCH0, 73, <usize>load<u32>(a, 12))
  }
}

/** Fills parent descriptor pd. */
// @ts-ignore: decorator
@inline export function describeParent(pd: usize, sizePtr: usize, hl: usize, hr: usize, out: usize): void {
  store<u32>(pd, <u32>sizePtr, 0)
  store<u32>(pd, <u32>hl, 4)
  store<u32>(pd, <u32>hr, 8)
  store<u32>(pd, <u32>out, 12)
}
