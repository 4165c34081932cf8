/**
 * The in-memory adapter: the reference implementation of the contract, and the fast store for
 * unit tests. A named root lives for the whole process, so opening the same name again (after a
 * close, or read-only alongside a writer) sees the same data, like reopening a directory. Unnamed
 * roots are private to their opener. Values are copied in and out, except those given away
 * (`owned` puts that, with the others of their batch, fill a quarter of their buffer) or borrowed
 * (`getMany` with `borrow`): the blocks a replicating peer downloads, committed a frame's worth
 * at a time, cross it without a copy either way.
 */
import { StorageClosedError, StorageLockedError, StorageReadOnlyError } from './errors.ts'
import {
  assertBatch,
  assertBytes,
  assertStore,
  binaryBounds,
  binaryBoundsAfter,
  binaryKey,
  boundsEmpty,
  keyBytes,
  storeIndex,
  toBounds,
  touchedStores
} from './keys.ts'
import { acquireProcessLock, type LockHandle } from './locks.ts'
import { SortedMap } from './sorted-map.ts'
import {
  type BatchOp,
  type KeyRange,
  type OpenOptions,
  type ReadOptions,
  STORE_NAMES,
  type Storage,
  type StorageChange,
  type StoreName,
  type WriteOptions
} from './types.ts'

/** Entries a range read copies out per step. */
const PAGE = 256

interface MemoryRoot {
  stores: SortedMap<Uint8Array>[]
  handles: Set<MemoryStorage>
}

const roots = new Map<string, MemoryRoot>()
let anonymous = 0

function newRoot(): MemoryRoot {
  return { stores: STORE_NAMES.map(() => new SortedMap<Uint8Array>()), handles: new Set() }
}

/**
 * Opens the in-memory root `name` (a fresh private root when omitted). A second `exclusive` opener
 * of a name whose writer is still open gets `StorageLockedError`.
 */
export async function openMemoryStorage(name?: string, opts: OpenOptions = {}): Promise<Storage> {
  const lockMode = opts.lock ?? 'exclusive'
  const key = name ?? `\0anonymous-${++anonymous}`
  let lock: LockHandle | null = null
  if (lockMode !== 'readonly') {
    lock = acquireProcessLock(`orchard-storage-memory:${key}`)
    if (lock === null && lockMode === 'exclusive') {
      throw new StorageLockedError(`Memory storage ${JSON.stringify(name)} already has an open writer`)
    }
  }
  let root = roots.get(key)
  if (root === undefined) {
    root = newRoot()
    if (name !== undefined) roots.set(key, root)
  }
  const storage = new MemoryStorage(key, name ?? '', root, lock)
  root.handles.add(storage)
  return storage
}

/** Values up to this long are copied into shared slabs; longer ones get an allocation each. */
const PACK_MAX = 4096
/** The size of a slab of packed copies. */
const SLAB_BYTES = 64 * 1024

/**
 * Copies of `values` (undefined stays undefined). Short values are copied into shared 64 KiB slabs
 * and returned as views: a backing store per 1 KiB copy cost a replicating peer over a third of
 * its GC time. A view kept alive keeps its slab alive, so the bytes that can be held for nothing
 * are bounded by a slab per value kept.
 */
function copyPacked(values: readonly (Uint8Array | undefined)[]): (Uint8Array | undefined)[] {
  let small = 0
  for (const v of values) if (v !== undefined && v.byteLength <= PACK_MAX) small += v.byteLength
  const out = new Array<Uint8Array | undefined>(values.length)
  let slab = new Uint8Array(0)
  let at = 0
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (v === undefined) continue
    const n = v.byteLength
    if (n > PACK_MAX) {
      out[i] = v.slice()
      continue
    }
    if (at + n > slab.byteLength) {
      slab = new Uint8Array(Math.min(SLAB_BYTES, small))
      at = 0
    }
    slab.set(v, at)
    out[i] = slab.subarray(at, at + n)
    at += n
    small -= n
  }
  return out
}

/**
 * Which puts of `ops` are kept as given instead of copied: those given away (`owned`) whose
 * buffer the batch's given-away values fill at least a quarter of, so keeping them holds at most
 * four times their bytes. Counted per batch, not per value, since a hypercore commits the blocks of
 * a received frame together: a 16 KiB block fills a quarter of its 64 KiB frame alone, but 4 KiB
 * blocks only together (copying each was a fresh buffer per 64 KiB in a downloading tab, ~1 ms per
 * MB there). A lone small view into a large chunk is copied. The bound holds while the batch's
 * values live: one that outlives the others (deleted or overwritten later) keeps the whole buffer.
 */
function keptAsGiven(ops: readonly BatchOp[]): (op: BatchOp) => boolean {
  let filled: Map<ArrayBufferLike, number> | null = null
  for (const op of ops) {
    if (op.type !== 'put' || op.owned !== true) continue
    filled ??= new Map()
    filled.set(op.value.buffer, (filled.get(op.value.buffer) ?? 0) + op.value.byteLength)
  }
  if (filled === null) return () => false
  return (op) =>
    op.type === 'put' && op.owned === true && filled.get(op.value.buffer)! * 4 >= op.value.buffer.byteLength
}

class MemoryStorage implements Storage {
  readonly name: string
  readonly readOnly: boolean
  #key: string
  #root: MemoryRoot
  #lock: LockHandle | null
  #closed = false
  #listeners = new Set<(change: StorageChange) => void>()

  constructor(key: string, name: string, root: MemoryRoot, lock: LockHandle | null) {
    this.name = name
    this.#key = key
    this.#root = root
    this.#lock = lock
    this.readOnly = lock === null
  }

  get closed(): boolean {
    return this.#closed
  }

  async get(store: StoreName, key: Uint8Array): Promise<Uint8Array | null> {
    this.#assertOpen()
    assertBytes(key, 'key')
    const value = this.#root.stores[storeIndex(store)]!.get(binaryKey(key))
    return value === undefined ? null : value.slice()
  }

  async getMany(
    store: StoreName,
    keys: readonly Uint8Array[],
    opts?: ReadOptions
  ): Promise<(Uint8Array | null)[]> {
    this.#assertOpen()
    const map = this.#root.stores[storeIndex(store)]!
    const found = new Array<Uint8Array | undefined>(keys.length)
    for (let i = 0; i < keys.length; i++) {
      assertBytes(keys[i], 'key')
      found[i] = map.get(binaryKey(keys[i]!))
    }
    // stored values never change in place (a put replaces them), so a borrower may read them as they are
    const copies = opts?.borrow === true ? found : copyPacked(found)
    const out = new Array<Uint8Array | null>(keys.length)
    for (let i = 0; i < keys.length; i++) out[i] = copies[i] ?? null
    return out
  }

  async *range(store: StoreName, range?: KeyRange): AsyncIterableIterator<[Uint8Array, Uint8Array]> {
    this.#assertOpen()
    assertStore(store)
    const checked = toBounds(range)
    if (boundsEmpty(checked)) return
    const map = this.#root.stores[storeIndex(store)]!
    let bounds = binaryBounds(checked)
    let remaining = checked.limit
    const page: [Uint8Array, Uint8Array][] = []
    let last = ''
    const collect = (k: string, v: Uint8Array) => {
      page.push([keyBytes(k), v.slice()])
      last = k
    }
    for (;;) {
      const want = Math.min(PAGE, remaining)
      page.length = 0
      map.scan(bounds, want, collect)
      const got = page.length
      // Copy out before yielding: the consumer may hold on to the page's entries.
      for (const entry of page.splice(0)) yield entry
      remaining -= got
      if (got < want || remaining === 0) return
      bounds = binaryBoundsAfter(bounds, last)
      this.#assertOpen()
    }
  }

  async write(ops: readonly BatchOp[], _opts?: WriteOptions): Promise<void> {
    this.#assertOpen()
    if (this.readOnly) throw new StorageReadOnlyError()
    assertBatch(ops)
    if (ops.length === 0) return
    const stores = this.#root.stores
    const kept = keptAsGiven(ops)
    const values = copyPacked(ops.map((op) => (op.type === 'put' && !kept(op) ? op.value : undefined)))
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!
      const map = stores[storeIndex(op.store)]!
      if (op.type === 'put') map.set(binaryKey(op.key), values[i] ?? op.value)
      else if (op.type === 'del') map.delete(binaryKey(op.key))
      else map.deleteRange(binaryKey(op.gte), binaryKey(op.lt))
    }
    if (this.#root.handles.size === 1) return // nobody else to tell (a replicating peer's usual case)
    const change: StorageChange = { stores: touchedStores(ops) }
    for (const other of this.#root.handles) if (other !== this) other.#notify(change)
  }

  onChange(listener: (change: StorageChange) => void): () => void {
    this.#listeners.add(listener)
    return () => {
      this.#listeners.delete(listener)
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#root.handles.delete(this)
    this.#listeners.clear()
    await this.#lock?.release()
  }

  async destroy(): Promise<void> {
    this.#assertOpen()
    if (this.readOnly) throw new StorageReadOnlyError('A read-only opener cannot destroy the storage')
    for (const other of [...this.#root.handles]) await other.close()
    for (const map of this.#root.stores) map.clear()
    roots.delete(this.#key)
  }

  #notify(change: StorageChange): void {
    // Deliver after the writer's call returns, like a change arriving from another tab.
    queueMicrotask(() => {
      if (this.#closed) return
      for (const listener of this.#listeners) listener({ stores: [...change.stores] })
    })
  }

  #assertOpen(): void {
    if (this.#closed) throw new StorageClosedError()
  }
}
