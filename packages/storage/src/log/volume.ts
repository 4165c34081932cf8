/**
 * What the log-structured store needs of the place it keeps its files: a flat directory of named
 * files (a *volume*) with positioned, synchronous reads and writes on open files. Two volumes
 * implement it: a Node directory (`../node/fs-volume.ts`) and a browser's origin private file
 * system through sync access handles (`../opfs/opfs-volume.ts`, dedicated workers only).
 *
 * Reads and writes are synchronous because both platforms do them synchronously (`readSync`,
 * `FileSystemSyncAccessHandle.read`) and the store's hot path must not await per value; opening,
 * renaming and listing may be asynchronous (OPFS only has them so).
 */
import type { StorageError } from '../errors.ts'
import type { Crc32 } from './record.ts'

/** An open file of a volume. */
export interface LogFile {
  /**
   * Reads up to `length` bytes at file offset `position` into `buf` from `offset`; returns how many
   * bytes were there (fewer only at the end of the file).
   */
  readAt(buf: Uint8Array, offset: number, length: number, position: number): number
  /** Writes all of `buf[0, length)` at file offset `position`. Throws on failure (disk full, …). */
  writeAt(buf: Uint8Array, length: number, position: number): void
  /** The file's size in bytes. */
  size(): number
  /** Cuts (or extends) the file to `size` bytes. */
  truncate(size: number): void
  /** Resolves once everything written to the file is on stable storage. */
  sync(): Promise<void>
  /** Closes the file (idempotent). */
  close(): void
}

/** How a file is opened: read-only, read-write (must exist), or created empty (replacing any). */
export type OpenMode = 'read' | 'write' | 'create'

/** A flat directory of log files. */
export interface LogVolume {
  /** What names the volume in messages (a path, an OPFS directory name). */
  readonly name: string
  /** The platform's CRC-32 for record checksums. */
  readonly crc32: Crc32
  /** The names of the files in the volume, or null when the volume does not exist (yet). */
  list(): Promise<string[] | null>
  /** Opens file `name` (see {@link OpenMode}). */
  open(name: string, mode: OpenMode): Promise<LogFile>
  /** Deletes file `name` (nothing if it is gone already). */
  remove(name: string): Promise<void>
  /**
   * Renames file `from` (closed) to `to`, replacing `to` atomically, and makes the rename durable:
   * after a crash either the old `to` or the whole new one is there.
   */
  rename(from: string, to: string): Promise<void>
  /** Removes the volume itself when nothing else is left in it (best effort). */
  removeVolume(): Promise<void>
  /** A platform failure as a typed `StorageError` (quota, I/O), saying what was being done. */
  error(err: unknown, what: string): StorageError
  /** Read-only followers of a live writer, where the platform allows several openers. */
  readonly followers?: FollowerAccess
  /**
   * Where followers cannot watch the files (OPFS): the writer tells them that the log changed, or
   * that the storage was destroyed.
   */
  announce?(what: 'changed' | 'destroyed'): void
  /** Releases what the volume holds (a change channel) once the storage is closed. */
  close?(): void
}

/** What read-only followers of a live writer need: to open its logs, and to hear about changes. */
export interface FollowerAccess {
  /** Opens file `name` for reading beside the writer, or returns null when it does not exist (any more). */
  open(name: string): Promise<LogFile | null>
  /** Whether `file` was deleted while open (its writer destroyed the storage). */
  isDeleted(file: LogFile): boolean
  /** Calls `onChange` when the writer changed the volume; null when the platform cannot tell. */
  watch(onChange: () => void): { close(): void } | null
}
