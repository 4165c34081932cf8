/**
 * The IndexedDB adapter (browsers and workers). One database per storage root; binary keys
 * (IndexedDB orders them bytewise, exactly our key order); one `readwrite` transaction per batch —
 * so a batch commits whole or not at all, even when the tab is killed or the quota runs out. One
 * writer per root across tabs through Web Locks; read-only openers follow the writer through a
 * BroadcastChannel.
 *
 * Layout (see `idb-packed.ts`, `idb-schema.ts`): one object store per logical store, and for
 * `blocks` and `tree` the fixed-width index keys packed by 16 / 256 into group records, so an
 * append writes a few records instead of hundreds. Reads reuse a still-active readonly transaction
 * (`idb-read-scope.ts`); the writer caches the group records it last saw, by bytes.
 */
import { deleteDB, type IDBPDatabase, openDB, unwrap } from 'idb'
import {
  StorageClosedError,
  StorageError,
  StorageLockedError,
  StorageQuotaError,
  StorageReadOnlyError
} from './errors.ts'
import { batchObjectStores, cacheBatch, ownOps, type PlacedBatch, placeBatch } from './idb-batch.ts'
import { GroupCache, ReadScope } from './idb-read-scope.ts'
import { type ReadContext, readMany, readOne, readPage } from './idb-reads.ts'
import { OBJECT_STORES, SCHEMA_VERSION, upgradeSchema } from './idb-schema.ts'
import { assertBatch, assertBytes, assertStore, boundsEmpty, toBounds, touchedStores } from './keys.ts'
import { acquireProcessLock, acquireWebLock, hasWebLocks, type LockHandle } from './locks.ts'
import type {
  BatchOp,
  KeyRange,
  OpenOptions,
  Storage,
  StorageChange,
  StoreName,
  WriteOptions
} from './types.ts'

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

/** Options of {@link openIdbStorage}. */
export interface IdbOpenOptions extends OpenOptions {
  /**
   * Bytes of group records (packed blocks and tree nodes) the writer keeps in memory, least
   * recently used first out. Default 8 MiB; 0 turns the cache off. Read-only openers keep none.
   */
  cacheBytes?: number
}

const DEFAULT_CACHE_BYTES = 8 * 1024 * 1024

/**
 * Opens (creating if needed) the IndexedDB storage root `name`. The writer lock is a Web Lock
 * named after the root (a process-local lock where Web Locks are missing); with
 * `lock: 'readonly-if-locked'` a second opener gets read-only access instead of
 * `StorageLockedError`. A database of an older layout is upgraded on open.
 */
export async function openIdbStorage(name: string, opts: IdbOpenOptions = {}): Promise<Storage> {
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
      upgrade(database, oldVersion, _newVersion, transaction) {
        upgradeSchema(unwrap(database), unwrap(transaction), oldVersion)
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
  const cache = lock === null ? null : new GroupCache(Math.max(0, opts.cacheBytes ?? DEFAULT_CACHE_BYTES))
  storage = new IdbStorage(name, unwrap(db), lock, cache)
  return storage
}

class IdbStorage implements Storage {
  readonly name: string
  readonly readOnly: boolean
  #db: IDBDatabase
  #lock: LockHandle | null
  #closed = false
  /** The last write in line: batches are applied one after another, in call order. */
  #tail: Promise<void> = Promise.resolve()
  #pending = new Set<Promise<void>>()
  #channel: BroadcastChannel | null
  #listeners = new Set<(change: StorageChange) => void>()
  readonly #reads: ReadContext

  constructor(name: string, db: IDBDatabase, lock: LockHandle | null, cache: GroupCache | null) {
    this.name = name
    this.readOnly = lock === null
    this.#db = db
    this.#lock = lock
    this.#reads = {
      scope: new ReadScope(db, [...OBJECT_STORES]),
      cache,
      mapError: (err) => this.#mapError(err)
    }
    this.#channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(PREFIX + name) : null
    if (this.#channel) {
      this.#channel.onmessage = (event: MessageEvent<{ stores?: StoreName[] }>) => {
        const stores = event.data?.stores
        if (this.#closed || !Array.isArray(stores)) return
        this.#reads.scope.release()
        for (const listener of this.#listeners) listener({ stores: [...stores] })
      }
    }
  }

  get closed(): boolean {
    return this.#closed
  }

  get(store: StoreName, key: Uint8Array): Promise<Uint8Array | null> {
    try {
      assertStore(store)
      assertBytes(key, 'key')
      this.#assertOpen()
      return readOne(this.#reads, store, key)
    } catch (err) {
      return Promise.reject(this.#mapError(err))
    }
  }

  getMany(store: StoreName, keys: readonly Uint8Array[]): Promise<(Uint8Array | null)[]> {
    try {
      assertStore(store)
      for (const key of keys) assertBytes(key, 'key')
      this.#assertOpen()
      return readMany(this.#reads, store, keys)
    } catch (err) {
      return Promise.reject(this.#mapError(err))
    }
  }

  async *range(store: StoreName, range?: KeyRange): AsyncIterableIterator<[Uint8Array, Uint8Array]> {
    assertStore(store)
    let bounds = toBounds(range)
    this.#assertOpen()
    if (boundsEmpty(bounds)) return
    for (;;) {
      this.#assertOpen()
      let page: Awaited<ReturnType<typeof readPage>>
      try {
        page = await readPage(this.#reads, store, bounds, Math.min(PAGE, bounds.limit))
      } catch (err) {
        throw this.#mapError(err)
      }
      for (const entry of page.entries) yield entry
      if (page.next === null || page.next.limit <= 0 || boundsEmpty(page.next)) return
      bounds = page.next
    }
  }

  write(ops: readonly BatchOp[], opts: WriteOptions = {}): Promise<void> {
    let own: BatchOp[]
    try {
      this.#assertOpen()
      if (this.readOnly) throw new StorageReadOnlyError()
      assertBatch(ops)
      own = ownOps(ops)
    } catch (err) {
      return Promise.reject(err)
    }
    if (own.length === 0) return Promise.resolve()
    const durability = opts.durability === 'strict' ? 'strict' : 'relaxed'
    // Each batch starts once the one before it settled: it reads the groups that one left.
    const done = this.#tail.then(() => this.#apply(own, durability))
    this.#tail = done.catch(() => {})
    this.#pending.add(done)
    const untrack = () => {
      this.#pending.delete(done)
    }
    done.then(untrack, untrack)
    return done
  }

  #apply(ops: BatchOp[], durability: 'strict' | 'relaxed'): Promise<void> {
    const stores = touchedStores(ops)
    const cache = this.#reads.cache!
    let tx: IDBTransaction
    try {
      // No open check: close() lets the writes already in line finish.
      this.#reads.scope.release()
      tx = this.#db.transaction(batchObjectStores(stores), 'readwrite', { durability })
    } catch (err) {
      return Promise.reject(this.#mapError(err))
    }
    cache.writing++
    cache.epoch++
    return new Promise<void>((resolve, reject) => {
      let failure: unknown = null
      const end = () => {
        cache.writing--
        cache.epoch++
      }
      tx.oncomplete = () => {
        end()
        cacheBatch(cache, placed)
        this.#channel?.postMessage({ stores })
        resolve()
      }
      tx.onabort = () => {
        end()
        reject(this.#mapError(failure ?? tx.error ?? new DOMException('Transaction aborted', 'AbortError')))
      }
      tx.onerror = (event) => {
        // Keep the default (abort) but report the request's own error, which names the cause.
        const target = event.target as IDBRequest | null
        if (failure === null && target && 'error' in target && target.error) failure = target.error
      }
      let placed: PlacedBatch
      try {
        placed = placeBatch(tx, ops, cache, (err) => {
          failure ??= err
        })
      } catch (err) {
        failure = err
        placed = { records: new Map(), highest: new Map(), dropped: [] }
        tx.abort()
      }
    })
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
    this.#reads.scope.release()
    this.#reads.cache?.lru.clear()
    this.#db.close()
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
