/**
 * The log-structured store, on any {@link LogVolume}: Node directories (`openFileStorage`) and a
 * browser's origin private file system (`openOpfsStorage`).
 *
 * Every batch is appended to the log as one checksummed record (the write-ahead log *is* the
 * store); an in-memory ordered index maps each key to its value's place in the log (small values
 * are kept in the index itself). Reads are positioned reads (from the OS page cache in Node). When
 * more than half of the log is dead, it is compacted into a new generation written aside, flushed
 * and atomically renamed over. On open the log is replayed; a torn tail (a write cut short by a
 * crash) fails its length/checksum and is cut off, so a batch is either wholly there or not at all.
 *
 * Files in the volume: `data.<generation>.log`, and a transient `data.<generation>.log.tmp` while
 * compacting. Locking is the opener's business (a lock file in Node, a Web Lock in browsers).
 */
import { nextTask } from '@orchard/events'
import {
  StorageArgumentError,
  StorageClosedError,
  StorageCorruptError,
  StorageError,
  StorageReadOnlyError
} from '../errors.ts'
import { assertBatch } from '../keys.ts'
import type { LockHandle } from '../locks.ts'
import type { BatchOp, OpenOptions, Storage, WriteOptions } from '../types.ts'
import { createLog, generationsIn, LOG_PATTERN, logName, TMP_SUFFIX, writeCompactedLog } from './log-files.ts'
import { newIndex } from './log-index.ts'
import { LogReader } from './log-reader.ts'
import {
  batchRecordBytes,
  decodeRecord,
  encodeBatch,
  encodeMoved,
  FILE_HEADER_BYTES,
  MAX_PAYLOAD_BYTES,
  RECORD_HEADER_BYTES,
  readFileHeader,
  sealRecord
} from './record.ts'
import { LogScanner } from './scan.ts'
import type { LogFile, LogVolume } from './volume.ts'

/** Options of a log-structured storage (`openFileStorage`, `openOpfsStorage`). */
export interface LogStorageOptions extends OpenOptions {
  /** Values up to this many bytes are also kept in memory, so reading them costs no I/O. Default 64. */
  inlineValueBytes?: number
  /** The log is compacted once larger than this and more than half dead. Default 64 MiB. */
  compactMinBytes?: number
}

/** Figures about an open log-structured storage. */
export interface LogStorageStats {
  /** The log file's generation; each compaction writes the next one. */
  generation: number
  /** Bytes in the log file. */
  logBytes: number
  /** Approximate bytes the live entries need. */
  liveBytes: number
  /** Live keys across all stores. */
  keys: number
}

/** A log-structured {@link Storage}, with compaction and figures. */
export interface LogStorage extends Storage {
  /** Rewrites the log with only the live entries (writes wait meanwhile). */
  compact(): Promise<void>
  /** Sizes of the log and of the live data, e.g. to decide when to call `compact`. */
  stats(): LogStorageStats
}

interface QueuedWrite {
  buf: Uint8Array
  length: number
  strict: boolean
  resolve: () => void
  reject: (err: unknown) => void
}

/**
 * Opens the log-structured storage in `volume`: as its writer when `lock` is held (creating the
 * log if needed), else as a read-only follower (only where the volume has `followers`). The
 * storage releases `lock` when it closes, or when opening fails.
 */
export async function openLogStorage(
  volume: LogVolume,
  lock: LockHandle | null,
  opts: LogStorageOptions = {}
): Promise<LogStorage> {
  const storage = new LogStorageImpl(volume, lock, opts)
  try {
    await storage.load()
  } catch (err) {
    await storage.abandon()
    throw err
  }
  return storage
}

class LogStorageImpl extends LogReader implements LogStorage {
  #lock: LockHandle | null
  #compactMinBytes: number
  /** Log offset known to be on stable storage. */
  #synced = 0
  #failed: StorageError | null = null
  #scratch = new Uint8Array(64 * 1024)
  #queue: QueuedWrite[] = []
  #compacting: Promise<void> | null = null
  #syncing: Promise<void> | null = null
  /** The pending announcement of this turn's batches (OPFS), if any. */
  #announcing: ReturnType<typeof setTimeout> | null = null

  constructor(volume: LogVolume, lock: LockHandle | null, opts: LogStorageOptions) {
    super(volume, lock === null, opts.inlineValueBytes ?? 64)
    this.#lock = lock
    this.#compactMinBytes = opts.compactMinBytes ?? 64 * 1024 * 1024
  }

  /** Opens the newest log generation and replays it. */
  async load(): Promise<void> {
    const volume = this.volume
    // where the writer announces its batches, a follower listens from the start (see `follow`)
    if (volume.announce !== undefined) this.follow()
    let names: string[] | null
    try {
      names = await volume.list()
    } catch (err) {
      throw volume.error(err, `Cannot read ${this.name}`)
    }
    if (names === null) {
      if (this.readOnly) return // nothing yet
      throw new StorageError(`${this.name} does not exist`, 'STORAGE_IO')
    }
    let gens = generationsIn(names)
    if (!this.readOnly) {
      try {
        // Only the newest generation counts: older ones were superseded by a finished compaction,
        // `.tmp` files are compactions that never finished.
        for (const f of names) {
          if (f.endsWith(`.log${TMP_SUFFIX}`)) await volume.remove(f)
        }
        for (const g of gens.slice(0, -1)) await volume.remove(logName(g))
        if (gens.length === 0) {
          await createLog(volume, 1)
          gens = [1]
        }
      } catch (err) {
        throw volume.error(err, `Cannot prepare ${this.name}`)
      }
    }
    if (gens.length === 0) return
    await this.#openLog(gens[gens.length - 1]!)
  }

  /** Releases what a failed open took. */
  async abandon(): Promise<void> {
    this.isClosed = true
    this.shutdown()
    await this.#lock?.release()
  }

  write(ops: readonly BatchOp[], opts: WriteOptions = {}): Promise<void> {
    try {
      if (this.isClosed) throw new StorageClosedError()
      if (this.readOnly) throw new StorageReadOnlyError()
      if (this.#failed) throw this.#failed
      assertBatch(ops)
    } catch (err) {
      return Promise.reject(err)
    }
    if (ops.length === 0) return Promise.resolve()
    const size = batchRecordBytes(ops)
    if (size - RECORD_HEADER_BYTES > MAX_PAYLOAD_BYTES) {
      return Promise.reject(
        new StorageArgumentError(
          `A batch of ${size} bytes is over the ${MAX_PAYLOAD_BYTES}-byte limit of one log record`
        )
      )
    }
    const strict = opts.durability === 'strict'
    if (this.#compacting !== null || this.#queue.length > 0) {
      // Encode now (the caller may reuse its buffers), append once the compaction is done.
      const buf = new Uint8Array(size)
      const length = encodeBatch(buf, ops)
      return new Promise((res, rej) => {
        this.#queue.push({ buf, length, strict, resolve: res, reject: rej })
      })
    }
    if (this.#scratch.length < size) this.#scratch = new Uint8Array(Math.max(size, this.#scratch.length * 2))
    const length = encodeBatch(this.#scratch, ops)
    try {
      this.#append(this.#scratch, length)
    } catch (err) {
      return Promise.reject(err)
    }
    return strict ? this.#syncTo(this.end) : Promise.resolve()
  }

  async compact(): Promise<void> {
    if (this.isClosed) throw new StorageClosedError()
    if (this.readOnly) throw new StorageReadOnlyError()
    if (this.#failed) throw this.#failed
    if (this.#compacting === null) {
      this.#compacting = this.#rewrite().finally(() => {
        this.#compacting = null
        this.#drain()
      })
    }
    return this.#compacting
  }

  stats(): LogStorageStats {
    let keys = 0
    for (const map of this.index.maps) keys += map.size
    return { generation: this.generation, logBytes: this.end, liveBytes: this.index.live, keys }
  }

  async close(): Promise<void> {
    if (this.isClosed) return
    this.isClosed = true
    await this.#settle()
    if (!this.readOnly && this.file !== null && this.#failed === null) {
      // A clean close leaves everything on stable storage.
      try {
        await this.#syncTo(this.end)
      } catch {
        // Reported to the writes that asked for it; closing goes on.
      }
    }
    this.#announceNow()
    this.shutdown()
    await this.#lock?.release()
  }

  async destroy(): Promise<void> {
    if (this.isClosed) throw new StorageClosedError()
    if (this.readOnly) throw new StorageReadOnlyError('A read-only opener cannot destroy the storage')
    this.isClosed = true
    await this.#settle()
    const volume = this.volume
    // Followers let go of the files (they hold them open where the platform lets them block removal)
    this.#announceNow()
    volume.announce?.('destroyed')
    this.shutdown()
    try {
      for (const f of (await volume.list()) ?? []) {
        if (LOG_PATTERN.test(f) || f.endsWith(`.log${TMP_SUFFIX}`)) await volume.remove(f)
      }
    } catch (err) {
      throw volume.error(err, `Cannot destroy ${this.name}`)
    } finally {
      await this.#lock?.release()
    }
    // Gone unless not empty (the caller keeps other files there).
    await volume.removeVolume()
  }

  /** Opens log `generation`, replays it into a fresh index and, as writer, cuts a torn tail. */
  async #openLog(generation: number): Promise<void> {
    const volume = this.volume
    const name = `${this.name}/${logName(generation)}`
    let fd: LogFile
    try {
      fd = await volume.open(logName(generation), this.readOnly ? 'read' : 'write')
    } catch (err) {
      throw volume.error(err, `Cannot open ${name}`)
    }
    this.file = fd
    const header = new Uint8Array(FILE_HEADER_BYTES)
    readFileHeader(header.subarray(0, fd.readAt(header, 0, FILE_HEADER_BYTES, 0)), name)
    this.generation = generation
    const size = fd.size()
    const index = newIndex(this.inline)
    const scanner = new LogScanner(fd, FILE_HEADER_BYTES, size, volume.crc32)
    let status = scanner.step(index)
    while (status === 'more') {
      await nextTask()
      status = scanner.step(index)
    }
    if (status === 'moved' && !this.readOnly) {
      // A compaction finished but this older log survived; the newer one is authoritative.
      throw new StorageCorruptError(`${name} was superseded by generation ${scanner.moved}, which is missing`)
    }
    if (status === 'stopped' && !this.readOnly) {
      const claim = scanner.laterSyncedClaim(scanner.pos)
      if (claim > scanner.pos) {
        throw new StorageCorruptError(
          `${name}: the record at offset ${scanner.pos} is damaged although later records show it was flushed to disk`
        )
      }
      // A torn tail: the batch it held was never acknowledged. Cut it off for good.
      fd.truncate(scanner.pos)
    }
    if (!this.readOnly && size > FILE_HEADER_BYTES) await fd.sync()
    this.index = index
    this.index.touched = 0
    this.end = scanner.pos
    this.#synced = this.readOnly ? 0 : scanner.pos
    if (status === 'moved' && scanner.moved !== null) {
      fd.close()
      this.file = null
      await this.#openLog(scanner.moved)
    }
  }

  /** Appends one encoded batch record and indexes it. Throws (with nothing applied) on failure. */
  #append(buf: Uint8Array, length: number): void {
    const fd = this.file!
    const volume = this.volume
    sealRecord(buf, length, this.#synced, volume.crc32)
    try {
      fd.writeAt(buf, length, this.end)
    } catch (err) {
      // Take back whatever part reached the file, so the log ends at the last whole record.
      try {
        fd.truncate(this.end)
      } catch (truncErr) {
        this.#failed = volume.error(
          truncErr,
          `${this.name}: cannot roll back a failed write; storage is now read-only`
        )
      }
      throw volume.error(err, `${this.name}: write failed`)
    }
    this.index.begin(buf, this.end)
    // Our own record, just encoded: decoding cannot fail.
    decodeRecord(buf, 0, length, this.index)
    this.end += length
    this.#announceChange()
    if (this.end > this.#compactMinBytes && this.end > 2 * this.index.live + FILE_HEADER_BYTES) {
      queueMicrotask(() => {
        if (!this.isClosed && this.#compacting === null && this.#failed === null) {
          this.compact().catch(() => {
            // The old log is intact; try again once the log has grown further.
            this.#compactMinBytes = this.end * 2
          })
        }
      })
    }
  }

  /** Tells followers that cannot watch the volume about this turn's writes (once per turn). */
  #announceChange(): void {
    if (this.volume.announce === undefined || this.#announcing !== null) return
    // once per macrotask, not per batch: a BroadcastChannel message costs about what a small
    // append does (measured: single 1 KiB appends on OPFS ran at half speed announcing each)
    this.#announcing = setTimeout(() => this.#announceNow(), 0)
  }

  /** Sends the pending announcement, if any (a no-op once the volume closed). */
  #announceNow(): void {
    if (this.#announcing === null) return
    clearTimeout(this.#announcing)
    this.#announcing = null
    this.volume.announce?.('changed')
  }

  /** Resolves once the log up to `target` is on stable storage; concurrent callers share fsyncs. */
  #syncTo(target: number): Promise<void> {
    if (this.#synced >= target) return Promise.resolve()
    if (this.#failed) return Promise.reject(this.#failed)
    if (this.#syncing !== null) return this.#syncing.then(() => this.#syncTo(target))
    const upTo = this.end
    const generation = this.generation
    this.#syncing = this.file!.sync().then(
      () => {
        this.#syncing = null
        // Offsets of a log that compaction has since replaced say nothing about the new one.
        if (generation === this.generation && upTo > this.#synced) this.#synced = upTo
      },
      (err) => {
        this.#syncing = null
        // After a failed fsync the kernel may have dropped dirty pages: stop writing.
        this.#failed = this.volume.error(err, `${this.name}: fsync failed; storage is now read-only`)
        throw this.#failed
      }
    )
    return this.#syncing
  }

  /** Writes the live entries into a new generation and switches to it. */
  async #rewrite(): Promise<void> {
    // No fsync of the old log may still be running once its fd is closed.
    while (this.#syncing !== null) await this.#syncing.catch(() => undefined)
    const volume = this.volume
    const oldFd = this.file!
    const oldGeneration = this.generation
    const generation = oldGeneration + 1
    const next = await writeCompactedLog(volume, generation, this.index.maps, this.inline, (v) =>
      this.read(v)
    )
    // Tell followers still reading the old log where it went, then retire it.
    const moved = encodeMoved(generation)
    sealRecord(moved, moved.length, this.#synced, volume.crc32)
    try {
      oldFd.writeAt(moved, moved.length, this.end)
    } catch {
      // Followers will notice the old log was deleted and reopen.
    }
    this.file = next.file
    this.generation = generation
    this.index = next.index
    this.end = next.end
    this.#synced = next.end
    this.#announceChange()
    oldFd.close()
    // A leftover old log is removed on the next open (the newest generation wins).
    await volume.remove(logName(oldGeneration)).catch(() => undefined)
  }

  /** Appends the writes that queued up during a compaction, in order. */
  #drain(): void {
    while (this.#queue.length > 0 && this.#compacting === null) {
      const w = this.#queue.shift()!
      if (this.#failed) {
        w.reject(this.#failed)
        continue
      }
      try {
        this.#append(w.buf, w.length)
        if (w.strict) this.#syncTo(this.end).then(w.resolve, w.reject)
        else w.resolve()
      } catch (err) {
        w.reject(err)
      }
    }
  }

  /** Waits until no compaction runs and no write is queued. */
  async #settle(): Promise<void> {
    while (this.#compacting !== null || this.#queue.length > 0 || this.#syncing !== null) {
      await Promise.allSettled([this.#compacting, this.#syncing])
      this.#drain()
    }
  }
}
