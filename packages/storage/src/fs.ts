/**
 * `@orchard/storage/fs` — the Node file adapter and its lock file.
 *
 * {@link openFileStorage} keeps a storage root in a directory as a crash-safe, log-structured
 * store (see `node/file-storage.ts` and the package README for the format and fsync policy).
 * {@link acquireFileLock} is the exclusive-writer lock it uses, usable on its own.
 *
 * @module \@orchard/storage/fs
 */

export { acquireFileLock, type FileLockHandle } from './node/file-lock.ts'
export {
  type FileStorage,
  type FileStorageOptions,
  type FileStorageStats,
  openFileStorage
} from './node/file-storage.ts'
