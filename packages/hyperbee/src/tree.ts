/**
 * The B-tree as hyperbee 2 lays it out on a core, and its in-memory form while a write edits it.
 *
 * Every block (a {@link BlockEntry}) carries, in its index, the tree nodes that write changed: level 0
 * is the new root, the others are nodes it points to by `(seq, offset)`. A {@link TreeNode} is one
 * such node: keys are block seqs (the key bytes are those blocks' keys), children are pointers.
 * Writes load the nodes on their path, edit them in place (insert, split, remove, borrow, merge —
 * with hyperbee's order `T = 5`: at most 9 keys, at least 4 outside the root) and mark them
 * `changed`; {@link TreeNode.indexChanges} then lays the changed nodes out as the next block's index.
 *
 * The pointers of a block written by someone else are untrusted: a block may only point at itself
 * or earlier blocks, never at the header, never at a level it does not have, and a path may not be
 * deeper than any real tree could be — anything else is a {@link DecodingError}, so corrupt (but
 * signed) data can never make a read loop or wait for a block that will never exist.
 */
import { compare, equals } from './bytes.ts'
import { type Codec, decodeWith } from './encodings.ts'
import { DecodingError } from './errors.ts'
import { decodeYoloIndex, encodeNodeWith, type YoloIndex } from './messages.ts'

/** Hyperbee's B-tree order. */
export const T = 5
/** The fewest keys a node other than the root keeps. */
export const MIN_KEYS = T - 1
/** A node splits when it reaches this many keys. */
export const MAX_CHILDREN = MIN_KEYS * 2 + 1
/** No real tree is this deep (it would hold more than 5^40 keys): deeper means a pointer cycle. */
export const MAX_DEPTH = 40

/** Key and value codecs an operation finalises entries with. @internal */
export interface EntryEncoding {
  key: Codec | null
  value: Codec | null
}

/** An entry as reads return it: the block it was written in, its key and value. */
export interface BeeNode<K = unknown, V = unknown> {
  /** The block the entry was written in (its version is `seq + 1`). */
  seq: number
  /** The key, decoded with the key encoding. */
  key: K
  /** The value, decoded with the value encoding. */
  value: V
}

/** A decoded node block, as caches keep it (the index is decoded on first use). */
export interface CachedNode {
  key: Uint8Array
  value: Uint8Array | null
  index: Uint8Array | null
  inflated: YoloIndex | null
}

/** What tree nodes need from the operation reading them. @internal */
export interface TreeReader {
  getBlock(seq: number): Promise<BlockEntry>
  getBlockCached(seq: number): BlockEntry | null
  getKey(seq: number): Promise<Uint8Array>
  readonly alwaysDuplicate: boolean
}

/** A key slot of a node: the block seq holding the key, and the key bytes once loaded. */
export class Key {
  seq: number
  value: Uint8Array | null

  constructor(seq: number, value: Uint8Array | null) {
    this.seq = seq
    this.value = value
  }
}

/** A child pointer of a node: `(seq, offset)` in the store, and the node once loaded. */
export class Child {
  seq: number
  offset: number
  value: TreeNode | null

  constructor(seq: number, offset: number, value: TreeNode | null) {
    this.seq = seq
    this.offset = offset
    this.value = value
  }
}

/** Decodes (once) and checks the index of block `seq`. */
function inflate(entry: CachedNode, seq: number): YoloIndex {
  if (entry.inflated === null) {
    if (entry.index === null) throw new DecodingError('node has no index', { seq })
    let decoded: YoloIndex
    try {
      decoded = decodeYoloIndex(entry.index)
    } catch (err) {
      if (err instanceof DecodingError) throw new DecodingError(err.message, { seq, cause: err })
      throw err
    }
    for (const l of decoded.levels) {
      for (const k of l.keys) {
        if (k < 1 || k > seq) throw new DecodingError(`key pointer ${k} is out of range`, { seq })
      }
      if (l.children.length & 1) throw new DecodingError('odd child pointer list', { seq })
      for (let i = 0; i < l.children.length; i += 2) {
        const c = l.children[i]!
        if (c < 1 || c > seq) throw new DecodingError(`child pointer ${c} is out of range`, { seq })
      }
    }
    entry.inflated = decoded
    entry.index = null
  }
  return entry.inflated
}

/** The keys and children of one node of an index. */
interface PointerLevel {
  keys: Key[]
  children: Child[]
}

/** Throws when a walk went deeper than any real tree (a pointer cycle in bad data). */
export function checkDepth(depth: number, seq: number | null = null): void {
  if (depth > MAX_DEPTH) throw new DecodingError('tree deeper than possible (pointer cycle)', { seq })
}

/** Encodes a node block: `key`, `value` and the nodes of the write (`index[i].value`) as its index. */
export function encodeBlock(
  key: Uint8Array,
  value: Uint8Array | null,
  index: Array<Child | null>
): Uint8Array {
  const levels: TreeNode[] = new Array(index.length)
  for (let i = 0; i < index.length; i++) levels[i] = index[i]!.value!
  return encodeNodeWith(key, value, levels)
}

/** What {@link TreeNode.searchLoaded} returns when it needs a key that is not loaded. */
export const NOT_LOADED = Number.MIN_SAFE_INTEGER

/** A split node: the left half (the node itself), the median going up, and the new right half. */
export interface Split {
  left: TreeNode
  median: Key
  right: TreeNode
}

/** One B-tree node. @internal */
export class TreeNode {
  block: BlockEntry | null
  offset: number
  keys: Key[]
  children: Child[]
  changed = false

  constructor(block: BlockEntry | null, keys: Key[], children: Child[], offset: number) {
    this.block = block
    this.offset = offset
    this.keys = keys
    this.children = children
  }

  /** A new empty node of the write in progress. */
  static create(block: BlockEntry | null): TreeNode {
    const node = new TreeNode(block, [], [], 0)
    node.changed = true
    return node
  }

  get #reader(): TreeReader {
    return this.block!.tree
  }

  /**
   * Where `key` belongs among this node's keys, by binary search: `i` when it goes before key `i`
   * (`keys.length`: last), `-1 - i` when key `i` equals it, or {@link NOT_LOADED} when the search
   * meets a key whose bytes are not loaded yet (then {@link TreeNode.search} loads them).
   */
  searchLoaded(key: Uint8Array): number {
    const keys = this.keys
    let s = 0
    let e = keys.length
    while (s < e) {
      const mid = (s + e) >> 1
      const k = keys[mid]!.value
      if (k === null) return NOT_LOADED
      const c = compare(key, k)
      if (c === 0) return -1 - mid
      if (c < 0) e = mid
      else s = mid + 1
    }
    return s
  }

  /** {@link TreeNode.searchLoaded}, loading key bytes as it goes. */
  async search(key: Uint8Array): Promise<number> {
    let s = 0
    let e = this.keys.length
    while (s < e) {
      const mid = (s + e) >> 1
      const c = compare(key, this.keys[mid]!.value ?? (await this.getKey(mid)))
      if (c === 0) return -1 - mid
      if (c < 0) e = mid
      else s = mid + 1
    }
    return s
  }

  /**
   * Inserts `key` (or replaces the key equal to it), with `child` to its right when a split below
   * pushed a median up. Returns false when the node is now full and must split. Synchronous when
   * nothing needs loading (the common case inside a batch).
   */
  insertKey(
    key: Key,
    value: Uint8Array | null,
    child: TreeNode | null,
    node: BeeNode | null,
    encoding: EntryEncoding,
    cas: CasFn | null
  ): boolean | Promise<boolean> {
    const i = this.searchLoaded(key.value!)
    if (i === NOT_LOADED) return this.#insertKeyLoading(key, value, child, node, encoding, cas)
    if (i >= 0) return this.#insertAt(i, key, child)
    if (cas || !this.#reader.alwaysDuplicate) return this.#replaceKey(-1 - i, key, value, node, encoding, cas)
    this.changed = true
    this.keys[-1 - i] = key
    return true
  }

  async #insertKeyLoading(
    key: Key,
    value: Uint8Array | null,
    child: TreeNode | null,
    node: BeeNode | null,
    encoding: EntryEncoding,
    cas: CasFn | null
  ): Promise<boolean> {
    const i = await this.search(key.value!)
    if (i >= 0) return this.#insertAt(i, key, child)
    return this.#replaceKey(-1 - i, key, value, node, encoding, cas)
  }

  async #replaceKey(
    index: number,
    key: Key,
    value: Uint8Array | null,
    node: BeeNode | null,
    encoding: EntryEncoding,
    cas: CasFn | null
  ): Promise<boolean> {
    if (cas) {
      const prev = await this.getKeyNode(index)
      if (!(await cas(prev.final(encoding), node!))) return true
    }
    if (!this.#reader.alwaysDuplicate) {
      const prev = await this.getKeyNode(index)
      if (sameValue(prev.value, value)) return true
    }
    this.changed = true
    this.keys[index] = key
    return true
  }

  #insertAt(i: number, key: Key, child: TreeNode | null): boolean {
    this.keys.splice(i, 0, key)
    if (child) this.children.splice(i + 1, 0, new Child(0, 0, child))
    this.changed = true
    return this.keys.length < MAX_CHILDREN
  }

  /** Removes key `index` and the child to its right (whose pointer is marked freed). */
  removeKey(index: number): void {
    this.keys.splice(index, 1)
    if (this.children.length) {
      this.children[index + 1]!.seq = 0
      this.children.splice(index + 1, 1)
    }
    this.changed = true
  }

  /** This node's neighbours under `parent`, and its index there. */
  async siblings(
    parent: TreeNode
  ): Promise<{ left: TreeNode | null; index: number; right: TreeNode | null }> {
    for (let i = 0; i < parent.children.length; i++) {
      if (parent.children[i]!.value === this) {
        const [left, right] = await Promise.all([
          i ? parent.getChildNode(i - 1) : null,
          i < parent.children.length - 1 ? parent.getChildNode(i + 1) : null
        ])
        return { left, index: i, right }
      }
    }
    throw new DecodingError('a node is missing from its parent')
  }

  /** Appends `median` and all of `node` (the right sibling) to this node. */
  merge(node: TreeNode, median: Key): void {
    this.changed = true
    this.keys.push(median)
    for (const k of node.keys) this.keys.push(k)
    for (const c of node.children) this.children.push(c)
  }

  /**
   * Splits a full node: this keeps the left half, the median goes up, a new right node is returned.
   * Synchronous when the median's bytes are loaded (they travel up with it).
   */
  split(): Split | Promise<Split> {
    const m = this.keys.length - (this.keys.length >> 1) - 1
    if (this.keys[m]!.value === null) return this.getKey(m).then(() => this.#split())
    return this.#split()
  }

  #split(): Split {
    const len = this.keys.length >> 1
    const right = TreeNode.create(this.block)
    while (right.keys.length < len) right.keys.push(this.keys.pop()!)
    right.keys.reverse()
    const median = this.keys.pop()!
    if (this.children.length) {
      while (right.children.length < len + 1) right.children.push(this.children.pop()!)
      right.children.reverse()
    }
    this.changed = true
    return { left: this, median, right }
  }

  /** The block holding key `index`. */
  getKeyNode(index: number): Promise<BlockEntry> {
    return this.#reader.getBlock(this.keys[index]!.seq)
  }

  /** Child `index`, loaded (and checked) on first use. */
  async getChildNode(index: number): Promise<TreeNode> {
    const child = this.children[index]
    if (child === undefined) throw new DecodingError('no such child', { seq: this.block?.seq ?? null })
    if (child.value) return child.value
    const own = this.block!
    if (child.seq === own.seq && child.offset === this.offset && !(own instanceof BatchEntry)) {
      throw new DecodingError('a node points to itself', { seq: own.seq })
    }
    const block = child.seq === own.seq ? own : await this.#reader.getBlock(child.seq)
    const node = block.getTreeNode(child.offset)
    child.value = node
    return node
  }

  /** Child `index` if it is loaded or its block is decoded already (no read, no await), else null. */
  getChildNodeCached(index: number): TreeNode | null {
    const child = this.children[index]
    if (child === undefined) return null
    if (child.value) return child.value
    const own = this.block!
    if (child.seq === own.seq) return null // the checked path
    const block = this.#reader.getBlockCached(child.seq)
    if (block === null) return null
    const node = block.getTreeNode(child.offset)
    child.value = node
    return node
  }

  /** Replaces key `index`. */
  setKey(index: number, key: Key): void {
    this.keys[index] = key
    this.changed = true
  }

  /** The bytes of key `index`, loaded on first use. */
  async getKey(index: number): Promise<Uint8Array> {
    const key = this.keys[index]!
    if (key.value) return key.value
    const own = this.block!
    const k = key.seq === own.seq ? own.key : await this.#reader.getKey(key.seq)
    key.value = k
    return k
  }

  /** Lays out this node and its changed descendants in `index` for block `seq`; returns its offset. */
  indexChanges(index: Array<Child | null>, seq: number): number {
    const offset = index.push(null) - 1
    this.changed = false
    for (const child of this.children) {
      if (!child.value?.changed) continue
      child.seq = seq
      child.offset = child.value.indexChanges(index, seq)
      index[child.offset] = child
    }
    return offset
  }

  /** Points the nodes written in `seq` at their (pending) block. */
  updateChildren(seq: number, block: BlockEntry): void {
    for (const child of this.children) {
      if (!child.value || child.seq !== seq) continue
      child.value.block = block
      child.value.updateChildren(seq, block)
    }
  }
}

/** A compare-and-swap predicate: given the current entry and the one to write, write or not. */
export type CasFn<K = unknown, V = unknown> = (
  prev: BeeNode<K, V>,
  next: BeeNode<K, V | null>
) => boolean | Promise<boolean>

/** A block of the bee (seq ≥ 1) read back: its key, value, and its index on demand. @internal */
export class BlockEntry {
  readonly seq: number
  readonly tree: TreeReader
  readonly entry: CachedNode
  readonly key: Uint8Array
  readonly value: Uint8Array | null
  /** The nodes of this block as key and child objects, built once: tree nodes of it share them. */
  #levels: PointerLevel[] | null = null

  constructor(seq: number, tree: TreeReader, entry: CachedNode) {
    this.seq = seq
    this.tree = tree
    this.entry = entry
    this.key = entry.key
    this.value = entry.value
  }

  /** Whether this block wrote `key`. */
  isTarget(key: Uint8Array): boolean {
    return equals(this.key, key)
  }

  /** The decoded index (decoded once per block, shared by every reader of it). */
  inflate(): YoloIndex {
    return inflate(this.entry, this.seq)
  }

  /** Whether this block is a delete (no value, and its key is not in its own tree). */
  isDeletion(): boolean {
    if (this.value !== null) return false
    for (const level of this.inflate().levels) {
      for (const key of level.keys) if (key === this.seq) return false
    }
    return true
  }

  /** The entry as users see it, decoded with `encoding`. */
  final(encoding: EntryEncoding): BeeNode {
    return {
      seq: this.seq,
      key: decodeWith(encoding.key, this.key),
      value: this.value && decodeWith(encoding.value, this.value)
    }
  }

  /**
   * Node `offset` of this block's index. Nodes loaded from one block entry share its key and child
   * objects (as hyperbee's do — a batch's edits rely on it), so traversals bound their own depth.
   */
  getTreeNode(offset: number): TreeNode {
    if (this.#levels === null) {
      const { levels } = this.inflate()
      for (const level of levels) {
        if (level.children.length && level.children.length !== 2 * (level.keys.length + 1)) {
          throw new DecodingError('a node has the wrong number of children', { seq: this.seq })
        }
      }
      this.#levels = levels.map((l) => {
        const keys: Key[] = new Array(l.keys.length)
        for (let i = 0; i < l.keys.length; i++) keys[i] = new Key(l.keys[i]!, null)
        const children: Child[] = new Array(l.children.length >> 1)
        for (let i = 0; i < l.children.length; i += 2) {
          children[i >> 1] = new Child(l.children[i]!, l.children[i + 1]!, null)
        }
        return { keys, children }
      })
    }
    const level = this.#levels[offset]
    if (level === undefined) {
      throw new DecodingError(`pointer to level ${offset} of a block with ${this.#levels.length}`, {
        seq: this.seq
      })
    }
    return new TreeNode(this, level.keys, level.children, offset)
  }
}

/** A block of a batch not flushed yet: its nodes are still the live objects. */
export class BatchEntry extends BlockEntry {
  readonly pendingIndex: Array<Child | null>

  constructor(
    seq: number,
    tree: TreeReader,
    key: Uint8Array,
    value: Uint8Array | null,
    index: Array<Child | null>
  ) {
    super(seq, tree, { key, value, index: null, inflated: null })
    this.pendingIndex = index
  }

  override isTarget(): boolean {
    return false
  }

  override getTreeNode(offset: number): TreeNode {
    return this.pendingIndex[offset]!.value!
  }
}

/** Whether two values are the same (both null, or equal bytes). */
export function sameValue(a: Uint8Array | null, b: Uint8Array | null): boolean {
  return a === b || (a !== null && b !== null && equals(a, b))
}

// --- deletes --------------------------------------------------------------------------------------

async function leafSize(node: TreeNode, goLeft: boolean): Promise<number> {
  for (let depth = 0; node.children.length; depth++) {
    checkDepth(depth, node.block?.seq)
    node = await node.getChildNode(goLeft ? 0 : node.children.length - 1)
  }
  return node.keys.length
}

/**
 * Replaces key `index` of an inner node with its neighbour from the leaves — the successor when
 * the right subtree's leftmost leaf is bigger, else the predecessor — pushing the path on `stack`.
 */
export async function setKeyToNearestLeaf(node: TreeNode, index: number, stack: TreeNode[]): Promise<void> {
  let [left, right] = await Promise.all([node.getChildNode(index), node.getChildNode(index + 1)])
  const [ls, rs] = await Promise.all([leafSize(left, false), leafSize(right, true)])
  if (ls < rs) {
    stack.push(right)
    while (right.children.length) {
      checkDepth(stack.length)
      right = right.children[0]!.value!
      stack.push(right)
    }
    node.keys[index] = right.keys.shift()!
  } else {
    stack.push(left)
    while (left.children.length) {
      checkDepth(stack.length)
      left = left.children[left.children.length - 1]!.value!
      stack.push(left)
    }
    node.keys[index] = left.keys.pop()!
  }
}

/** Restores the minimum fill bottom-up after a removal; returns the (possibly new) root. */
export async function rebalance(stack: TreeNode[]): Promise<TreeNode> {
  const root = stack[0]!

  while (stack.length > 1) {
    const node = stack.pop()!
    const parent = stack[stack.length - 1]!
    if (node.keys.length >= MIN_KEYS) return root

    let { left, index, right } = await node.siblings(parent)

    if (left && left.keys.length > MIN_KEYS) {
      left.changed = true
      node.keys.unshift(parent.keys[index - 1]!)
      if (left.children.length) node.children.unshift(left.children.pop()!)
      parent.keys[index - 1] = left.keys.pop()!
      return root
    }

    if (right && right.keys.length > MIN_KEYS) {
      right.changed = true
      node.keys.push(parent.keys[index]!)
      if (right.children.length) node.children.push(right.children.shift()!)
      parent.keys[index] = right.keys.shift()!
      return root
    }

    if (left) {
      index--
      right = node
    } else {
      left = node
    }
    left.merge(right!, parent.keys[index]!)
    parent.removeKey(index)
  }

  if (!root.keys.length && root.children.length) return root.getChildNode(0)
  return root
}
