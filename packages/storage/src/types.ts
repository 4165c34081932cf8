/**
 * The storage contract shared by every adapter (memory, IndexedDB, files).
 *
 * A storage root is an ordered key/value store split into a fixed set of logical stores. Keys are
 * bytes compared bytewise (unsigned, shorter prefix first), like IndexedDB binary keys. All writes
 * go through atomic batches: a batch is applied completely or not at all, and once `write`
 * resolves it survives the process (and, with `durability: 'strict'`, the machine) going away.
 */

/**
 * The logical stores of a root, one per kind of Hypercore/Corestore data:
 * - `meta`: per-core header and auth (key, manifest, key pair, tree head, hints, sessions) and
 *   root-wide records (Corestore seed, default discovery key);
 * - `cores`: the directory of cores (discovery key -> core id, alias -> discovery key);
 * - `tree`: Merkle tree nodes by core and tree index;
 * - `blocks`: blocks by core and index;
 * - `bitfield`: bitfield pages by core and page index;
 * - `user`: user data by core and string key;
 * - `local`: local-only data that is never replicated (marks, app-local state).
 */
export const STORE_NAMES = ['meta', 'cores', 'tree', 'blocks', 'bitfield', 'user', 'local'] as const

/** One of {@link STORE_NAMES}. */
export type StoreName = (typeof STORE_NAMES)[number]

/**
 * A key range for {@link Storage.range}. At most one lower bound (`gt` or `gte`) and one upper
 * bound (`lt` or `lte`); none means unbounded. `reverse` walks from the upper end; `limit` caps the
 * number of entries (after applying direction).
 */
export interface KeyRange {
  /** Only keys after this one. */
  gt?: Uint8Array
  /** Only keys from this one on. */
  gte?: Uint8Array
  /** Only keys before this one. */
  lt?: Uint8Array
  /** Only keys up to and including this one. */
  lte?: Uint8Array
  /** Walk from the upper end down. Default false. */
  reverse?: boolean
  /** Yield at most this many entries. Default: no limit. */
  limit?: number
}

/** Sets `key` to `value` in `store`. */
export interface PutOp {
  /** Discriminates the operation. */
  type: 'put'
  /** The store written to. */
  store: StoreName
  /** The key set. */
  key: Uint8Array
  /** Its new value. */
  value: Uint8Array
  /**
   * True gives `value` away: the caller will never change its bytes (or those around it in its
   * buffer), so a storage that keeps values in memory may keep this one as it is instead of a copy
   * (bytes that arrived from a peer and were verified). Default false: the value is copied.
   */
  owned?: boolean
}

/** Removes `key` from `store` (no-op if absent). */
export interface DelOp {
  /** Discriminates the operation. */
  type: 'del'
  /** The store written to. */
  store: StoreName
  /** The key removed. */
  key: Uint8Array
}

/** Removes every key `k` of `store` with `gte <= k < lt` (no-op if the range is empty). */
export interface DelRangeOp {
  /** Discriminates the operation. */
  type: 'delRange'
  /** The store written to. */
  store: StoreName
  /** The first key removed (inclusive). */
  gte: Uint8Array
  /** The end of the range (exclusive). */
  lt: Uint8Array
}

/** One operation of an atomic batch. Operations apply in array order. */
export type BatchOp = PutOp | DelOp | DelRangeOp

/**
 * How hard `write` works before acknowledging:
 * - `relaxed` (default): acknowledged once handed to the OS (survives a killed process or tab,
 *   not necessarily a power loss or OS crash);
 * - `strict`: acknowledged once flushed to stable storage (fsync / IndexedDB strict durability).
 */
export type Durability = 'relaxed' | 'strict'

/** Options of {@link Storage.write}. */
export interface WriteOptions {
  /** How hard the write works before acknowledging. Default `'relaxed'`. */
  durability?: Durability
}

/**
 * What to do about the exclusive writer lock when opening:
 * - `exclusive` (default): become the single writer, or fail with `StorageLockedError`;
 * - `readonly-if-locked`: become the writer if free, else open read-only;
 * - `readonly`: open read-only without taking the lock.
 */
export type LockMode = 'exclusive' | 'readonly-if-locked' | 'readonly'

/** Options every opener accepts. */
export interface OpenOptions {
  /** What to do about the writer lock. Default `'exclusive'`. */
  lock?: LockMode
}

/** Options of {@link Storage.getMany}. */
export interface ReadOptions {
  /**
   * True promises not to change the values returned (to read them and let go: a peer sending
   * blocks), so a storage that keeps values in memory may hand out its own bytes instead of
   * copies. Default false: fresh copies.
   */
  borrow?: boolean
}

/** Reported to {@link Storage.onChange} listeners after another opener committed a batch. */
export interface StorageChange {
  /** The stores the batch touched. */
  stores: StoreName[]
}

/**
 * An open storage root.
 *
 * Returned keys and values are fresh copies owned by the caller; keys and values passed in are
 * copied (or encoded) before `write` returns, so callers may reuse their buffers — unless the
 * caller gives a value away (`PutOp.owned`) or borrows what it reads (`ReadOptions.borrow`).
 *
 * Range reads walk in pages: every entry yielded was committed, no key is yielded twice and order
 * is strict, but a batch committed while a range is being consumed may or may not be seen by it.
 * Use `getMany` for a consistent read of several keys.
 */
export interface Storage {
  /** The root's name (memory/IndexedDB) or directory (files). */
  readonly name: string
  /** True when this opener may not write (read-only mode, or the lock was held elsewhere). */
  readonly readOnly: boolean
  /** True after `close` or `destroy`, or once the root was closed from elsewhere. */
  readonly closed: boolean

  /** The value of `key` in `store`, or null. */
  get(store: StoreName, key: Uint8Array): Promise<Uint8Array | null>
  /** The values of `keys` in `store` (null where absent), read consistently in one go. */
  getMany(store: StoreName, keys: readonly Uint8Array[], opts?: ReadOptions): Promise<(Uint8Array | null)[]>
  /** Entries of `store` in key order (or reverse), bounded by `range`. */
  range(store: StoreName, range?: KeyRange): AsyncIterableIterator<[key: Uint8Array, value: Uint8Array]>
  /** Applies `ops` atomically, in order. Resolves once acknowledged (see {@link Durability}). */
  write(ops: readonly BatchOp[], opts?: WriteOptions): Promise<void>
  /**
   * Calls `listener` after a batch committed by another opener of the same root (another tab,
   * another handle in this process) becomes visible to this one. Returns an unsubscribe function.
   */
  onChange(listener: (change: StorageChange) => void): () => void
  /** Waits for pending writes, releases the lock and closes. Idempotent. */
  close(): Promise<void>
  /** Closes and deletes everything stored under this root. Not allowed read-only. */
  destroy(): Promise<void>
}
