/**
 * The in-memory adapter: the reference implementation of the contract, and the fast store for
 * unit tests. A named root lives for the whole process, so opening the same name again (after a
 * close, or read-only alongside a writer) sees the same data, like reopening a directory. Unnamed
 * roots are private to their opener.
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

  async getMany(store: StoreName, keys: readonly Uint8Array[]): Promise<(Uint8Array | null)[]> {
    this.#assertOpen()
    const map = this.#root.stores[storeIndex(store)]!
    const out = new Array<Uint8Array | null>(keys.length)
    for (let i = 0; i < keys.length; i++) {
      assertBytes(keys[i], 'key')
      const value = map.get(binaryKey(keys[i]!))
      out[i] = value === undefined ? null : value.slice()
    }
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
    for (const op of ops) {
      const map = stores[storeIndex(op.store)]!
      if (op.type === 'put') map.set(binaryKey(op.key), op.value.slice())
      else if (op.type === 'del') map.delete(binaryKey(op.key))
      else map.deleteRange(binaryKey(op.gte), binaryKey(op.lt))
    }
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
