/**
 * A bounded cache of tree nodes in front of storage. Stored nodes never change while the tree
 * only grows (appends and verified downloads add nodes), so caching them is safe; truncations and
 * reorgs clear it. Proof generation and `missingNodes` then rarely touch storage for recent nodes.
 */
import type { TreeNode, TreeNodeReader } from './nodes.ts'

/** Slots of the cache: a node lives in slot `index mod SLOTS`, so a newer one may displace it. */
const SLOTS = 1 << 16
const SLOT_MASK = SLOTS - 1

/**
 * A node read from storage whose hash lies in a buffer larger than this is copied before it is
 * cached: a packed record of many nodes (or blocks) would stay alive for one cached node.
 */
const MAX_READ_BUFFER = 64
/**
 * A node added whose hash lies in a buffer larger than this is copied. Added nodes come from the
 * kernel's batched hashing (one compact buffer of the nodes' own hashes: kept as it is, appends stay
 * cheap) or from proofs, whose hashes the wire decoder copies already; a larger buffer is most
 * likely a whole received frame (blocks included), which a cached view would keep alive.
 */
const MAX_ADDED_BUFFER = 1 << 16

/** `node` with a hash that does not keep a buffer larger than `limit` alive. */
function ownHash(node: TreeNode, limit: number): TreeNode {
  const { hash } = node
  return hash.buffer.byteLength <= limit ? node : { index: node.index, size: node.size, hash: hash.slice() }
}

/**
 * Direct-mapped: one array slot per `index mod SLOTS`. Lookups and inserts are an array access with
 * no hashing, rehashing or wholesale resets (a Map of this size was a visible share of replication
 * time); what a collision displaces is read from storage again if it is needed.
 */
export class CachedNodes implements TreeNodeReader {
  readonly #storage: TreeNodeReader
  #slots: (TreeNode | undefined)[] = new Array(SLOTS).fill(undefined)

  constructor(storage: TreeNodeReader) {
    this.#storage = storage
  }

  /** Remembers nodes that are (about to be) stored. */
  add(nodes: readonly TreeNode[]): void {
    const slots = this.#slots
    for (const n of nodes) slots[n.index & SLOT_MASK] = ownHash(n, MAX_ADDED_BUFFER)
  }

  clear(): void {
    this.#slots = new Array(SLOTS).fill(undefined)
  }

  /** The cached node, or undefined (which says nothing about storage). */
  peek(index: number): TreeNode | undefined {
    const node = this.#slots[index & SLOT_MASK]
    return node !== undefined && node.index === index ? node : undefined
  }

  async getNode(index: number): Promise<TreeNode | null> {
    const hit = this.peek(index)
    if (hit) return hit
    const node = await this.#storage.getNode(index)
    if (node) this.#slots[index & SLOT_MASK] = ownHash(node, MAX_READ_BUFFER)
    return node
  }

  async getNodes(indexes: number[]): Promise<(TreeNode | null)[]> {
    const out: (TreeNode | null)[] = new Array(indexes.length)
    let missing: number[] | null = null
    for (let i = 0; i < indexes.length; i++) {
      const hit = this.peek(indexes[i]!)
      if (hit) out[i] = hit
      else if (missing === null) missing = [i]
      else missing.push(i)
    }
    if (missing === null) return out
    const read = await this.#storage.getNodes(missing.map((i) => indexes[i]!))
    for (let k = 0; k < missing.length; k++) {
      const node = read[k]!
      out[missing[k]!] = node
      if (node) this.#slots[node.index & SLOT_MASK] = ownHash(node, MAX_READ_BUFFER)
    }
    return out
  }
}
