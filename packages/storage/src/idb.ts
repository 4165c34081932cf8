/**
 * The IndexedDB adapter (browsers and workers). One database per storage root, one object store
 * per logical store, binary keys (IndexedDB orders them bytewise, exactly our key order), one
 * `readwrite` transaction per batch — so a batch commits whole or not at all, even when the tab is
 * killed or the quota runs out. One writer per root across tabs through Web Locks; read-only
 * openers follow the writer through a BroadcastChannel.
 */
import { deleteDB, type IDBPDatabase, openDB, unwrap } from 'idb'
import {
  StorageClosedError,
  StorageCorruptError,
  StorageError,
  StorageLockedError,
  StorageQuotaError,
  StorageReadOnlyError
} from './errors.ts'
import {
  assertBatch,
  assertBytes,
  assertStore,
  type Bounds,
  boundsAfter,
  boundsEmpty,
  compareKeys,
  toBounds,
  touchedStores
} from './keys.ts'
import { acquireProcessLock, acquireWebLock, hasWebLocks, type LockHandle } from './locks.ts'
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

/** Bumped when the object stores change; `upgrade` creates whatever is missing. */
const SCHEMA_VERSION = 1
/** Entries a range read fetches per transaction. */
const PAGE = 512
const PREFIX = 'orchard-storage:'

/** The IndexedDB database name of storage root `name`. */
export function idbDatabaseName(name: string): string {
  return PREFIX + name
}

/**
 * Asks the browser to keep this origin's storage under pressure instead of evicting it
 * (`navigator.storage.persist()`). Resolves to whether storage is persistent; false where the API
 * is missing or the browser declines.
 */
export async function requestPersistence(): Promise<boolean> {
  if (typeof navigator === 'undefined' || typeof navigator.storage?.persist !== 'function') return false
  try {
    if (await navigator.storage.persisted()) return true
    return await navigator.storage.persist()
  } catch {
    return false
  }
}

/**
 * Opens (creating if needed) the IndexedDB storage root `name`. The writer lock is a Web Lock
 * named after the root (a process-local lock where Web Locks are missing); with
 * `lock: 'readonly-if-locked'` a second opener gets read-only access instead of
 * `StorageLockedError`.
 */
export async function openIdbStorage(name: string, opts: OpenOptions = {}): Promise<Storage> {
  if (typeof name !== 'string' || name.length === 0)
    throw new StorageError('An IndexedDB storage needs a name')
  if (typeof indexedDB === 'undefined')
    throw new StorageError('IndexedDB is not available here', 'STORAGE_UNAVAILABLE')
  const lockMode = opts.lock ?? 'exclusive'
  let lock: LockHandle | null = null
  if (lockMode !== 'readonly') {
    const lockName = PREFIX + name
    lock = hasWebLocks() ? await acquireWebLock(lockName) : acquireProcessLock(lockName)
    if (lock === null && lockMode === 'exclusive') {
      throw new StorageLockedError(`IndexedDB storage ${JSON.stringify(name)} is open for writing elsewhere`)
    }
  }
  let storage: IdbStorage | null = null
  let db: IDBPDatabase
  try {
    db = await openDB(idbDatabaseName(name), SCHEMA_VERSION, {
      upgrade(database) {
        for (const store of STORE_NAMES) {
          if (!database.objectStoreNames.contains(store)) database.createObjectStore(store)
        }
      },
      // Another connection wants to delete or upgrade the database: step aside.
      blocking() {
        storage?.closeFromElsewhere()
      },
      terminated() {
        storage?.closeFromElsewhere()
      }
    })
  } catch (err) {
    await lock?.release()
    throw new StorageError(`Cannot open IndexedDB storage ${JSON.stringify(name)}`, 'STORAGE_ERROR', {
      cause: err
    })
  }
  storage = new IdbStorage(name, unwrap(db), lock)
  return storage
}

class IdbStorage implements Storage {
  readonly name: string
  readonly readOnly: boolean
  #db: IDBDatabase
  #lock: LockHandle | null
  #closed = false
  #pending = new Set<Promise<void>>()
  #channel: BroadcastChannel | null
  #listeners = new Set<(change: StorageChange) => void>()

  constructor(name: string, db: IDBDatabase, lock: LockHandle | null) {
    this.name = name
    this.readOnly = lock === null
    this.#db = db
    this.#lock = lock
    this.#channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(PREFIX + name) : null
    if (this.#channel) {
      this.#channel.onmessage = (event: MessageEvent<{ stores?: StoreName[] }>) => {
        const stores = event.data?.stores
        if (this.#closed || !Array.isArray(stores)) return
        for (const listener of this.#listeners) listener({ stores: [...stores] })
      }
    }
  }

  get closed(): boolean {
    return this.#closed
  }

  async get(store: StoreName, key: Uint8Array): Promise<Uint8Array | null> {
    assertStore(store)
    assertBytes(key, 'key')
    const os = this.#transaction(store, 'readonly').objectStore(store)
    return checkValue(await settle(os.get(idbKey(key))), store)
  }

  async getMany(store: StoreName, keys: readonly Uint8Array[]): Promise<(Uint8Array | null)[]> {
    assertStore(store)
    for (const key of keys) assertBytes(key, 'key')
    const tx = this.#transaction(store, 'readonly')
    const os = tx.objectStore(store)
    const out = new Array<Uint8Array | null>(keys.length).fill(null)
    // All requests go out at once in one transaction: one consistent read, one round trip.
    for (let i = 0; i < keys.length; i++) {
      const req = os.get(idbKey(keys[i]!))
      req.onsuccess = () => {
        out[i] = req.result === undefined ? null : (req.result as Uint8Array)
      }
    }
    await transactionDone(tx)
    for (let i = 0; i < out.length; i++) out[i] = checkValue(out[i], store)
    return out
  }

  async *range(store: StoreName, range?: KeyRange): AsyncIterableIterator<[Uint8Array, Uint8Array]> {
    assertStore(store)
    let bounds = toBounds(range)
    if (boundsEmpty(bounds)) {
      this.#assertOpen()
      return
    }
    for (;;) {
      const want = Math.min(PAGE, bounds.limit)
      const page = await this.#page(store, bounds, want)
      for (const entry of page) yield entry
      if (page.length < want) return
      bounds = boundsAfter(bounds, page[page.length - 1]![0], page.length)
      if (bounds.limit === 0) return
    }
  }

  write(ops: readonly BatchOp[], opts: WriteOptions = {}): Promise<void> {
    try {
      this.#assertOpen()
      if (this.readOnly) throw new StorageReadOnlyError()
      assertBatch(ops)
    } catch (err) {
      return Promise.reject(err)
    }
    if (ops.length === 0) return Promise.resolve()
    const stores = touchedStores(ops)
    const durability = opts.durability === 'strict' ? 'strict' : 'relaxed'
    let tx: IDBTransaction
    try {
      tx = this.#db.transaction(stores, 'readwrite', { durability })
    } catch (err) {
      return Promise.reject(this.#mapError(err))
    }
    for (const op of ops) {
      const os = tx.objectStore(op.store)
      if (op.type === 'put') os.put(ownValue(op.value), idbKey(op.key))
      else if (op.type === 'del') os.delete(idbKey(op.key))
      else if (compareKeys(op.gte, op.lt) < 0) os.delete(IDBKeyRange.bound(op.gte, op.lt, false, true))
    }
    const done = transactionDone(tx).then(
      () => {
        this.#channel?.postMessage({ stores })
      },
      (err) => {
        throw this.#mapError(err)
      }
    )
    this.#pending.add(done)
    const untrack = () => {
      this.#pending.delete(done)
    }
    done.then(untrack, untrack)
    return done
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
    await Promise.allSettled(this.#pending)
    this.#shutdown()
    await this.#lock?.release()
  }

  async destroy(): Promise<void> {
    this.#assertOpen()
    if (this.readOnly) throw new StorageReadOnlyError('A read-only opener cannot destroy the storage')
    this.#closed = true
    await Promise.allSettled(this.#pending)
    this.#shutdown()
    try {
      // Other connections of this root get `versionchange` and close; the delete waits for them.
      await deleteDB(idbDatabaseName(this.name))
    } finally {
      await this.#lock?.release()
    }
  }

  /** The database was deleted, upgraded or terminated by someone else. */
  closeFromElsewhere(): void {
    if (this.#closed) return
    this.#closed = true
    this.#shutdown()
    void this.#lock?.release()
  }

  #shutdown(): void {
    this.#listeners.clear()
    this.#channel?.close()
    this.#channel = null
    this.#db.close()
  }

  async #page(store: StoreName, bounds: Bounds, count: number): Promise<[Uint8Array, Uint8Array][]> {
    const query = toKeyRange(bounds)
    const tx = this.#transaction(store, 'readonly')
    const os = tx.objectStore(store)
    const page: [Uint8Array, Uint8Array][] = []
    if (!bounds.reverse) {
      // Two bulk reads in one transaction see the same state, so keys and values line up.
      const keys = os.getAllKeys(query, count)
      const values = os.getAll(query, count)
      await transactionDone(tx)
      const ks = keys.result
      const vs = values.result
      for (let i = 0; i < ks.length; i++) page.push([keyBytes(ks[i]!), checkValue(vs[i], store)!])
      return page
    }
    const bulk = os as IDBObjectStore & { getAllRecords?: (opts: object) => IDBRequest<IdbRecord[]> }
    if (typeof bulk.getAllRecords === 'function') {
      const req = bulk.getAllRecords({ query, count, direction: 'prev' })
      await transactionDone(tx)
      for (const record of req.result) page.push([keyBytes(record.key), checkValue(record.value, store)!])
      return page
    }
    const cursor = os.openCursor(query, 'prev')
    cursor.onsuccess = () => {
      const c = cursor.result
      if (c === null) return
      page.push([keyBytes(c.key), checkValue(c.value, store)!])
      if (page.length < count) c.continue()
    }
    await transactionDone(tx)
    return page
  }

  #transaction(store: StoreName, mode: IDBTransactionMode): IDBTransaction {
    this.#assertOpen()
    try {
      return this.#db.transaction(store, mode)
    } catch (err) {
      throw this.#mapError(err)
    }
  }

  #mapError(err: unknown): StorageError {
    if (err instanceof StorageError) return err
    const name = (err as { name?: unknown } | null)?.name
    if (name === 'QuotaExceededError') {
      return new StorageQuotaError(
        `IndexedDB storage ${JSON.stringify(this.name)} is over quota; the batch was not written`,
        {
          cause: err
        }
      )
    }
    if (this.#closed || name === 'InvalidStateError') return new StorageClosedError(undefined, { cause: err })
    return new StorageError(
      `IndexedDB operation failed: ${(err as Error)?.message ?? String(err)}`,
      'STORAGE_ERROR',
      {
        cause: err
      }
    )
  }

  #assertOpen(): void {
    if (this.#closed) throw new StorageClosedError()
  }
}

interface IdbRecord {
  key: IDBValidKey
  value: unknown
}

/** Resolves when `tx` commits; rejects with the reason it aborted. */
function transactionDone(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve()
    tx.onabort = () => reject(tx.error ?? new DOMException('Transaction aborted', 'AbortError'))
    tx.onerror = (event) => {
      // Keep the default (abort) but report the request's own error, which names the cause.
      const target = event.target as IDBRequest | null
      if (target && 'error' in target && target.error) reject(target.error)
    }
  })
}

function settle<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
}

/** A value IndexedDB handed back, checked to be what we store (bytes). */
function checkValue(value: unknown, store: StoreName): Uint8Array | null {
  if (value === undefined || value === null) return null
  if (value instanceof Uint8Array) return value
  throw new StorageCorruptError(`IndexedDB store ${store} holds a value that is not bytes`)
}

function keyBytes(key: IDBValidKey): Uint8Array {
  if (key instanceof ArrayBuffer) return new Uint8Array(key)
  if (ArrayBuffer.isView(key))
    return new Uint8Array(key.buffer.slice(key.byteOffset, key.byteOffset + key.byteLength))
  throw new StorageCorruptError('IndexedDB returned a key that is not binary')
}

/** Structured clone copies a view's whole buffer: store a tight copy when `value` is a window. */
function ownValue(value: Uint8Array): Uint8Array {
  return value.byteOffset === 0 && value.byteLength === value.buffer.byteLength ? value : value.slice()
}

/**
 * Our keys as IndexedDB binary keys. (The DOM typings only admit views over a plain ArrayBuffer;
 * IndexedDB reads just the view's bytes either way.)
 */
function idbKey(key: Uint8Array): IDBValidKey {
  return key as Uint8Array<ArrayBuffer>
}

function toKeyRange(b: Bounds): IDBKeyRange | null {
  if (b.lower !== null && b.upper !== null)
    return IDBKeyRange.bound(b.lower, b.upper, !b.lowerInclusive, !b.upperInclusive)
  if (b.lower !== null) return IDBKeyRange.lowerBound(b.lower, !b.lowerInclusive)
  if (b.upper !== null) return IDBKeyRange.upperBound(b.upper, !b.upperInclusive)
  return null
}
