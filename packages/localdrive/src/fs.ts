/**
 * The small file-system interface a {@link Localdrive} runs on. Every method takes a normal drive
 * key (`/a/b.txt`, see `normalizeKey`); the adapter maps it under its root. Two adapters ship:
 * `@orchard/localdrive/node` (node:fs/promises) and `@orchard/localdrive/browser`
 * (`FileSystemDirectoryHandle`: OPFS or a folder the user picked).
 *
 * Adapters throw errors with Node's POSIX `code`s (`ENOENT`, `EISDIR`, `ENOTDIR`, ...).
 */

/** What a name in a folder is. `other` is anything else (sockets, devices): never listed as a file. */
export type FileType = 'file' | 'directory' | 'symlink' | 'other'

/**
 * Which symbolic links a lookup follows, as localdrive's options choose: `none` (the default:
 * links are entries of their own), `all` (`followLinks`), or `external` (`followExternalLinks`:
 * links whose target leaves the root are followed, links inside it are kept as links).
 */
export type FollowMode = 'none' | 'all' | 'external'

/** What {@link FileSystem.stat} says about a key. */
export interface FileStat {
  /** The kind of the (possibly followed) name. */
  type: FileType
  /** Bytes in the file. */
  size: number
  /** Last modification, in milliseconds since the epoch (fractional where the platform has it). */
  mtime: number
  /** The owner may execute it (`mode & S_IXUSR`); always false where there are no modes. */
  executable: boolean
  /** 512-byte blocks allocated (`st.blocks`), when the platform says. */
  blocks?: number
  /** The preferred I/O block size (`st.blksize`), when the platform says; 4096 otherwise. */
  blksize?: number
  /** For a `symlink`: its target as a drive sees it (a target under the root as `/key`). */
  linkname?: string | null
}

/** One name in a folder. */
export interface DirEntry {
  /** The name (no separators). */
  name: string
  /**
   * Its kind; a link to a folder reads as `directory` when the follow mode follows it, so the
   * drive descends into it.
   */
  type: FileType
}

/** An open file to read from. */
export interface FileReader {
  /** Bytes in the file when it was opened. */
  readonly size: number
  /** Up to `length` bytes at `position`; fewer (or none) at the end of the file. */
  read(position: number, length: number): Promise<Uint8Array>
  /** Releases the file. */
  close(): Promise<void>
}

/** A file being written: chunks go in order, then `commit` makes it the file at the key. */
export interface FileWriter {
  /** Appends `chunks`, in order. */
  write(chunks: Uint8Array[]): Promise<void>
  /** Finishes the file (an atomic writer renames its temporary file over the key now). */
  commit(): Promise<void>
  /** Gives up: closes the file and removes a temporary file; what was written stays otherwise. */
  abort(): Promise<void>
}

/** Options of {@link FileSystem.openWrite}. */
export interface OpenWriteOptions {
  /** Make the file executable (mode 0o755 rather than 0o644), where there are modes. */
  executable: boolean
  /** Write a temporary file and rename it over the key on commit (where the adapter can choose). */
  atomic: boolean
}

/** The operations a {@link Localdrive} needs from a file system. */
export interface FileSystem {
  /** A printable name of the root (an absolute path in Node, the handle's name in a browser). */
  readonly root: string
  /** Whether {@link symlink} works and links are ever reported. */
  readonly supportsSymlinks: boolean
  /** Whether executable bits are kept. */
  readonly supportsExecutable: boolean
  /** Where `key` lives natively (`/root/a/b.txt` in Node). */
  toPath(key: string): string
  /** What `key` is, following links per `follow`; null when nothing is there. */
  stat(key: string, follow: FollowMode): Promise<FileStat | null>
  /** The names in folder `key`, in the file system's order; null when it is not a readable folder. */
  readdir(key: string, follow: FollowMode): Promise<AsyncIterable<DirEntry> | null>
  /** Opens file `key` to read (`ENOENT` if missing, an error if it is not a file). */
  openRead(key: string): Promise<FileReader>
  /** Creates (or truncates) file `key` to write, creating its folders. */
  openWrite(key: string, opts: OpenWriteOptions): Promise<FileWriter>
  /** Removes file or link `key`; false when nothing was there; `EISDIR`/`EPERM` for a folder. */
  unlink(key: string): Promise<boolean>
  /** Removes folder `key` if it is empty; false when it could not (not empty, missing, ...). */
  removeEmptyDir(key: string): Promise<boolean>
  /** Creates link `key` → `linkname` (absolute linknames are drive keys), creating its folders. */
  symlink(key: string, linkname: string): Promise<void>
}
