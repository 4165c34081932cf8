/**
 * `@orchard/storage`: one small storage contract for everything above it, and its adapters.
 *
 * A storage root is an ordered byte-key/value store split into a few logical stores (see
 * {@link STORE_NAMES}: core headers, the cores directory, Merkle tree nodes, blocks, bitfield
 * pages, user data, local data). Hypercore prefixes its keys with a per-core id, so many cores
 * (a Corestore) share one root. Writes are atomic batches; reads are point reads, consistent
 * multi-gets and ordered range scans.
 *
 * Adapters, all passing one conformance suite:
 * - {@link openMemoryStorage} — the reference, in memory (any runtime);
 * - {@link openIdbStorage} — IndexedDB in browsers and workers, one database per root;
 * - {@link openOpfsStorage} — the origin private file system, in dedicated workers: the same
 *   crash-safe log-structured store as the file adapter, at file speed;
 * - `openFileStorage` from `@orchard/storage/fs` — Node, a crash-safe log-structured store.
 *
 * One writer per root at a time: a second opener gets `StorageLockedError` or read-only access,
 * as it asks (`lock` option). Failures are typed {@link StorageError} subclasses.
 *
 * @module \@orchard/storage
 */

export * from './errors.ts'
export { type IdbOpenOptions, idbDatabaseName, openIdbStorage, requestPersistence } from './idb.ts'
export { compareKeys } from './keys.ts'
export {
  acquireProcessLock,
  acquireWebLock,
  hasWebLocks,
  type LockHandle,
  type WebLockOptions
} from './locks.ts'
export { openMemoryStorage } from './memory.ts'
export {
  hasOpfsSyncAccess,
  type LogStorage,
  type LogStorageOptions,
  type LogStorageStats,
  OPFS_ROOT_DIRECTORY,
  type OpfsStorageOptions,
  openOpfsStorage,
  opfsDirectoryName
} from './opfs.ts'
export { connectStorage, type RemoteStorageHost, type StoragePort, serveStorage } from './remote.ts'
export * from './types.ts'
