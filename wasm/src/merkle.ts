// hypercore's Merkle hashes in batches (hypercore-crypto's byte layouts, all integers u64 LE):
//   leaf   BLAKE2b-256(0x00 ‖ len ‖ data)
//   parent BLAKE2b-256(0x01 ‖ sizeL + sizeR ‖ hashL ‖ hashR)
//   tree   BLAKE2b-256(0x02 ‖ (hash ‖ index ‖ size)*)
// Each entry point turns its compact input into message descriptors and hashes them all in one
// `hashMany`; outputs land where the caller asked, so no hash crosses into JS until it reads them.

import { D_PREFIX, DESC_SIZE, N_HASH, N_INDEX, N_SIZE, NODE_SIZE, ONE_DESC } from './layout'
import { describe, describeParent, hashMany, hashParentDescs, PD_SIZE } from './messages'

const LEAF: u8 = 0
const ROOTS: u8 = 2

/**
 * Leaf hashes of n blocks. `table` holds n × (ptr u32, len u32); `work` has room for n
 * descriptors (48 bytes each); digests go to out + 32·i.
 */
export function leaves(table: usize, n: u32, work: usize, out: usize): void {
  for (let i: u32 = 0; i < n; i++) {
    const d = work + <usize>i * DESC_SIZE
    const ptr = <usize>load<u32>(table + (<usize>i << 3))
    const len = load<u32>(table + (<usize>i << 3), 4)
    store<u8>(d, LEAF, D_PREFIX)
    store<u64>(d + D_PREFIX + 1, <u64>len)
    describe(d, 9, ptr, len, 0, 0, out + (<usize>i << 5))
  }
  hashMany(work, n)
}

/**
 * Parent hashes of n pairs. `recs` holds n × 72 bytes: (sizeL + sizeR) u64 ‖ hashL ‖ hashR;
 * `work` has room for n parent descriptors (16 bytes each); digests go to out + 32·i.
 */
export function parents(recs: usize, n: u32, work: usize, out: usize): void {
  for (let i: u32 = 0; i < n; i++) {
    const rec = recs + <usize>i * 72
    describeParent(work + <usize>i * PD_SIZE, rec, rec + 8, rec + 40, out + (<usize>i << 5))
  }
  hashParentDescs(work, n)
}

/** Tree hash of n roots laid out as (hash ‖ index u64 ‖ size u64) records at `recs`. */
export function tree(recs: usize, n: u32, out: usize): void {
  store<u8>(ONE_DESC, ROOTS, D_PREFIX)
  describe(ONE_DESC, 1, recs, n * 48, 0, 0, out)
  hashMany(ONE_DESC, 1)
}

// @ts-ignore: decorator
@inline function depthOf(index: u64): u32 {
  return <u32>ctz(~index)
}

let appendRootCount: u32 = 0

/** Number of roots the last `append` wrote. */
export function appendRoots(): u32 {
  return appendRootCount
}

/**
 * Appends n blocks to a tree with `rootCount` roots (node records, left to right) at `rootsIn`:
 * writes every new node (each leaf, then the parents it completes — hypercore's order) as node
 * records to `nodesOut`, the new roots to `rootsOut`, and returns the node count.
 * `work` needs 8·(rootCount + 2n) + 512 + 48·(2n + rootCount) bytes.
 *
 * The shape of the tree needs no hashes, so it is planned first; then all leaves are hashed in one
 * batch, then the parents level by level (each level depends only on the ones below).
 */
export function append(
  rootsIn: usize,
  rootCount: u32,
  table: usize,
  n: u32,
  work: usize,
  nodesOut: usize,
  rootsOut: usize
): u32 {
  const maxNodes = rootCount + 2 * n
  const stack = work // up to 64 node pointers (u32)
  const children = work + 512 // per node: left ptr u32, right ptr u32 (0 for leaves)
  const desc = children + (<usize>maxNodes << 3)

  let length: u64 = 0
  if (rootCount > 0) {
    const last = load<u64>(rootsIn + <usize>(rootCount - 1) * NODE_SIZE, N_INDEX)
    length = ((last + (<u64>1 << depthOf(last)) - 1) >> 1) + 1
  }
  let sp: u32 = 0
  for (let i: u32 = 0; i < rootCount; i++) store<u32>(stack + (<usize>(sp++) << 2), <u32>(rootsIn + <usize>i * NODE_SIZE))

  // Plan: indexes, sizes, children; leaf descriptors as we go.
  let count: u32 = 0
  let maxDepth: u32 = 0
  for (let i: u32 = 0; i < n; i++) {
    const ptr = <usize>load<u32>(table + (<usize>i << 3))
    const len = load<u32>(table + (<usize>i << 3), 4)
    let cur = nodesOut + <usize>count * NODE_SIZE
    store<u64>(children + (<usize>count << 3), 0)
    count++
    store<u64>(cur, (length + <u64>i) << 1, N_INDEX)
    store<u64>(cur, <u64>len, N_SIZE)
    const d = desc + <usize>i * DESC_SIZE
    store<u8>(d, LEAF, D_PREFIX)
    store<u64>(d + D_PREFIX + 1, <u64>len)
    describe(d, 9, ptr, len, 0, 0, cur + N_HASH)

    let depth: u32 = 0
    while (sp > 0) {
      const left = <usize>load<u32>(stack + (<usize>(sp - 1) << 2))
      const leftIndex = load<u64>(left, N_INDEX)
      if (depthOf(leftIndex) != depth) break
      sp--
      const node = nodesOut + <usize>count * NODE_SIZE
      store<u32>(children + (<usize>count << 3), <u32>left)
      store<u32>(children + (<usize>count << 3), <u32>cur, 4)
      count++
      store<u64>(node, leftIndex + (<u64>1 << depth), N_INDEX)
      store<u64>(node, load<u64>(left, N_SIZE) + load<u64>(cur, N_SIZE), N_SIZE)
      cur = node
      depth++
    }
    if (depth > maxDepth) maxDepth = depth
    store<u32>(stack + (<usize>(sp++) << 2), <u32>cur)
  }

  hashMany(desc, n)

  for (let depth: u32 = 1; depth <= maxDepth; depth++) {
    let m: u32 = 0
    for (let j: u32 = 0; j < count; j++) {
      const left = <usize>load<u32>(children + (<usize>j << 3))
      if (left == 0) continue
      const node = nodesOut + <usize>j * NODE_SIZE
      if (depthOf(load<u64>(node, N_INDEX)) != depth) continue
      const right = <usize>load<u32>(children + (<usize>j << 3), 4)
      describeParent(desc + <usize>(m++) * PD_SIZE, node + N_SIZE, left + N_HASH, right + N_HASH, node + N_HASH)
    }
    hashParentDescs(desc, m)
  }

  for (let i: u32 = 0; i < sp; i++) {
    memory.copy(rootsOut + <usize>i * NODE_SIZE, <usize>load<u32>(stack + (<usize>i << 2)), NODE_SIZE)
  }
  appendRootCount = sp
  return count
}
