/**
 * A directory of the origin private file system (OPFS) as a log volume, through
 * `FileSystemSyncAccessHandle`s — synchronous positioned reads and writes, which browsers offer in
 * dedicated workers only.
 *
 * Handles are opened in `readwrite-unsafe` mode, so the writer and read-only followers (in any
 * worker of the origin) can have the same log open at once; the single writer is the opener's Web
 * Lock, not the handle. OPFS has no change events, so the writer announces its writes on a
 * `BroadcastChannel` named after the directory, and followers listen there. A file with an open
 * handle cannot be deleted or moved: removals retry briefly while followers let go (a destroying
 * writer announces it first, and followers close).
 */
import { StorageError, StorageLockedError, StorageQuotaError } from '../errors.ts'
import { crc32 } from '../log/crc32.ts'
import type { FollowerAccess, LogFile, LogVolume, OpenMode } from '../log/volume.ts'

/** The parts of `FileSystemSyncAccessHandle` used here (TypeScript's DOM types lack it). */
interface SyncAccessHandle {
  read(buffer: Uint8Array, options: { at: number }): number
  write(buffer: Uint8Array, options: { at: number }): number
  getSize(): number
  truncate(size: number): void
  flush(): void
  close(): void
}

type SyncFileHandle = FileSystemFileHandle & {
  createSyncAccessHandle(options?: {
    mode?: 'readwrite' | 'read-only' | 'readwrite-unsafe'
  }): Promise<SyncAccessHandle>
  move(newName: string): Promise<void>
}

/** The OPFS directory that holds every storage root, one subdirectory each. */
export const OPFS_ROOT_DIRECTORY = 'orchard-storage'

/** The subdirectory of {@link OPFS_ROOT_DIRECTORY} holding root `name` (any string is safe). */
export function opfsDirectoryName(name: string): string {
  return `root.${encodeURIComponent(name)}`
}

/**
 * True where OPFS sync access handles exist (dedicated workers of browsers that have OPFS), with
 * `move`, which creating and compacting a log need to put a whole file in place atomically.
 */
export function hasOpfsSyncAccess(): boolean {
  const handle = (globalThis as { FileSystemFileHandle?: { prototype: object } }).FileSystemFileHandle
  return (
    typeof navigator !== 'undefined' &&
    typeof navigator.storage?.getDirectory === 'function' &&
    handle !== undefined &&
    'createSyncAccessHandle' in handle.prototype &&
    'move' in handle.prototype
  )
}

const errorName = (err: unknown) => (err as { name?: string } | null)?.name

/** How long one OPFS call (opening, listing, moving, removing) may take before it counts as stalled. */
export const OPFS_CALL_TIMEOUT_MS = 10_000

/**
 * `call`'s result, or a `STORAGE_TIMEOUT` error once it took {@link OPFS_CALL_TIMEOUT_MS}: under
 * heavy load Chromium has been seen to leave such a call unsettled, and a caller must not wait
 * forever (`openOpfsStorage` tries the open once more).
 */
function bounded<T>(call: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new StorageError(`OPFS did not answer ${what} within ${OPFS_CALL_TIMEOUT_MS} ms`, 'STORAGE_TIMEOUT')
        ),
      OPFS_CALL_TIMEOUT_MS
    )
  })
  return Promise.race([call, stalled]).finally(() => clearTimeout(timer))
}

class HandleFile implements LogFile {
  #handle: SyncAccessHandle | null

  constructor(handle: SyncAccessHandle) {
    this.#handle = handle
  }

  readAt(buf: Uint8Array, offset: number, length: number, position: number): number {
    let done = 0
    while (done < length) {
      const got = this.#handle!.read(buf.subarray(offset + done, offset + length), { at: position + done })
      if (got === 0) break
      done += got
    }
    return done
  }

  writeAt(buf: Uint8Array, length: number, position: number): void {
    let done = 0
    while (done < length) {
      const wrote = this.#handle!.write(buf.subarray(done, length), { at: position + done })
      // no progress: the disk or the quota is full (never spin on it)
      if (wrote <= 0) throw new DOMException('the write made no progress', 'QuotaExceededError')
      done += wrote
    }
  }

  size(): number {
    return this.#handle!.getSize()
  }

  truncate(size: number): void {
    this.#handle!.truncate(size)
  }

  sync(): Promise<void> {
    try {
      this.#handle!.flush()
      return Promise.resolve()
    } catch (err) {
      return Promise.reject(err)
    }
  }

  close(): void {
    this.#handle?.close()
    this.#handle = null
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Runs `op` again while a follower's open handle blocks it (up to ~2 s), then gives up. */
async function whileHandlesLetGo<T>(op: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await op()
    } catch (err) {
      if (errorName(err) !== 'NoModificationAllowedError' || attempt >= 40) throw err
      await sleep(50)
    }
  }
}

/** What the writer tells followers on the volume's channel. */
type Announcement = 'changed' | 'destroyed'

/**
 * Root `name`'s directory in OPFS as a {@link LogVolume}, with its change channel. `announce` is
 * the writer's side of the channel; `close` stops both sides.
 */
export interface OpfsVolume extends LogVolume {
  /** Tells followers (in this and other workers) that the log changed or was destroyed. */
  announce(what: Announcement): void
  /** Closes the change channel. */
  close(): void
}

/** Opens the OPFS directory of root `name` (created when `create`). */
export async function opfsVolume(name: string, create: boolean): Promise<OpfsVolume> {
  const root = await bounded(navigator.storage.getDirectory(), 'getDirectory')
  const top = await bounded(root.getDirectoryHandle(OPFS_ROOT_DIRECTORY, { create: true }), 'a directory')
  const dirName = opfsDirectoryName(name)
  let dir: FileSystemDirectoryHandle | null = null
  const directory = async (): Promise<FileSystemDirectoryHandle | null> => {
    if (dir !== null) return dir
    try {
      dir = await bounded(top.getDirectoryHandle(dirName, { create }), `the directory of ${name}`)
    } catch (err) {
      if (errorName(err) !== 'NotFoundError') throw err
    }
    return dir
  }
  await directory()
  const channel = new BroadcastChannel(`orchard-opfs:${dirName}`)
  const listeners = new Set<() => void>()
  let destroyed = false
  let closed = false
  channel.onmessage = (e: MessageEvent<Announcement>) => {
    if (e.data === 'destroyed') destroyed = true
    for (const listener of listeners) listener()
  }
  const file = async (fileName: string, createFile: boolean) => {
    const d = await directory()
    if (d === null) throw new DOMException(`${name} does not exist`, 'NotFoundError')
    return (await bounded(d.getFileHandle(fileName, { create: createFile }), fileName)) as SyncFileHandle
  }
  const openHandle = async (fileName: string, mode: OpenMode) => {
    const handle = await bounded(
      (await file(fileName, mode === 'create')).createSyncAccessHandle({ mode: 'readwrite-unsafe' }),
      `an access handle of ${fileName}`
    )
    if (mode === 'create') handle.truncate(0)
    return new HandleFile(handle)
  }
  const followers: FollowerAccess = {
    async open(fileName) {
      try {
        return await openHandle(fileName, 'read')
      } catch (err) {
        if (errorName(err) === 'NotFoundError') return null
        throw err
      }
    },
    isDeleted: () => destroyed,
    watch(onChange) {
      listeners.add(onChange)
      return { close: () => listeners.delete(onChange) }
    }
  }
  return {
    name: `opfs:${name}`,
    crc32,
    followers,
    async list() {
      const d = await directory()
      if (d === null) return null
      const names: string[] = []
      const listing = async () => {
        for await (const key of (d as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(key)
        return names
      }
      return bounded(listing(), `the listing of ${name}`)
    },
    open: openHandle,
    async remove(fileName) {
      const d = await directory()
      if (d === null) return
      await whileHandlesLetGo(async () => {
        try {
          await bounded(d.removeEntry(fileName), `the removal of ${fileName}`)
        } catch (err) {
          if (errorName(err) !== 'NotFoundError') throw err
        }
      })
    },
    async rename(from, to) {
      const handle = await file(from, false)
      await whileHandlesLetGo(() => bounded(handle.move(to), `the move of ${from}`))
    },
    async removeVolume() {
      try {
        await top.removeEntry(dirName)
        dir = null
      } catch {
        // Not empty (the caller keeps other files there) or already gone.
      }
    },
    error(err, what) {
      if (err instanceof StorageError) return err
      const kind = errorName(err)
      if (kind === 'QuotaExceededError') {
        return new StorageQuotaError(`${what}: over the origin's storage quota; the batch was not written`, {
          cause: err
        })
      }
      if (kind === 'NoModificationAllowedError') {
        return new StorageLockedError(`${what}: the file is held open elsewhere`)
      }
      return new StorageError(`${what}: ${(err as Error)?.message ?? String(err)}`, 'STORAGE_IO', {
        cause: err
      })
    },
    announce(what) {
      if (!closed) channel.postMessage(what)
    },
    close() {
      closed = true
      listeners.clear()
      channel.close()
    }
  }
}
