/**
 * `@orchard/localdrive/browser` — the drive on a `FileSystemDirectoryHandle`: the origin-private
 * file system (`navigator.storage.getDirectory()`, see {@link opfsDirectory}) or a folder the user
 * picked (`showDirectoryPicker({ mode: 'readwrite' })`). Both are the same API, so both work here.
 *
 * How localdrive's notions map onto a directory handle:
 * - keys → nested directory handles, one per name; folders are made as files are written and
 *   removed when a `del` leaves them empty, as in Node;
 * - `mtime` → `File.lastModified` (whole milliseconds); `blob.blockLength` → `ceil(size / 4096) * 8`
 *   (there is no block count);
 * - executables: none. `executable: true` is accepted and dropped; entries always say false;
 * - symbolic links: none. `symlink()` throws `NotSupportedError`; `followLinks` and
 *   `followExternalLinks` change nothing;
 * - writes are always atomic: a handle's writable stream writes a swap file that replaces the file
 *   when the stream ends (or is dropped on `destroy`), so readers never see a half-written file,
 *   with or without `atomic`;
 * - `root` → the handle's name (`''` for the OPFS root); `toPath(key)` → the key;
 * - errors keep Node's codes: `ENOENT`, `EISDIR` (a folder where a file is wanted), `ENOTDIR` (a
 *   file where a folder is wanted), `EACCES` (no permission; ask with `requestPermission` first).
 *
 * @module \@orchard/localdrive/browser
 */
import { Localdrive as CoreLocaldrive, type LocaldriveOptions } from './drive.ts'
import { FileSystemError, NotSupportedError } from './errors.ts'
import type {
  DirEntry,
  FileReader,
  FileStat,
  FileSystem,
  FileWriter,
  FollowMode,
  OpenWriteOptions
} from './fs.ts'
import { keyNames, normalizeKey } from './path.ts'

export * from './index.ts'

/** A directory handle with its async iteration (in lib `DOM.AsyncIterable`, not our base lib). */
interface IterableDirectory extends FileSystemDirectoryHandle {
  entries(): AsyncIterableIterator<[string, FileSystemHandle]>
}

function errorName(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null ? (err as { name?: string }).name : undefined
}

/** `err` (a DOMException) as a {@link FileSystemError} with Node's code, when there is one. */
function toFsError(err: unknown, key: string, wanted: 'file' | 'directory'): unknown {
  switch (errorName(err)) {
    case 'NotFoundError':
      return new FileSystemError('ENOENT', 'no such file or directory', key, { cause: err })
    case 'TypeMismatchError':
      return wanted === 'file'
        ? new FileSystemError('EISDIR', 'illegal operation on a directory', key, { cause: err })
        : new FileSystemError('ENOTDIR', 'not a directory', key, { cause: err })
    case 'NotAllowedError':
    case 'SecurityError':
    case 'NoModificationAllowedError':
      return new FileSystemError('EACCES', 'permission denied', key, { cause: err })
    default:
      return err
  }
}

const FOLDER: FileStat = { type: 'directory', size: 0, mtime: 0, executable: false }

/** A {@link FileSystem} on a `FileSystemDirectoryHandle` (OPFS or a picked folder). */
export class DirectoryHandleFileSystem implements FileSystem {
  /** The folder. */
  readonly handle: FileSystemDirectoryHandle
  /** The folder's name (`''` for the OPFS root). */
  readonly root: string
  readonly supportsSymlinks = false
  readonly supportsExecutable = false

  /** The file system in the folder `handle`. */
  constructor(handle: FileSystemDirectoryHandle) {
    this.handle = handle
    this.root = handle.name
  }

  /** The key itself: a handle has no native path. */
  toPath(key: string): string {
    return key
  }

  /** The folder at `names`; null if missing (or a file) unless `create`. */
  async #dir(names: string[], create: boolean, key: string): Promise<FileSystemDirectoryHandle | null> {
    let dir = this.handle
    for (const name of names) {
      try {
        dir = await dir.getDirectoryHandle(name, { create })
      } catch (err) {
        const n = errorName(err)
        if (!create && (n === 'NotFoundError' || n === 'TypeMismatchError')) return null
        throw toFsError(err, key, 'directory')
      }
    }
    return dir
  }

  async #parent(key: string, create: boolean): Promise<[FileSystemDirectoryHandle | null, string]> {
    const names = keyNames(key)
    const name = names.pop()
    if (name === undefined) {
      throw new FileSystemError('EISDIR', 'illegal operation on a directory', key)
    }
    return [await this.#dir(names, create, key), name]
  }

  async stat(key: string, _follow: FollowMode): Promise<FileStat | null> {
    if (key === '/') return FOLDER
    try {
      const [parent, name] = await this.#parent(key, false)
      if (!parent) return null
      const file = await (await parent.getFileHandle(name)).getFile()
      return { type: 'file', size: file.size, mtime: file.lastModified, executable: false }
    } catch (err) {
      if (errorName(err) === 'TypeMismatchError') return FOLDER
      return null // as localdrive: whatever cannot be looked at is not there
    }
  }

  async readdir(key: string, _follow: FollowMode): Promise<AsyncIterable<DirEntry> | null> {
    const dir = (await this.#dir(keyNames(key), false, key)) as IterableDirectory | null
    if (!dir) return null
    return (async function* () {
      for await (const [name, handle] of dir.entries()) {
        yield { name, type: handle.kind === 'directory' ? 'directory' : 'file' } satisfies DirEntry
      }
    })()
  }

  async openRead(key: string): Promise<FileReader> {
    const [parent, name] = await this.#parent(key, false)
    if (!parent) throw new FileSystemError('ENOENT', 'no such file or directory', key)
    let file: File
    try {
      file = await (await parent.getFileHandle(name)).getFile()
    } catch (err) {
      throw toFsError(err, key, 'file')
    }
    return {
      size: file.size,
      async read(position, length) {
        return new Uint8Array(await file.slice(position, position + length).arrayBuffer())
      },
      async close() {}
    }
  }

  async openWrite(key: string, _opts: OpenWriteOptions): Promise<FileWriter> {
    const [parent, name] = await this.#parent(key, true)
    let writable: FileSystemWritableFileStream
    try {
      const fh = await parent!.getFileHandle(name, { create: true })
      writable = await fh.createWritable({ keepExistingData: false })
    } catch (err) {
      throw toFsError(err, key, 'file')
    }
    return {
      async write(chunks) {
        for (const c of chunks) await writable.write(c as Uint8Array<ArrayBuffer>)
      },
      commit: () => writable.close(),
      abort: () => writable.abort()
    }
  }

  async unlink(key: string): Promise<boolean> {
    const [parent, name] = await this.#parent(key, false)
    if (!parent) return false
    try {
      await parent.getFileHandle(name) // a folder raises TypeMismatchError: EISDIR, as unlink(2)
      await parent.removeEntry(name)
      return true
    } catch (err) {
      if (errorName(err) === 'NotFoundError') return false
      throw toFsError(err, key, 'file')
    }
  }

  async removeEmptyDir(key: string): Promise<boolean> {
    try {
      const [parent, name] = await this.#parent(key, false)
      if (!parent) return false
      await parent.getDirectoryHandle(name) // never remove a file here
      await parent.removeEntry(name) // not recursive: fails unless empty
      return true
    } catch {
      return false
    }
  }

  async symlink(key: string, _linkname: string): Promise<void> {
    throw new NotSupportedError(`Symbolic links are not supported by directory handles: ${key}`)
  }
}

/**
 * A browser folder as a drive: `new Localdrive(handle, opts)` over a `FileSystemDirectoryHandle`
 * (see {@link opfsDirectory}, or `showDirectoryPicker({ mode: 'readwrite' })`).
 */
export class Localdrive extends CoreLocaldrive {
  /** The drive on the folder `handle`. */
  constructor(handle: FileSystemDirectoryHandle, opts?: LocaldriveOptions) {
    super(new DirectoryHandleFileSystem(handle), opts)
  }
}

/**
 * The folder at `path` (`/` by default) of this origin's private file system, created if missing.
 */
export async function opfsDirectory(path = '/'): Promise<FileSystemDirectoryHandle> {
  let dir = await navigator.storage.getDirectory()
  for (const name of keyNames(normalizeKey(path))) dir = await dir.getDirectoryHandle(name, { create: true })
  return dir
}
