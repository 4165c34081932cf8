/**
 * A batch: the unit every read and write of a bee runs in, as in hyperbee 2.
 *
 * A single `put`/`del` is a batch that appends as soon as its one write is laid out (`autoFlush`).
 * A user batch (`bee.batch()`) holds the bee's write lock from its first write to `flush()`, keeps
 * its writes as pending blocks whose tree nodes stay live in memory, and appends them all at once.
 * Reads (`get`, iterators) use a batch over the core (or a snapshot of it) to load and cache blocks.
 */
import type { Hypercore } from '@orchard/hypercore'
import { compare } from './bytes.ts'
import { type Codec, type Encoding, encodeWith, resolveEncoding } from './encodings.ts'
import { BadArgumentError, BlockNotAvailableError, DecodingError, ReadOnlyError } from './errors.ts'
import { RangeIterator, type RangeOptions } from './iterators/range.ts'
import { BeeStream, peekSource, type Source } from './iterators/stream.ts'
import { decodeNode, encodeHeader } from './messages.ts'
import { encodeRange } from './range.ts'
import { type BeeState, Lock } from './state.ts'
import {
  BatchEntry,
  type BeeNode,
  BlockEntry,
  type CachedNode,
  type CasFn,
  Child,
  checkDepth,
  type EntryEncoding,
  encodeBlock,
  Key,
  NOT_LOADED,
  rebalance,
  sameValue,
  setKeyToNearestLeaf,
  TreeNode,
  type TreeReader
} from './tree.ts'

/** Options of reads and batches. */
export interface BatchOptions {
  /** Key encoding for this operation (overrides the bee's). */
  keyEncoding?: Encoding
  /** Value encoding for this operation (overrides the bee's). */
  valueEncoding?: Encoding
  /** Wait for blocks from peers (default true); false fails fast with `BLOCK_NOT_AVAILABLE`. */
  wait?: boolean
  /** Milliseconds to wait for a block from peers (0: forever). */
  timeout?: number
  /** Ask peers for a newer length first (default true). */
  update?: boolean
  /** Read this version instead of the latest. */
  checkout?: number
  /** How many blocks a batch keeps decoded (default 128). */
  maxBlocksCached?: number
}

/** Options of `put` and `del`. */
export interface WriteOptions<K = unknown, V = unknown> {
  /** Compare-and-swap: write only if `cas(current, next)` is truthy (only asked when the key exists). */
  cas?: CasFn<K, V>
  /** Key encoding for this write (overrides the bee's). */
  keyEncoding?: Encoding
  /** Value encoding for this write (overrides the bee's). */
  valueEncoding?: Encoding
}

/** Options of `get`. */
export interface GetOptions extends BatchOptions {
  /** Internal: return the raw block instead of the decoded entry. */
  finalize?: boolean
}

/** A batch of reads and writes over one view of the core. */
export class Batch<K = unknown, V = unknown> implements TreeReader {
  /** @internal The bee's shared state (lock, caches, encodings). */
  readonly bee: BeeState
  /** The core session this batch reads: the bee's core, or a snapshot of it. */
  readonly core: Hypercore
  /** @internal Decoded blocks, pending writes included (null: no cache). */
  readonly blocks: Map<number, BlockEntry> | null
  /** Whether each write appends at once (a single `put`/`del`) instead of waiting for `flush()`. */
  readonly autoFlush: boolean
  /** How many stored blocks the batch keeps decoded (pending blocks are always kept). */
  readonly maxBlocksCached: number
  /** @internal The root after the pending writes (null: read it from the core). */
  root: TreeNode | null = null
  /** How many writes are pending (laid out as blocks, not yet appended). */
  length = 0
  /** The version this batch reads (-1: the latest). */
  readonly checkout: number
  /** The options the batch was opened with. */
  readonly options: BatchOptions
  /** @internal The key and value codecs of the batch's operations. */
  readonly encoding: EntryEncoding
  #locked: (() => void) | null = null
  readonly #batchLock: Lock | null
  #appending: Uint8Array[] | null = null
  readonly #ownsCore: boolean
  readonly #shouldUpdate: boolean
  #updating: Promise<boolean> | null = null
  #closed = false

  /** @internal Batches come from a bee (`batch()`, or inside its reads and writes). */
  constructor(
    bee: BeeState,
    core: Hypercore,
    opts: { user?: boolean; cache?: boolean; ownsCore?: boolean } = {},
    options: BatchOptions = {}
  ) {
    this.bee = bee
    this.core = core
    this.blocks = opts.cache === false ? null : new Map()
    this.#batchLock = opts.user ? new Lock() : null
    this.autoFlush = !opts.user
    this.maxBlocksCached = options.maxBlocksCached ?? 128
    this.checkout = options.checkout === undefined ? -1 : options.checkout
    this.options = options
    this.#ownsCore = opts.ownsCore === true
    this.#shouldUpdate = options.update !== false
    this.encoding = {
      key: options.keyEncoding ? resolveEncoding(options.keyEncoding) : bee.keyEncoding,
      value: options.valueEncoding ? resolveEncoding(options.valueEncoding) : bee.valueEncoding
    }
    if (opts.user || this.#ownsCore) bee.batches.add(this)
  }

  /** Writes replace equal values too (hyperbee's default). */
  get alwaysDuplicate(): boolean {
    return this.bee.alwaysDuplicate
  }

  /** The version this batch reads: its checkout, or the core's length plus pending writes. */
  get version(): number {
    if (this.checkout !== -1) return Math.max(1, this.checkout)
    return Math.max(1, this.bee.checkoutVersion || this.core.length + this.length)
  }

  async #lock(): Promise<void> {
    if (this.bee.readonly) throw new ReadOnlyError()
    if (this.#locked === null) this.#locked = await this.bee.lock()
  }

  /** @internal The root of the tree at this batch's version (appending the header first when writing). */
  async getRoot(ensureHeader: boolean): Promise<TreeNode | null> {
    // a batch with pending writes: its root is the last pending block's (already live in memory)
    if (this.root !== null && this.length > 0) return this.root
    if (!this.core.opened) await this.core.ready()
    if (ensureHeader && this.core.length === 0 && this.core.writable && !this.bee.readonly) {
      await this.core.append(encodeHeader({ protocol: 'hyperbee', metadata: this.bee.metadata }))
    }
    if (this.bee.checkoutVersion === 0 && this.checkout === -1 && this.#shouldUpdate) {
      if (this.#updating === null) this.#updating = this.core.update()
      await this.#updating
    }
    if (this.version < 2) return null
    return (await this.getBlock(this.version - 1)).getTreeNode(0)
  }

  /** @internal The key bytes of block `seq`. */
  async getKey(seq: number): Promise<Uint8Array> {
    const fork = this.core.fork
    const cacheable = fork === this.bee.core.fork
    const cached = cacheable ? this.bee.caches.keys.get(fork, seq) : undefined
    if (cached !== undefined) return cached
    const key = (await this.getBlock(seq)).key
    if (cacheable) this.bee.caches.keys.set(fork, seq, key)
    return key
  }

  async #getNode(seq: number): Promise<CachedNode> {
    const fork = this.core.fork
    const cacheable = fork === this.bee.core.fork
    const { caches } = this.bee
    if (cacheable) {
      const cached = caches.nodes.get(fork, seq)
      if (cached !== undefined) return cached
    }
    const id = `${fork}:${seq}`
    const pending = cacheable ? caches.inflight.get(id) : undefined
    if (pending !== undefined) return pending
    const loading = this.#loadNode(seq)
    if (!cacheable) return loading
    caches.inflight.set(id, loading)
    try {
      const node = await loading
      caches.nodes.set(fork, seq, node)
      return node
    } finally {
      caches.inflight.delete(id)
    }
  }

  async #loadNode(seq: number): Promise<CachedNode> {
    if (seq < 1) throw new DecodingError('the header is not a node', { seq })
    const raw = (await this.core.get(seq, {
      valueEncoding: 'binary',
      wait: this.options.wait,
      timeout: this.options.timeout
    })) as Uint8Array | null
    if (raw === null) throw new BlockNotAvailableError(`block ${seq} is not available`)
    let node: { key: Uint8Array; value: Uint8Array | null; index: Uint8Array }
    try {
      node = decodeNode(raw)
    } catch (err) {
      if (err instanceof DecodingError) throw new DecodingError(err.message, { seq, cause: err })
      throw err
    }
    return { key: node.key, value: node.value, index: node.index, inflated: null }
  }

  /** @internal Block `seq` if it is pending or decoded already (no read, no await), else null. */
  getBlockCached(seq: number): BlockEntry | null {
    const b = this.blocks?.get(seq)
    if (b) return b
    const fork = this.core.fork
    if (fork !== this.bee.core.fork) return null
    const entry = this.bee.caches.nodes.get(fork, seq)
    if (entry === undefined) return null
    const block = new BlockEntry(seq, this, entry)
    if (this.blocks && this.blocks.size - this.length < this.maxBlocksCached) this.blocks.set(seq, block)
    return block
  }

  /** @internal Block `seq` of this batch (pending or stored). */
  async getBlock(seq: number): Promise<BlockEntry> {
    let b = this.blocks?.get(seq)
    if (b) return b
    const entry = await this.#getNode(seq)
    b = this.blocks?.get(seq)
    if (b) return b
    b = new BlockEntry(seq, this, entry)
    if (this.blocks && this.blocks.size - this.length < this.maxBlocksCached) this.blocks.set(seq, b)
    return b
  }

  /** @internal The encodings of one call. */
  getEncoding(opts?: { keyEncoding?: Encoding; valueEncoding?: Encoding } | null): EntryEncoding {
    if (!opts) return this.encoding
    return {
      key: opts.keyEncoding ? resolveEncoding(opts.keyEncoding) : this.encoding.key,
      value: opts.valueEncoding ? resolveEncoding(opts.valueEncoding) : this.encoding.value
    }
  }

  /** @internal A range iterator over this batch. */
  createRangeIterator(
    range: RangeOptions = {},
    encoding: EntryEncoding = this.getEncoding(range)
  ): RangeIterator {
    return new RangeIterator(this, encoding, encodeRange(encoding.key, range, this.bee.isSub))
  }

  /** The entries of a key range, as an async-iterable stream (sees this batch's pending writes). */
  createReadStream(range: RangeOptions = {}, opts: RangeOptions = {}): BeeStream<BeeNode<K, V>> {
    const merged = { ...opts, ...range }
    return new BeeStream(this.createRangeIterator(merged) as Source<BeeNode<K, V>>)
  }

  /** The first entry of a range, or null. */
  peek(range: RangeOptions = {}, opts: RangeOptions = {}): Promise<BeeNode<K, V> | null> {
    return peekSource(this.createRangeIterator({ ...opts, ...range, limit: 1 }) as Source<BeeNode<K, V>>)
  }

  /** The entry written at block `seq` (its key and value). */
  async getBySeq(
    seq: number,
    opts?: BatchOptions
  ): Promise<{
    /** The key written. */
    key: K
    /** The value written (null for a delete). */
    value: V | null
  }> {
    if (!Number.isSafeInteger(seq) || seq < 1) throw new BadArgumentError('seq must be an integer >= 1')
    const encoding = this.getEncoding(opts)
    try {
      const block = (await this.getBlock(seq)).final(encoding)
      return { key: block.key as K, value: block.value as V | null }
    } finally {
      await this.closeSnapshot()
    }
  }

  /** The entry of `key`, or null. */
  async get(key: K, opts?: GetOptions): Promise<BeeNode<K, V> | null> {
    const encoding = this.getEncoding(opts)
    const finalize = opts ? opts.finalize !== false : true
    try {
      return (await this.#get(encodeKey(encoding.key, key), encoding, finalize)) as BeeNode<K, V> | null
    } finally {
      await this.closeSnapshot()
    }
  }

  async #get(
    key: Uint8Array,
    encoding: EntryEncoding,
    finalize: boolean
  ): Promise<BeeNode | BlockEntry | null> {
    let node = await this.getRoot(false)
    if (!node) return null
    for (let depth = 0; ; depth++) {
      checkDepth(depth, node.block!.seq)
      if (node.block!.isTarget(key)) {
        const block = node.block!
        return block.isDeletion() ? null : finalize ? block.final(encoding) : block
      }
      let i = node.searchLoaded(key)
      if (i === NOT_LOADED) i = await node.search(key)
      if (i < 0) {
        const block = await this.getBlock(node.keys[-1 - i]!.seq)
        return finalize ? block.final(encoding) : block
      }
      if (!node.children.length) return null
      node = node.children[i]?.value ?? (await node.getChildNode(i))
    }
  }

  /** Writes `key` = `value` (in this batch, or at once for a single put). */
  async put(key: K, value?: V, opts?: WriteOptions<K, V>): Promise<void> {
    const encoding = this.getEncoding(opts)
    const k = encodeKey(encoding.key, key)
    const v = encodeWith(encoding.value, value, 'value')
    const cas = (opts?.cas ?? null) as CasFn | null
    const lock = this.#batchLock
    if (lock !== null && !lock.tryAcquire()) await lock.acquire()
    try {
      if (!this.#locked) await this.#lock()
      await this.#put(key, value, k, v, encoding, cas)
    } catch (err) {
      if (this.autoFlush) this.#unlock()
      throw err
    } finally {
      lock?.release()
    }
  }

  async #put(
    userKey: unknown,
    userValue: unknown,
    key: Uint8Array,
    value: Uint8Array | null,
    encoding: EntryEncoding,
    cas: CasFn | null
  ): Promise<void> {
    const newNode: BeeNode = { seq: 0, key: userKey, value: userValue }
    const stack: TreeNode[] = []
    // inside a batch the root is the live one of the last pending write: no await
    let root = this.root !== null && this.length > 0 ? this.root : await this.getRoot(true)
    let node = root ?? TreeNode.create(null)
    if (!root) root = node

    const seq = this.core.length + this.length
    newNode.seq = seq
    const target = new Key(seq, key)

    while (node.children.length) {
      checkDepth(stack.length, node.block?.seq)
      stack.push(node)
      node.changed = true // changed, but compressible
      let i = node.searchLoaded(key)
      if (i === NOT_LOADED) i = await node.search(key)
      if (i < 0) {
        const mid = -1 - i
        if (cas) {
          const prev = await node.getKeyNode(mid)
          if (!(await cas(prev.final(encoding), newNode))) return this.#unlockMaybe()
        }
        if (!this.bee.alwaysDuplicate) {
          const prev = await node.getKeyNode(mid)
          if (sameValue(prev.value, value)) return this.#unlockMaybe()
        }
        node.setKey(mid, target)
        return this.#append(root, seq, key, value)
      }
      node = node.children[i]?.value ?? (await node.getChildNode(i))
    }

    const inserted = node.insertKey(target, value, null, newNode, encoding, cas)
    let needsSplit = !(typeof inserted === 'boolean' ? inserted : await inserted)
    if (!node.changed) return this.#unlockMaybe()

    while (needsSplit) {
      const parent = stack.pop()
      const split = node.split()
      const { median, right } = split instanceof Promise ? await split : split
      if (parent) {
        const up = parent.insertKey(median, value, right, null, encoding, null)
        needsSplit = !(typeof up === 'boolean' ? up : await up)
        node = parent
      } else {
        root = TreeNode.create(node.block)
        root.keys.push(median)
        root.children.push(new Child(0, 0, node), new Child(0, 0, right))
        needsSplit = false
      }
    }
    return this.#append(root, seq, key, value)
  }

  /** Deletes `key` (a no-op when it is not there). */
  async del(key: K, opts?: WriteOptions<K, V>): Promise<void> {
    const encoding = this.getEncoding(opts)
    const k = encodeKey(encoding.key, key)
    const cas = (opts?.cas ?? null) as CasFn | null
    const lock = this.#batchLock
    if (lock !== null && !lock.tryAcquire()) await lock.acquire()
    try {
      if (!this.#locked) await this.#lock()
      await this.#del(key, k, encoding, cas)
    } catch (err) {
      if (this.autoFlush) this.#unlock()
      throw err
    } finally {
      lock?.release()
    }
  }

  async #del(userKey: unknown, key: Uint8Array, encoding: EntryEncoding, cas: CasFn | null): Promise<void> {
    const delNode: BeeNode = { seq: 0, key: userKey, value: null }
    const stack: TreeNode[] = []
    let node = await this.getRoot(true)
    if (!node) return this.#unlockMaybe()
    const seq = this.core.length + this.length
    delNode.seq = seq

    while (true) {
      checkDepth(stack.length, node.block?.seq)
      stack.push(node)
      let s = 0
      let e: number = node.keys.length
      let c = 0
      while (s < e) {
        const mid = (s + e) >> 1
        c = compare(key, await node.getKey(mid))
        if (c === 0) {
          if (cas) {
            const prev = await node.getKeyNode(mid)
            if (!(await cas(prev.final(encoding), delNode))) return this.#unlockMaybe()
          }
          if (node.children.length) await setKeyToNearestLeaf(node, mid, stack)
          else node.removeKey(mid)
          // marked late, so a delete of a missing key rewrites nothing
          for (const n of stack) n.changed = true
          return this.#append(await rebalance(stack), seq, key, null)
        }
        if (c < 0) e = mid
        else s = mid + 1
      }
      if (!node.children.length) return this.#unlockMaybe()
      node = await node.getChildNode(c < 0 ? e : s)
    }
  }

  /** Closes the snapshot session this batch read from (if it owns one). */
  async closeSnapshot(): Promise<void> {
    if (this.#ownsCore) {
      if (!this.#closed) {
        this.#closed = true
        await this.core.close()
      }
      this.#finalize()
    }
  }

  /** Drops pending writes and releases the write lock (or closes the read snapshot). */
  async close(): Promise<void> {
    if (this.#ownsCore) return this.closeSnapshot()
    this.root = null
    this.blocks?.clear()
    this.length = 0
    this.#unlock()
  }

  /** Encodes the pending writes as blocks (compacting each block's index to what it still owns). */
  toBlocks(): Uint8Array[] {
    if (this.#appending) return this.#appending
    const out: Uint8Array[] = new Array(this.length)
    for (let i = 0; i < this.length; i++) {
      const seq = this.core.length + i
      const { pendingIndex, key, value } = this.blocks!.get(seq) as BatchEntry
      if (i < this.length - 1) {
        pendingIndex[0] = null
        let j = 0
        while (j < pendingIndex.length) {
          const idx = pendingIndex[j]
          if (idx && idx.seq === seq) {
            idx.offset = j++
            continue
          }
          if (j === pendingIndex.length - 1) pendingIndex.pop()
          else pendingIndex[j] = pendingIndex.pop()!
        }
      }
      out[i] = encodeBlock(key, value, pendingIndex)
    }
    this.#appending = out
    return out
  }

  /** Appends all pending writes as one atomic append and releases the lock. */
  async flush(): Promise<void> {
    if (!this.length) return this.close()
    const blocks = this.toBlocks()
    this.root = null
    this.blocks!.clear()
    this.length = 0
    return this.#appendBlocks(blocks)
  }

  #unlockMaybe(): void {
    if (this.autoFlush) this.#unlock()
  }

  #unlock(): void {
    const locked = this.#locked
    this.#locked = null
    this.#appending = null
    if (locked !== null) locked()
    this.#finalize()
  }

  #finalize(): void {
    this.bee.batches.delete(this)
  }

  #append(root: TreeNode, seq: number, key: Uint8Array, value: Uint8Array | null): Promise<void> | undefined {
    const index: Array<Child | null> = []
    root.indexChanges(index, seq)
    index[0] = new Child(seq, 0, root)
    if (!this.autoFlush) {
      const block = new BatchEntry(seq, this, key, value, index)
      root.block = block
      this.root = root
      this.length++
      this.blocks!.set(seq, block)
      root.updateChildren(seq, block)
      return
    }
    return this.#appendBlocks([encodeBlock(key, value, index)])
  }

  async #appendBlocks(blocks: Uint8Array[]): Promise<void> {
    try {
      const fork = this.core.fork
      const seq = this.core.length + blocks.length - 1
      await this.core.append(blocks)
      // the last block holds the new root, which the next write reads first: cache it decoded
      if (this.core.fork === fork && this.bee.core.fork === fork && this.core.length > seq) {
        // a tight copy: the block may be a view into a shared pool, which the cache must not pin
        const { key, value, index } = decodeNode(blocks[blocks.length - 1]!.slice())
        this.bee.caches.nodes.set(fork, seq, { key, value, index, inflated: null })
      }
    } finally {
      this.#unlock()
    }
  }
}

/** Encodes a key; keys are required. */
export function encodeKey(codec: Codec | null, key: unknown): Uint8Array {
  const k = encodeWith(codec, key, 'key')
  if (k === null) throw new BadArgumentError('a key is required')
  return k
}
