/**
 * A tree batch: a candidate next state of a core's tree (after an append, a truncation or a
 * verified upgrade), with the nodes to store. The core commits it to storage, then to the tree.
 */
import { type TreeNode, tree as treeHash } from '@orchard/crypto'
import { treeSignable, treeSignableCompat } from '../caps.ts'
import { depth, type TreeIterator } from '../flat-tree.ts'
import { parentNode } from './nodes.ts'

export interface TreeState {
  length: number
  byteLength: number
  fork: number
  roots: TreeNode[]
  signature: Uint8Array | null
}

export class TreeBatch implements TreeState {
  length: number
  byteLength: number
  fork: number
  roots: TreeNode[]
  signature: Uint8Array | null
  /** New nodes to store. */
  readonly nodes: TreeNode[] = []
  /** The trusted node a verified proof connected to (it is not in `nodes`), or -1. */
  connectsTo = -1
  /** Stored nodes to delete (a truncation's straddling parents). */
  readonly deletedNodes: number[] = []
  /** Length shared with the tree before this batch (< length of the tree after a truncation). */
  ancestors: number
  /** The tree this batch started from, to refuse stale commits. */
  readonly baseLength: number
  readonly baseFork: number
  upgraded = false
  #hash: Uint8Array | null = null

  constructor(base: TreeState) {
    this.length = base.length
    this.byteLength = base.byteLength
    this.fork = base.fork
    this.roots = [...base.roots]
    this.signature = base.signature
    this.ancestors = base.length
    this.baseLength = base.length
    this.baseFork = base.fork
  }

  hash(): Uint8Array {
    if (this.#hash === null) this.#hash = treeHash(this.roots)
    return this.#hash
  }

  /** The 112-byte v1 signable (context = manifest hash, or a v0 signer's namespace). */
  signable(context: Uint8Array): Uint8Array {
    return treeSignable(context, this.hash(), this.length, this.fork)
  }

  signableCompat(noHeader = false): Uint8Array {
    return treeSignableCompat(this.hash(), this.length, this.fork, noHeader)
  }

  /** Replaces the roots wholesale (append/truncate computed them elsewhere). */
  setRoots(roots: TreeNode[], length: number, byteLength: number): void {
    this.roots = roots
    this.length = length
    this.byteLength = byteLength
    this.#hash = null
    this.upgraded = true
  }

  /**
   * Adds a root the size of the iterator's subtree and merges it with equal-depth roots to its
   * left, as hypercore's `appendRoot` does; `ite` ends on the last root.
   */
  appendRoot(node: TreeNode, ite: TreeIterator): void {
    this.#hash = null
    this.upgraded = true
    this.length += ite.factor / 2
    this.byteLength += node.size
    this.roots.push(node)
    this.nodes.push(node)
    while (this.roots.length > 1) {
      const a = this.roots[this.roots.length - 1]!
      const b = this.roots[this.roots.length - 2]!
      if (ite.sibling() !== b.index) {
        ite.sibling() // back to the last root
        break
      }
      const merged = parentNode(ite.parent(), a, b)
      this.nodes.push(merged)
      this.roots.pop()
      this.roots.pop()
      this.roots.push(merged)
    }
  }
}

/** Depth check used by verification: a node this deep cannot exist below 2^53. */
export function tooDeep(index: number): boolean {
  return depth(index) > 52
}
