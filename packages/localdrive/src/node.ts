/**
 * `@orchard/localdrive/node` — the drive on Node's file system, as localdrive 2 keeps it:
 * executables are files with the owner's execute bit (written 0o755, others 0o644, subject to the
 * umask), links are real symbolic links (an absolute linkname points under the root, a relative
 * one is stored as given), and an `atomic` drive writes `<name>.<n>.localdrive.tmp` beside the file
 * and renames it into place when the stream ends.
 *
 * ```ts
 * import { Localdrive } from '@orchard/localdrive/node'
 * const drive = new Localdrive('./my-project')
 * ```
 *
 * @module \@orchard/localdrive/node
 */
import { constants, type Stats } from 'node:fs'
import * as fsp from 'node:fs/promises'
import * as path from 'node:path'
import { Localdrive as CoreLocaldrive, type LocaldriveOptions } from './drive.ts'
import type {
  DirEntry,
  FileReader,
  FileStat,
  FileSystem,
  FileType,
  FileWriter,
  FollowMode,
  OpenWriteOptions
} from './fs.ts'
import { normalizeKey } from './path.ts'

export * from './index.ts'

async function lstat(filename: string): Promise<Stats | null> {
  try {
    return await fsp.lstat(filename)
  } catch {
    return null
  }
}

async function stat(filename: string): Promise<Stats | null> {
  try {
    return await fsp.stat(filename)
  } catch {
    return null
  }
}

function typeOf(st: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): FileType {
  if (st.isFile()) return 'file'
  if (st.isDirectory()) return 'directory'
  if (st.isSymbolicLink()) return 'symlink'
  return 'other'
}

/** A {@link FileSystem} on a folder of Node's file system. */
export class NodeFileSystem implements FileSystem {
  /** The absolute path of the folder. */
  readonly root: string
  readonly supportsSymlinks = true
  readonly supportsExecutable = process.platform !== 'win32'
  readonly #atomics = new Set<string>()

  /** The folder at `root` (relative to the working directory when not absolute). */
  constructor(root: string) {
    this.root = path.resolve(root)
  }

  /** `root` joined with `key`. */
  toPath(key: string): string {
    return path.join(this.root, key)
  }

  async #resolve(filename: string, follow: FollowMode): Promise<{ st: Stats | null; filename: string }> {
    if (follow === 'all') return { st: await stat(filename), filename }
    if (follow === 'none') return { st: await lstat(filename), filename }
    for (let i = 0; i < 256; i++) {
      const st = await lstat(filename)
      if (!st?.isSymbolicLink()) return { st, filename }
      const link = await fsp.readlink(filename)
      const resolved = path.resolve(path.dirname(filename), link)
      if (resolved.startsWith(this.root)) return { st, filename } // a link inside the root stays
      filename = resolved
    }
    throw new Error('Reached symlink recursion limit')
  }

  async stat(key: string, follow: FollowMode): Promise<FileStat | null> {
    const { st, filename } = await this.#resolve(this.toPath(key), follow)
    if (!st) return null
    const out: FileStat = {
      type: typeOf(st),
      size: st.size,
      mtime: st.mtimeMs,
      executable: !!(st.mode & constants.S_IXUSR),
      blocks: st.blocks,
      blksize: st.blksize
    }
    if (out.type === 'symlink') {
      let link = (await fsp.readlink(filename)).replace(/\\/g, '/')
      const root = this.root.replace(/\\/g, '/')
      if (link.startsWith(root)) {
        link = link.slice(root.length)
        if (!link.startsWith('/')) link = `/${link}`
      }
      out.linkname = link
    }
    return out
  }

  async readdir(key: string, follow: FollowMode): Promise<AsyncIterable<DirEntry> | null> {
    const dirname = this.toPath(key)
    let dir: AsyncIterable<import('node:fs').Dirent>
    try {
      dir = await fsp.opendir(dirname)
    } catch {
      return null
    }
    const resolve = (filename: string) => this.#resolve(filename, follow)
    return (async function* () {
      for await (const dirent of dir) {
        let type = typeOf(dirent)
        if (type === 'symlink' && follow !== 'none') {
          const { st } = await resolve(path.join(dirname, dirent.name))
          if (st?.isDirectory()) type = 'directory'
        }
        yield { name: dirent.name, type }
      }
    })()
  }

  async openRead(key: string): Promise<FileReader> {
    const filename = this.toPath(key)
    const fh = await fsp.open(filename, constants.O_RDONLY)
    let size: number
    try {
      const st = await fh.stat()
      if (!st.isFile()) throw new Error(`${filename} is not a file`)
      size = st.size
    } catch (err) {
      await fh.close()
      throw err
    }
    return {
      size,
      async read(position, length) {
        const buf = new Uint8Array(length)
        const { bytesRead } = await fh.read(buf, 0, length, position)
        return buf.subarray(0, bytesRead)
      },
      close: () => fh.close()
    }
  }

  #alloc(filename: string): string {
    let c = 0
    while (this.#atomics.has(`${filename}.${c}.localdrive.tmp`)) c++
    const tmp = `${filename}.${c}.localdrive.tmp`
    this.#atomics.add(tmp)
    return tmp
  }

  async openWrite(key: string, opts: OpenWriteOptions): Promise<FileWriter> {
    const filename = this.toPath(key)
    const target = opts.atomic ? this.#alloc(filename) : filename
    const release = () => {
      if (target !== filename) this.#atomics.delete(target)
    }
    const mode = opts.executable ? 0o755 : 0o644
    let fh: fsp.FileHandle
    try {
      await fsp.mkdir(path.dirname(filename), { recursive: true })
      const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_APPEND
      fh = await fsp.open(target, flags, mode)
    } catch (err) {
      release()
      throw err
    }
    try {
      const st = await fh.stat()
      if (opts.executable !== !!(st.mode & constants.S_IXUSR)) await fh.chmod(mode)
    } catch (err) {
      await fh.close().catch(() => undefined)
      release()
      throw err
    }
    return {
      async write(chunks) {
        let pending = chunks
        while (pending.length > 0) {
          let { bytesWritten } = await fh.writev(pending)
          const rest: Uint8Array[] = []
          for (const c of pending) {
            if (bytesWritten >= c.byteLength) bytesWritten -= c.byteLength
            else {
              rest.push(c.subarray(bytesWritten))
              bytesWritten = 0
            }
          }
          pending = rest
        }
      },
      async commit() {
        await fh.close()
        if (target !== filename) {
          try {
            await fsp.rename(target, filename)
          } finally {
            release()
          }
        }
      },
      async abort() {
        await fh.close().catch(() => undefined)
        if (target === filename) return
        try {
          await fsp.unlink(target)
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
        } finally {
          release()
        }
      }
    }
  }

  async unlink(key: string): Promise<boolean> {
    try {
      await fsp.unlink(this.toPath(key))
      return true
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
      throw err
    }
  }

  async removeEmptyDir(key: string): Promise<boolean> {
    try {
      await fsp.rmdir(this.toPath(key))
      return true
    } catch {
      return false
    }
  }

  async symlink(key: string, linkname: string): Promise<void> {
    const pointer = this.toPath(key)
    await fsp.mkdir(path.dirname(pointer), { recursive: true })
    const target = linkname.startsWith('/')
      ? this.toPath(normalizeKey(linkname))
      : linkname.replace(/\//g, path.sep)
    let type: 'junction' | undefined
    if (process.platform === 'win32') {
      const st = await lstat(path.resolve(path.dirname(pointer), target))
      if (st?.isDirectory()) type = 'junction'
    }
    await fsp.symlink(target, pointer, type)
  }
}

/**
 * A folder of Node's file system as a drive: `new Localdrive(root, opts)` as in localdrive 2.
 * `root` may be relative; {@link CoreLocaldrive.root} is the absolute path.
 */
export class Localdrive extends CoreLocaldrive {
  /** The drive on the folder at `root`. */
  constructor(root: string, opts?: LocaldriveOptions) {
    super(new NodeFileSystem(root), opts)
  }
}
