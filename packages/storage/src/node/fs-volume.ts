/**
 * A Node directory as a log volume: positioned `readSync`/`writeSync` on file descriptors,
 * `fdatasync` for durability, renames flushed with their directory, zlib's CRC-32, and what
 * read-only followers in other processes need (synchronous listing, deletion checks, `fs.watch`).
 */
import {
  closeSync,
  fdatasync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmdirSync,
  unlinkSync,
  watch,
  writeSync
} from 'node:fs'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'
import { StorageError, StorageQuotaError } from '../errors.ts'
import type { FollowerAccess, LogFile, LogVolume, OpenMode } from '../log/volume.ts'

const FLAGS: Record<OpenMode, string> = { read: 'r', write: 'r+', create: 'w+' }

/** An open file descriptor as a {@link LogFile}. */
class FdFile implements LogFile {
  fd: number | null

  constructor(fd: number) {
    this.fd = fd
  }

  readAt(buf: Uint8Array, offset: number, length: number, position: number): number {
    let done = 0
    while (done < length) {
      const got = readSync(this.fd!, buf, offset + done, length - done, position + done)
      if (got === 0) break
      done += got
    }
    return done
  }

  writeAt(buf: Uint8Array, length: number, position: number): void {
    let done = 0
    while (done < length) {
      const wrote = writeSync(this.fd!, buf, done, length - done, position + done)
      // no progress: the disk is full (never spin on it)
      if (wrote <= 0) throw Object.assign(new Error('the write made no progress'), { code: 'ENOSPC' })
      done += wrote
    }
  }

  size(): number {
    return fstatSync(this.fd!).size
  }

  truncate(size: number): void {
    ftruncateSync(this.fd!, size)
  }

  sync(): Promise<void> {
    const fd = this.fd!
    return new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())))
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd)
    this.fd = null
  }
}

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException | null)?.code === 'ENOENT'

/** Flushes a directory (its renames); some platforms cannot, where the rename is still atomic. */
function fsyncDir(dir: string): void {
  let fd: number | null = null
  try {
    fd = openSync(dir, 'r')
    fsyncSync(fd)
  } catch {
    // Not possible here.
  } finally {
    if (fd !== null) closeSync(fd)
  }
}

/** Directory `dir` (an absolute path) as a {@link LogVolume}. */
export function fsVolume(dir: string): LogVolume {
  const listSync = (): string[] | null => {
    try {
      return readdirSync(dir)
    } catch (err) {
      if (isMissing(err)) return null
      throw err
    }
  }
  const followers: FollowerAccess = {
    async open(name) {
      try {
        return new FdFile(openSync(join(dir, name), 'r'))
      } catch (err) {
        if (isMissing(err)) return null
        throw err
      }
    },
    isDeleted: (file) => fstatSync((file as FdFile).fd!).nlink === 0,
    watch(onChange) {
      try {
        const watcher = watch(dir, { persistent: false }, onChange)
        watcher.on('error', () => undefined)
        return watcher
      } catch {
        return null
      }
    }
  }
  return {
    name: dir,
    crc32,
    followers,
    list: async () => listSync(),
    open: async (name, mode) => new FdFile(openSync(join(dir, name), FLAGS[mode])),
    async remove(name) {
      try {
        unlinkSync(join(dir, name))
      } catch (err) {
        if (!isMissing(err)) throw err
      }
    },
    async rename(from, to) {
      renameSync(join(dir, from), join(dir, to))
      fsyncDir(dir)
    },
    async removeVolume() {
      try {
        rmdirSync(dir)
      } catch {
        // Not empty (the caller keeps other files there) or already gone.
      }
    },
    error(err, what) {
      if (err instanceof StorageError) return err
      const code = (err as NodeJS.ErrnoException | null)?.code
      if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG') {
        return new StorageQuotaError(`${what}: out of disk space; the batch was not written`, { cause: err })
      }
      return new StorageError(`${what}: ${(err as Error)?.message ?? String(err)}`, 'STORAGE_IO', {
        cause: err
      })
    }
  }
}
