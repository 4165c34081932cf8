/**
 * Flat-tree: a binary tree laid out in-order over the integers. Block `i` is the leaf at index
 * `2i`; parents have odd indexes; a node at depth `d` and offset `o` sits at `(2o + 1)·2^d − 1`.
 *
 * Indexes reach 2^53 (cores of 2^52 blocks), past the 32-bit range of JS bitwise operators, so
 * every function works in float arithmetic and takes a 32-bit fast path when it can.
 */

const TWO_POW_32 = 0x100000000

function pow2(n: number): number {
  return n < 31 ? 1 << n : 2 ** n
}

/** Largest power of two ≤ n (n ≥ 1, n < 2^53). */
function highestPowerOfTwo(n: number): number {
  if (n < TWO_POW_32) return 2 ** (31 - Math.clz32(n))
  return TWO_POW_32 * 2 ** (31 - Math.clz32(Math.floor(n / TWO_POW_32)))
}

/** Depth of `index`: the number of trailing 1-bits (leaves are depth 0). */
export function depth(index: number): number {
  if (index < 0x7fffffff) {
    // trailing ones of x = trailing zeros of x + 1
    const x = index + 1
    return 31 - Math.clz32(x & -x)
  }
  let d = 0
  let x = index + 1
  while (x % 2 === 0) {
    d++
    x /= 2
  }
  return d
}

/** Offset of `index` within its depth (for leaves, the block number). */
export function offset(index: number, d = depth(index)): number {
  if (index < 0x7fffffff) return (index + 1) >>> (d + 1)
  return Math.floor((index + 1) / pow2(d + 1))
}

/** Index of the node at `depth`, `offset`. */
export function index(d: number, o: number): number {
  return (1 + 2 * o) * pow2(d) - 1
}

/** The parent of node `i` (its depth `d` may be passed when known). */
export function parent(i: number, d = depth(i)): number {
  return index(d + 1, Math.floor(offset(i, d) / 2))
}

/** The other child of `i`'s parent. */
export function sibling(i: number, d = depth(i)): number {
  const o = offset(i, d)
  return index(d, o % 2 === 0 ? o + 1 : o - 1)
}

/** Left child, or -1 for a leaf. */
export function leftChild(i: number, d = depth(i)): number {
  if (d === 0) return -1
  return index(d - 1, 2 * offset(i, d))
}

/** Right child, or -1 for a leaf. */
export function rightChild(i: number, d = depth(i)): number {
  if (d === 0) return -1
  return index(d - 1, 2 * offset(i, d) + 1)
}

/** Leftmost leaf index covered by `i`. */
export function leftSpan(i: number, d = depth(i)): number {
  return d === 0 ? i : offset(i, d) * pow2(d + 1)
}

/** Rightmost leaf index covered by `i`. */
export function rightSpan(i: number, d = depth(i)): number {
  return d === 0 ? i : (offset(i, d) + 1) * pow2(d + 1) - 2
}

/** Number of nodes (leaves and parents) in the subtree rooted at `i`. */
export function count(i: number, d = depth(i)): number {
  return pow2(d + 1) - 1
}

/** Number of leaves (blocks) in the subtree rooted at `i`. */
export function countLeaves(i: number, d = depth(i)): number {
  return pow2(d)
}

/** True when the subtree rooted at `root` covers node `i`. */
export function contains(root: number, i: number): boolean {
  const d = depth(root)
  return leftSpan(root, d) <= i && i <= rightSpan(root, d)
}

/**
 * The full roots of a tree whose leaves end before tree index `end` (`end = 2·length`), left to
 * right. Throws on an odd `end`, which names no leaf boundary.
 */
export function fullRoots(end: number, out: number[] = []): number[] {
  if (end % 2 !== 0) throw new RangeError(`fullRoots needs an even tree index, got ${end}`)
  let leaves = end / 2
  let acc = 0
  while (leaves > 0) {
    // largest power of two ≤ leaves
    const p = highestPowerOfTwo(leaves)
    out.push(acc + p - 1)
    acc += 2 * p
    leaves -= p
  }
  return out
}

/**
 * Walks up from `i` and returns the first ancestor (or `i` itself) that is a full root of a
 * tree of `length` blocks, i.e. whose right span is below `2·length`. Returns -1 when `i` lies
 * outside the tree.
 */
export function rootOf(i: number, length: number): number {
  const end = 2 * length
  if (rightSpan(i) >= end) return -1
  let node = i
  for (;;) {
    const p = parent(node)
    if (rightSpan(p) >= end) return node
    node = p
  }
}

/**
 * A cursor over the tree for proof walks: tracks index, offset and `factor` (2^(depth+1), the
 * number of tree indexes a subtree spans plus one) so moves cost a few float ops.
 */
export class TreeIterator {
  /** The current node's tree index. */
  index = 0
  /** The current node's offset among the nodes of its depth. */
  offset = 0
  /** 2^(depth + 1) of the current node. */
  factor = 2

  /** A cursor on node `i`. */
  constructor(i = 0) {
    this.seek(i)
  }

  /** Moves to node `i`. */
  seek(i: number): this {
    this.index = i
    if (i % 2 === 1) {
      const d = depth(i)
      this.offset = offset(i, d)
      this.factor = pow2(d + 1)
    } else {
      this.offset = i / 2
      this.factor = 2
    }
    return this
  }

  /** True when the current node is a left child. */
  isLeft(): boolean {
    return this.offset % 2 === 0
  }

  /** Moves to the sibling and returns its index. */
  sibling(): number {
    if (this.isLeft()) {
      this.index += this.factor
      this.offset++
    } else {
      this.index -= this.factor
      this.offset--
    }
    return this.index
  }

  /** Moves to the parent and returns its index. */
  parent(): number {
    if (this.offset % 2 === 1) {
      this.index -= this.factor / 2
      this.offset = (this.offset - 1) / 2
    } else {
      this.index += this.factor / 2
      this.offset /= 2
    }
    this.factor *= 2
    return this.index
  }

  /** Moves to the left child (stays on a leaf) and returns its index. */
  leftChild(): number {
    if (this.factor === 2) return this.index
    this.factor /= 2
    this.index -= this.factor / 2
    this.offset *= 2
    return this.index
  }

  /** True when the current subtree covers tree index `i`. */
  contains(i: number): boolean {
    const half = this.factor / 2
    return i > this.index ? i < this.index + half : i < this.index ? i > this.index - half : true
  }

  /** Leaves covered by the current node. */
  countLeaves(): number {
    return this.factor / 2
  }

  /** The rightmost leaf index under the current node. */
  rightSpan(): number {
    return this.index + this.factor / 2 - 1
  }

  /** The leftmost leaf index under the current node. */
  leftSpan(): number {
    return this.index - this.factor / 2 + 1
  }

  /**
   * From a leaf, grows to the largest full root that ends before tree index `end`; false when no
   * further root fits. With `nextTree`, walks the full roots of a tree of `end / 2` blocks.
   */
  fullRoot(end: number): boolean {
    if (end <= this.index || this.index % 2 === 1) return false
    while (end > this.index + this.factor + this.factor / 2) {
      this.index += this.factor / 2
      this.factor *= 2
      this.offset /= 2
    }
    return true
  }

  /** Moves to the first leaf after the current subtree. */
  nextTree(): number {
    this.index = this.index + this.factor / 2 + 1
    this.offset = this.index / 2
    this.factor = 2
    return this.index
  }
}
