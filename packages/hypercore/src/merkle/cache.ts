/**
 * A bounded cache of tree nodes in front of storage. Stored nodes never change while the tree
 * only grows (appends and verified downloads add nodes), so caching them is safe; truncations and
 * reorgs clear it. Proof generation and `missingNodes` then rarely touch storage for recent nodes.
 */
import type { TreeNode, TreeNodeReader } from './nodes.ts'

const MAX_CACHED = 1 << 16

/** A hash whose buffer is larger than this is copied before it is cached. */
const MAX_SHARED_BUFFER = 64

/**
 * `node` with a hash that does not keep a large buffer alive. Hashes decoded from a proof are
 * views into the whole transport frame they came in (megabytes of blocks); a cached view would
 * keep that frame alive for as long as the node stays cached, so a download would hold every frame
 * it received. A view into a small buffer (a stored node's value) is kept as it is.
 */
function ownHash(node: TreeNode): TreeNode {
  const { hash } = node
  return hash.buffer.byteLength <= MAX_SHARED_BUFFER
    ? node
    : { index: node.index, size: node.size, hash: hash.slice() }
}

export class CachedNodes implements TreeNodeReader {
  readonly #storage: TreeNodeReader
  #nodes = new Map<number, TreeNode>()

  constructor(storage: TreeNodeReader) {
    this.#storage = storage
  }

  /** Remembers nodes that are (about to be) stored. */
  add(nodes: readonly TreeNode[]): void {
    if (this.#nodes.size + nodes.length > MAX_CACHED) this.#nodes = new Map()
    for (const n of nodes) this.#nodes.set(n.index, ownHash(n))
  }

  clear(): void {
    this.#nodes = new Map()
  }

  /** The cached node, or undefined (which says nothing about storage). */
  peek(index: number): TreeNode | undefined {
    return this.#nodes.get(index)
  }

  async getNode(index: number): Promise<TreeNode | null> {
    const hit = this.#nodes.get(index)
    if (hit) return hit
    const node = await this.#storage.getNode(index)
    if (node && this.#nodes.size < MAX_CACHED) this.#nodes.set(index, ownHash(node))
    return node
  }

  async getNodes(indexes: number[]): Promise<(TreeNode | null)[]> {
    const out: (TreeNode | null)[] = new Array(indexes.length)
    let missing: number[] | null = null
    for (let i = 0; i < indexes.length; i++) {
      const hit = this.#nodes.get(indexes[i]!)
      if (hit) out[i] = hit
      else if (missing === null) missing = [i]
      else missing.push(i)
    }
    if (missing === null) return out
    const read = await this.#storage.getNodes(missing.map((i) => indexes[i]!))
    for (let k = 0; k < missing.length; k++) {
      const node = read[k]!
      out[missing[k]!] = node
      if (node && this.#nodes.size < MAX_CACHED) this.#nodes.set(node.index, ownHash(node))
    }
    return out
  }
}
