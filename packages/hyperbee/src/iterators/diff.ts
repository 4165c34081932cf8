/**
 * The difference between two versions of a bee, in key order: `{ left, right }` pairs where the
 * entry of a key differs (null on the side that does not have the key). Subtrees both versions
 * share — the same `(seq, offset)` — are skipped without being read, so a diff costs what changed.
 */
import type { Batch } from '../batch.ts'
import { compare } from '../bytes.ts'
import { DecodingError } from '../errors.ts'
import type { EncodedRange } from '../range.ts'
import { type BeeNode, type BlockEntry, checkDepth, type EntryEncoding, type TreeNode } from '../tree.ts'

/** One entry of a diff. */
export interface DiffEntry<K = unknown, V = unknown> {
  /** The entry in the bee the diff was asked of, or null if it does not have the key. */
  left: BeeNode<K, V> | null
  /** The entry in the other bee (or version), or null if it does not have the key. */
  right: BeeNode<K, V> | null
}

function cmp(a: Uint8Array | null, b: Uint8Array | null): number {
  if (!a) return b ? 1 : 0
  if (!b) return a ? -1 : 0
  return compare(a, b)
}

class SubTree {
  readonly node: TreeNode
  readonly parent: SubTree | null
  isKey: boolean
  i: number
  n = 0
  seq: number
  offset: number

  constructor(node: TreeNode, parent: SubTree | null) {
    this.node = node
    this.parent = parent
    if (!node.keys.length)
      throw new DecodingError('an inner node has no keys', { seq: node.block?.seq ?? null })
    this.isKey = node.children.length === 0
    this.i = this.isKey ? 1 : 0
    const child = this.isKey ? null : node.children[0]!
    this.seq = child !== null ? child.seq : node.keys[0]!.seq
    this.offset = child !== null ? child.offset : 0
  }

  next(): boolean {
    this.i++
    this.isKey = (this.i & 1) === 1
    if (!this.isKey && !this.node.children.length) this.i++
    return this.update()
  }

  async bisect(key: Uint8Array, incl: boolean): Promise<boolean> {
    let s = 0
    let e = this.node.keys.length
    let c = 0
    while (s < e) {
      const mid = (s + e) >> 1
      c = cmp(key, await this.node.getKey(mid))
      if (c === 0) {
        if (incl) this.i = mid * 2 + 1
        else this.i = mid * 2 + (this.node.children.length ? 2 : 3)
        return true
      }
      if (c < 0) e = mid
      else s = mid + 1
    }
    const i = c < 0 ? e : s
    this.i = 2 * i + (this.node.children.length ? 0 : 1)
    return this.node.children.length === 0
  }

  update(): boolean {
    this.isKey = (this.i & 1) === 1
    this.n = this.i >> 1
    if (this.n >= (this.isKey ? this.node.keys.length : this.node.children.length)) return false
    const child = this.isKey ? null : this.node.children[this.n]!
    this.seq = child !== null ? child.seq : this.node.keys[this.n]!.seq
    this.offset = child !== null ? child.offset : 0
    return true
  }

  async key(): Promise<Uint8Array | null> {
    if (this.n < this.node.keys.length) return this.node.getKey(this.n)
    return this.parent ? this.parent.key() : null
  }

  async compare(tree: SubTree): Promise<number> {
    const [a, b] = await Promise.all([this.key(), tree.key()])
    return cmp(a, b)
  }
}

class TreeIterator {
  readonly batch: Batch
  stack: SubTree[] = []
  readonly lt: Uint8Array | null
  readonly lte: boolean
  readonly gt: Uint8Array | null
  readonly gte: boolean
  seeking: boolean
  readonly encoding: EntryEncoding

  constructor(batch: Batch, range: EncodedRange, encoding: EntryEncoding) {
    this.batch = batch
    this.lt = range.lt || range.lte || null
    this.lte = !!range.lte
    this.gt = range.gt || range.gte || null
    this.gte = !!range.gte
    this.seeking = !!this.gt
    this.encoding = encoding
  }

  async open(): Promise<void> {
    const node = await this.batch.getRoot(false)
    if (!node?.keys.length) return
    const tree = new SubTree(node, null)
    if (this.seeking && !(await this.#seek(tree))) return
    this.stack.push(tree)
  }

  async #seek(tree: SubTree): Promise<boolean> {
    const done = await tree.bisect(this.gt!, this.gte)
    const oob = !tree.update()
    if (done || oob) {
      this.seeking = false
      if (oob) return false
    }
    return true
  }

  peek(): SubTree | null {
    return this.stack.length ? this.stack[this.stack.length - 1]! : null
  }

  skip(): void {
    if (!this.stack.length) return
    if (!this.stack[this.stack.length - 1]!.next()) this.stack.pop()
  }

  async nextKey(): Promise<BeeNode | null> {
    let n: BlockEntry | null = null
    while (this.stack.length && n === null) n = await this.next()
    if (n === null) return null
    if (!this.lt) return n.final(this.encoding)
    const c = cmp(n.key, this.lt)
    if (this.lte ? c <= 0 : c < 0) return n.final(this.encoding)
    this.stack = []
    return null
  }

  async next(): Promise<BlockEntry | null> {
    if (!this.stack.length) return null
    const top = this.stack[this.stack.length - 1]!
    const { isKey, n, seq } = top
    if (!top.next()) this.stack.pop()
    if (isKey) {
      this.seeking = false
      return this.batch.getBlock(seq)
    }
    checkDepth(this.stack.length, top.node.block?.seq)
    const child = await top.node.getChildNode(n)
    const tree = new SubTree(child, top)
    if (this.seeking && !(await this.#seek(tree))) return null
    this.stack.push(tree)
    return null
  }

  close(): Promise<void> {
    return this.batch.closeSnapshot()
  }
}

/** Walks two trees side by side and yields where they differ. */
export class DiffIterator {
  readonly left: TreeIterator
  readonly right: TreeIterator
  limit: number

  constructor(left: Batch, right: Batch, range: EncodedRange) {
    this.left = new TreeIterator(left, range, left.encoding)
    this.right = new TreeIterator(right, range, right.encoding)
    this.limit = range.limit
  }

  async open(): Promise<void> {
    await Promise.all([this.left.open(), this.right.open()])
  }

  async next(): Promise<DiffEntry | null> {
    if (this.limit === 0) return null
    const res = await this.#next()
    if (!res || (res.left === null && res.right === null)) return null
    this.limit--
    return res
  }

  async #next(): Promise<DiffEntry | null> {
    const a = this.left
    const b = this.right
    while (true) {
      const l = a.peek()
      const r = b.peek()
      if (!l && !r) return null
      if (!l) return { left: null, right: await b.nextKey() }
      if (!r) return { left: await a.nextKey(), right: null }

      if (l.seq === r.seq && l.isKey === r.isKey && l.offset === r.offset) {
        a.skip()
        b.skip()
        continue
      }

      const c = await l.compare(r)

      if (l.isKey && !r.isKey) {
        await b.next()
        continue
      }
      if (!l.isKey && r.isKey) {
        await a.next()
        continue
      }
      if (l.isKey && r.isKey) {
        if (c === 0) return { left: await a.nextKey(), right: await b.nextKey() }
        if (c < 0) return { left: await a.nextKey(), right: null }
        return { left: null, right: await b.nextKey() }
      }
      if (c === 0) await Promise.all([a.next(), b.next()])
      else if (c < 0) await b.next()
      else await a.next()
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.left.close(), this.right.close()])
  }
}
