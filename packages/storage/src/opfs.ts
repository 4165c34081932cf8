/**
 * `@orchard/storage/opfs` — the log-structured store (the one `openFileStorage` keeps in Node
 * directories) in the browser's origin private file system, through synchronous access handles.
 *
 * Where it runs: dedicated workers (the only place browsers offer `createSyncAccessHandle`). There
 * it reads and writes at file speed — a random 1 KiB read costs microseconds where an IndexedDB
 * get costs a round trip to the browser's storage process — so a worker-hosted store
 * (`@orchard/tabs`), or a worker's storage reached from the page (`connectStorage`), is the way to
 * fast storage in a tab. Where no worker fits, use `openIdbStorage`.
 *
 * One writer per root across the origin (a Web Lock); read-only followers in any worker see the
 * writer's batches as they land (it announces them on a `BroadcastChannel`). Crash-safe as the
 * file adapter: every batch is one checksummed log record, a torn tail is cut off on open.
 *
 * @module \@orchard/storage/opfs
 */
import { StorageArgumentError, StorageError, StorageLockedError } from './errors.ts'
import { acquireWebLock, hasWebLocks, type LockHandle } from './locks.ts'
import { type LogStorage, type LogStorageOptions, openLogStorage } from './log/log-storage.ts'
import { hasOpfsSyncAccess, opfsVolume } from './opfs/opfs-volume.ts'

export type { LogStorage, LogStorageOptions, LogStorageStats } from './log/log-storage.ts'
export {
  hasOpfsSyncAccess,
  OPFS_ROOT_DIRECTORY,
  opfsDirectoryName
} from './opfs/opfs-volume.ts'

/** Options of {@link openOpfsStorage}. */
export type OpfsStorageOptions = LogStorageOptions

/**
 * Opens (creating if needed) storage root `name` in OPFS. The writer holds the Web Lock
 * `orchard-opfs:<name>`; a second writer gets `StorageLockedError`, or a read-only follower with
 * `lock: 'readonly-if-locked'`. Throws `StorageError` with code `STORAGE_UNSUPPORTED` outside a
 * dedicated worker (or where the browser has no OPFS).
 */
export async function openOpfsStorage(name: string, opts: OpfsStorageOptions = {}): Promise<LogStorage> {
  if (typeof name !== 'string') throw new StorageArgumentError('an OPFS storage root needs a name (a string)')
  if (!hasOpfsSyncAccess() || !hasWebLocks()) {
    throw new StorageError(
      'OPFS storage needs FileSystemSyncAccessHandle and Web Locks, which browsers offer in dedicated workers; in a page use openIdbStorage',
      'STORAGE_UNSUPPORTED'
    )
  }
  const lockMode = opts.lock ?? 'exclusive'
  // an OPFS call that stalled (STORAGE_TIMEOUT) gets one more try, with fresh handles
  for (let attempt = 1; ; attempt++) {
    let lock: LockHandle | null = null
    if (lockMode !== 'readonly') {
      lock = await acquireWebLock(`orchard-opfs:${name}`)
      if (lock === null && lockMode === 'exclusive') {
        throw new StorageLockedError(`OPFS storage ${name} is open for writing by another opener`)
      }
    }
    try {
      return await openOnce(name, lock, opts)
    } catch (err) {
      if (attempt >= 2 || (err as StorageError).code !== 'STORAGE_TIMEOUT') throw err
    }
  }
}

/** One try at opening root `name` with `lock` (released when the try fails). */
async function openOnce(
  name: string,
  lock: LockHandle | null,
  opts: OpfsStorageOptions
): Promise<LogStorage> {
  let volume: Awaited<ReturnType<typeof opfsVolume>>
  try {
    volume = await opfsVolume(name, lock !== null)
  } catch (err) {
    await lock?.release()
    if ((err as StorageError).code === 'STORAGE_TIMEOUT') throw err
    // no origin private file system here (an opaque origin, a denied permission, …)
    throw new StorageError(
      `Cannot open OPFS storage ${name}: ${(err as Error)?.message ?? err}`,
      'STORAGE_IO',
      {
        cause: err
      }
    )
  }
  return openLogStorage(volume, lock, opts)
}
