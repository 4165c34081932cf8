/** Tree nodes: how they are read, hashed and consumed from an untrusted proof. */
import { data, parent, type TreeNode } from '@orchard/crypto'
import { InvalidProofError } from '../errors.ts'

export type { TreeNode }

/** How the tree reads stored nodes (the core implements it over its storage). */
export interface TreeNodeReader {
  getNode(index: number): Promise<TreeNode | null>
  getNodes(indexes: number[]): Promise<(TreeNode | null)[]>
}

export function blockNode(index: number, value: Uint8Array): TreeNode {
  return { index, size: value.byteLength, hash: data(value) }
}

export function parentNode(index: number, a: TreeNode, b: TreeNode): TreeNode {
  return { index, size: a.size + b.size, hash: parent(a, b) }
}

export function totalSize(nodes: readonly TreeNode[]): number {
  let s = 0
  for (const n of nodes) s += n.size
  return s
}

/**
 * Nodes of a proof, consumed in the order the verifier expects them. `extra` is a node computed
 * earlier (a block proof's root) that may stand in for one of them.
 */
export class NodeQueue {
  #i = 0
  readonly #nodes: readonly TreeNode[]
  extra: TreeNode | null

  constructor(nodes: readonly TreeNode[], extra: TreeNode | null = null) {
    this.#nodes = nodes
    this.extra = extra
  }

  get length(): number {
    return this.#nodes.length - this.#i + (this.extra === null ? 0 : 1)
  }

  /** Nodes of the list not yet consumed (the extra node not counted). */
  get remaining(): number {
    return this.#nodes.length - this.#i
  }

  shift(index: number): TreeNode {
    if (this.extra !== null && this.extra.index === index) {
      const node = this.extra
      this.extra = null
      return node
    }
    if (this.#i >= this.#nodes.length)
      throw new InvalidProofError(`expected node ${index}, the proof has no more nodes`)
    const node = this.#nodes[this.#i++]!
    if (node.index !== index) throw new InvalidProofError(`expected node ${index}, got node ${node.index}`)
    return node
  }
}
