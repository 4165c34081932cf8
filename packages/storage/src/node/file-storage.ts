/**
 * The file adapter: the log-structured store (`../log/log-storage.ts`) in one directory of the
 * Node file system, its writer holding `dir/LOCK`.
 *
 * Files in the directory: `data.<generation>.log`, a transient `data.<generation>.log.tmp` while
 * compacting, and `LOCK` (the writer's lock file).
 */
import { mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { StorageLockedError } from '../errors.ts'
import {
  type LogStorage,
  type LogStorageOptions,
  type LogStorageStats,
  openLogStorage
} from '../log/log-storage.ts'
import { acquireFileLock } from './file-lock.ts'
import { fsVolume } from './fs-volume.ts'

/** Options of {@link openFileStorage}. */
export type FileStorageOptions = LogStorageOptions
/** Figures about an open file storage. */
export type FileStorageStats = LogStorageStats
/** A {@link LogStorage} on files, with compaction and figures. */
export type FileStorage = LogStorage

/**
 * Opens (creating if needed) the file storage in directory `dir`. The writer holds `dir/LOCK`;
 * a second writer gets `StorageLockedError`, or read-only access with
 * `lock: 'readonly-if-locked'`. A lock left by a killed process is taken over.
 */
export async function openFileStorage(dir: string, opts: FileStorageOptions = {}): Promise<FileStorage> {
  const root = resolve(dir)
  const lockMode = opts.lock ?? 'exclusive'
  let lock = null
  if (lockMode !== 'readonly') {
    await mkdir(root, { recursive: true })
    lock = acquireFileLock(join(root, 'LOCK'))
    if (lock === null && lockMode === 'exclusive') {
      throw new StorageLockedError(`File storage ${root} is open for writing by another opener`)
    }
  }
  return openLogStorage(fsVolume(root), lock, opts)
}
