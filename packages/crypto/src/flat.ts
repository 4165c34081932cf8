/**
 * The little flat-tree arithmetic the Merkle batch needs (in-order numbering: leaves are even, a
 * node at depth d has 2^d leaves under it), plus little-endian u64 writes of JS numbers. Indexes and
 * sizes are JS numbers, exact up to 2^53 like everywhere in hypercore.
 */
import { InvalidArgumentError } from './errors.ts'
import type { TreeNode } from './types.ts'

const TWO_32 = 2 ** 32

/** Depth of a flat-tree index: its number of trailing 1 bits. */
export function depthOf(index: number): number {
  let d = 0
  // index % 2 works beyond 2^32, where bit operators would truncate.
  while (index % 2 === 1) {
    index = (index - 1) / 2
    d++
  }
  return d
}

/** Writes `n` (0 ≤ n < 2^53) as u64 little-endian at `off`. */
export function writeU64(buf: Uint8Array, off: number, n: number): void {
  const lo = n % TWO_32
  const hi = (n - lo) / TWO_32
  buf[off] = lo
  buf[off + 1] = lo >>> 8
  buf[off + 2] = lo >>> 16
  buf[off + 3] = lo >>> 24
  buf[off + 4] = hi
  buf[off + 5] = hi >>> 8
  buf[off + 6] = hi >>> 16
  buf[off + 7] = hi >>> 24
}

function isUint(n: unknown): boolean {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0
}

/**
 * Checks a node's fields (safe unsigned index and size, 32-byte hash). The label is only built when
 * the check fails (`what`, or `what[i]` / `what[i][j]`), since this runs for every node of a batch.
 */
export function assertNode(node: TreeNode, what: string, i = -1, j = -1): void {
  if (
    node !== null &&
    typeof node === 'object' &&
    isUint(node.index) &&
    isUint(node.size) &&
    node.hash instanceof Uint8Array &&
    node.hash.byteLength === 32
  ) {
    return
  }
  const label = `${what}${i >= 0 ? `[${i}]` : ''}${j >= 0 ? `[${j}]` : ''}`
  if (node === null || typeof node !== 'object')
    throw new InvalidArgumentError(`${label} must be a tree node`)
  if (!isUint(node.index)) throw new InvalidArgumentError(`${label}.index must be a safe unsigned integer`)
  if (!isUint(node.size)) throw new InvalidArgumentError(`${label}.size must be a safe unsigned integer`)
  throw new InvalidArgumentError(`${label}.hash must be a 32-byte Uint8Array`)
}

/**
 * Validates a roots list for `appendTree` — left to right, contiguous from leaf 0, each a full
 * subtree, depths strictly decreasing (the unique decomposition of the length) — and returns the
 * number of leaves it covers.
 */
export function lengthOfRoots(roots: readonly TreeNode[]): number {
  let nextLeft = 0 // index of the leftmost leaf the next root must start at
  let lastDepth = Number.POSITIVE_INFINITY
  for (let i = 0; i < roots.length; i++) {
    const root = roots[i]!
    assertNode(root, 'roots', i)
    const depth = depthOf(root.index)
    const half = 2 ** depth - 1
    if (root.index - half !== nextLeft || depth >= lastDepth) {
      throw new InvalidArgumentError(`roots[${i}] (index ${root.index}) does not continue a valid roots list`)
    }
    lastDepth = depth
    nextLeft = root.index + half + 2
  }
  return nextLeft / 2
}
