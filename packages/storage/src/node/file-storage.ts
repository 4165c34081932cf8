/**
 * The file adapter: a log-structured store in one directory.
 *
 * Every batch is appended to the log as one checksummed record (the write-ahead log *is* the
 * store); an in-memory ordered index maps each key to its value's place in the log (small values
 * are kept in the index itself). Reads are positioned reads from the OS page cache. When more than
 * half of the log is dead, it is compacted into a new generation written aside, flushed and
 * atomically renamed over. On open the log is replayed; a torn tail (a write cut short by a crash)
 * fails its length/checksum and is cut off, so a batch is either wholly there or not at all.
 *
 * Files in the directory: `data.<generation>.log`, a transient `data.<generation>.log.tmp` while
 * compacting, and `LOCK` (the writer's lock file).
 */
import {
  closeSync,
  type FSWatcher,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readdirSync,
  rmdirSync,
  unlinkSync,
  watch
} from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import {
  StorageArgumentError,
  StorageClosedError,
  StorageCorruptError,
  StorageError,
  StorageLockedError,
  StorageReadOnlyError
} from '../errors.ts'
import {
  assertBatch,
  assertBytes,
  assertStore,
  binaryBounds,
  binaryBoundsAfter,
  binaryKey,
  boundsEmpty,
  keyBytes,
  storeIndex,
  toBounds
} from '../keys.ts'
import {
  type BatchOp,
  type KeyRange,
  type OpenOptions,
  STORE_NAMES,
  type Storage,
  type StorageChange,
  type StoreName,
  type WriteOptions
} from '../types.ts'
import { acquireFileLock, type FileLockHandle } from './file-lock.ts'
import {
  createLog,
  fdatasyncAsync,
  ioError,
  LOG_PATTERN,
  listGenerations,
  listGenerationsOrEmpty,
  logName,
  writeAt,
  writeCompactedLog
} from './log-files.ts'
import { type IndexBuilder, type IndexValue, newIndex, readValue } from './log-index.ts'
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
import { LogScanner, readAt } from './scan.ts'

/** Options of {@link openFileStorage}. */
export interface FileStorageOptions extends OpenOptions {
  /** Values up to this many bytes are also kept in memory, so reading them costs no I/O. Default 64. */
  inlineValueBytes?: number
  /** The log is compacted once larger than this and more than half dead. Default 64 MiB. */
  compactMinBytes?: number
}

/** Figures about an open file storage. */
export interface FileStorageStats {
  /** The log file's generation; each compaction writes the next one. */
  generation: number
  /** Bytes in the log file. */
  logBytes: number
  /** Approximate bytes the live entries need. */
  liveBytes: number
  /** Live keys across all stores. */
  keys: number
}

/** A {@link Storage} on files, with compaction and figures. */
export interface FileStorage extends Storage {
  /** Rewrites the log with only the live entries (writes wait meanwhile). */
  compact(): Promise<void>
  /** Sizes of the log and of the live data, e.g. to decide when to call `compact`. */
  stats(): FileStorageStats
}

const PAGE = 256

interface QueuedWrite {
  buf: Uint8Array
  length: number
  strict: boolean
  resolve: () => void
  reject: (err: unknown) => void
}

/**
 * Opens (creating if needed) the file storage in directory `dir`. The writer holds `dir/LOCK`;
 * a second writer gets `StorageLockedError`, or read-only access with
 * `lock: 'readonly-if-locked'`. A lock left by a killed process is taken over.
 */
export async function openFileStorage(dir: string, opts: FileStorageOptions = {}): Promise<FileStorage> {
  const root = resolve(dir)
  const lockMode = opts.lock ?? 'exclusive'
  let lock: FileLockHandle | null = null
  if (lockMode !== 'readonly') {
    await mkdir(root, { recursive: true })
    lock = acquireFileLock(join(root, 'LOCK'))
    if (lock === null && lockMode === 'exclusive') {
      throw new StorageLockedError(`File storage ${root} is open for writing by another opener`)
    }
  }
  const storage = new FileStorageImpl(root, lock, opts)
  try {
    await storage.load()
  } catch (err) {
    await storage.abandon()
    throw err
  }
  return storage
}

class FileStorageImpl implements FileStorage {
  readonly name: string
  readonly readOnly: boolean
  #dir: string
  #lock: FileLockHandle | null
  #inline: number
  #compactMinBytes: number
  #fd: number | null = null
  #generation = 0
  /** Where the next record goes: the end of the valid log. */
  #end = 0
  /** Log offset known to be on stable storage. */
  #synced = 0
  #index: IndexBuilder
  #closed = false
  #failed: StorageError | null = null
  #scratch = new Uint8Array(64 * 1024)
  #queue: QueuedWrite[] = []
  #compacting: Promise<void> | null = null
  #syncing: Promise<void> | null = null
  #listeners = new Set<(change: StorageChange) => void>()
  #watcher: FSWatcher | null = null
  #pendingNotify = 0

  constructor(dir: string, lock: FileLockHandle | null, opts: FileStorageOptions) {
    this.name = dir
    this.#dir = dir
    this.#lock = lock
    this.readOnly = lock === null
    this.#inline = opts.inlineValueBytes ?? 64
    this.#compactMinBytes = opts.compactMinBytes ?? 64 * 1024 * 1024
    this.#index = newIndex(this.#inline)
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Opens the newest log generation and replays it. */
  async load(): Promise<void> {
    let gens: number[]
    try {
      gens = listGenerations(this.#dir)
    } catch (err) {
      if (this.readOnly && (err as NodeJS.ErrnoException).code === 'ENOENT') return // nothing yet
      throw ioError(err, `Cannot read ${this.#dir}`)
    }
    if (!this.readOnly) {
      // Only the newest generation counts: older ones were superseded by a finished compaction,
      // `.tmp` files are compactions that never finished.
      for (const f of readdirSync(this.#dir)) {
        if (f.endsWith('.log.tmp')) unlinkSync(join(this.#dir, f))
      }
      for (const g of gens.slice(0, -1)) unlinkSync(join(this.#dir, logName(g)))
      if (gens.length === 0) {
        createLog(this.#dir, 1)
        gens = [1]
      }
    }
    if (gens.length === 0) return
    await this.#openLog(gens[gens.length - 1]!)
  }

  /** Releases what a failed open took. */
  async abandon(): Promise<void> {
    this.#closed = true
    if (this.#fd !== null) closeSync(this.#fd)
    this.#fd = null
    await this.#lock?.release()
  }

  async get(store: StoreName, key: Uint8Array): Promise<Uint8Array | null> {
    this.#beforeRead()
    assertBytes(key, 'key')
    const value = this.#index.maps[storeIndex(store)]!.get(binaryKey(key))
    return value === undefined ? null : this.#read(value)
  }

  async getMany(store: StoreName, keys: readonly Uint8Array[]): Promise<(Uint8Array | null)[]> {
    this.#beforeRead()
    const map = this.#index.maps[storeIndex(store)]!
    for (const key of keys) assertBytes(key, 'key')
    const out = new Array<Uint8Array | null>(keys.length)
    for (let i = 0; i < keys.length; i++) {
      const value = map.get(binaryKey(keys[i]!))
      out[i] = value === undefined ? null : this.#read(value)
    }
    return out
  }

  async *range(store: StoreName, range?: KeyRange): AsyncIterableIterator<[Uint8Array, Uint8Array]> {
    this.#beforeRead()
    assertStore(store)
    const checked = toBounds(range)
    if (boundsEmpty(checked)) return
    const s = storeIndex(store)
    let bounds = binaryBounds(checked)
    let remaining = checked.limit
    const page: [Uint8Array, Uint8Array][] = []
    let last = ''
    const collect = (k: string, v: IndexValue) => {
      page.push([keyBytes(k), this.#read(v)])
      last = k
    }
    for (;;) {
      const want = Math.min(PAGE, remaining)
      page.length = 0
      // Read after catching up, in one synchronous step: the page is one consistent state.
      this.#index.maps[s]!.scan(bounds, want, collect)
      const got = page.length
      for (const entry of page.splice(0)) yield entry
      remaining -= got
      if (got < want || remaining === 0) return
      bounds = binaryBoundsAfter(bounds, last)
      this.#beforeRead()
    }
  }

  write(ops: readonly BatchOp[], opts: WriteOptions = {}): Promise<void> {
    try {
      if (this.#closed) throw new StorageClosedError()
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
    return strict ? this.#syncTo(this.#end) : Promise.resolve()
  }

  onChange(listener: (change: StorageChange) => void): () => void {
    this.#listeners.add(listener)
    if (this.readOnly && this.#watcher === null && !this.#closed) {
      // Followers learn about the writer's appends from the directory's change events.
      try {
        this.#watcher = watch(this.#dir, { persistent: false }, () => this.#poke())
        this.#watcher.on('error', () => undefined)
      } catch {
        this.#watcher = null
      }
    }
    return () => {
      this.#listeners.delete(listener)
    }
  }

  async compact(): Promise<void> {
    if (this.#closed) throw new StorageClosedError()
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

  stats(): FileStorageStats {
    let keys = 0
    for (const map of this.#index.maps) keys += map.size
    return { generation: this.#generation, logBytes: this.#end, liveBytes: this.#index.live, keys }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#settle()
    if (!this.readOnly && this.#fd !== null && this.#failed === null) {
      // A clean close leaves everything on stable storage.
      try {
        await this.#syncTo(this.#end)
      } catch {
        // Reported to the writes that asked for it; closing goes on.
      }
    }
    this.#shutdown()
    await this.#lock?.release()
  }

  async destroy(): Promise<void> {
    if (this.#closed) throw new StorageClosedError()
    if (this.readOnly) throw new StorageReadOnlyError('A read-only opener cannot destroy the storage')
    this.#closed = true
    await this.#settle()
    this.#shutdown()
    try {
      for (const f of readdirSync(this.#dir)) {
        if (LOG_PATTERN.test(f) || f.endsWith('.log.tmp')) unlinkSync(join(this.#dir, f))
      }
    } finally {
      await this.#lock?.release()
    }
    try {
      rmdirSync(this.#dir)
    } catch {
      // Not empty (the caller keeps other files there) or already gone.
    }
  }

  /** Opens log `generation`, replays it into a fresh index and, as writer, cuts a torn tail. */
  async #openLog(generation: number): Promise<void> {
    const file = join(this.#dir, logName(generation))
    const fd = openSync(file, this.readOnly ? 'r' : 'r+')
    this.#fd = fd
    const header = new Uint8Array(FILE_HEADER_BYTES)
    readFileHeader(header.subarray(0, readAt(fd, header, FILE_HEADER_BYTES, 0)), file)
    this.#generation = generation
    const size = fstatSync(fd).size
    const index = newIndex(this.#inline)
    const scanner = new LogScanner(fd, FILE_HEADER_BYTES, size)
    let status = scanner.step(index)
    while (status === 'more') {
      await yieldToLoop()
      status = scanner.step(index)
    }
    if (status === 'moved' && !this.readOnly) {
      // A compaction finished but this older log survived; the newer one is authoritative.
      throw new StorageCorruptError(`${file} was superseded by generation ${scanner.moved}, which is missing`)
    }
    if (status === 'stopped' && !this.readOnly) {
      const claim = scanner.laterSyncedClaim(scanner.pos)
      if (claim > scanner.pos) {
        throw new StorageCorruptError(
          `${file}: the record at offset ${scanner.pos} is damaged although later records show it was flushed to disk`
        )
      }
      // A torn tail: the batch it held was never acknowledged. Cut it off for good.
      ftruncateSync(fd, scanner.pos)
    }
    if (!this.readOnly && size > FILE_HEADER_BYTES) fsyncSync(fd)
    this.#index = index
    this.#index.touched = 0
    this.#end = scanner.pos
    this.#synced = this.readOnly ? 0 : scanner.pos
    if (status === 'moved' && scanner.moved !== null) {
      closeSync(fd)
      this.#fd = null
      await this.#openLog(scanner.moved)
    }
  }

  /** Appends one encoded batch record and indexes it. Throws (with nothing applied) on failure. */
  #append(buf: Uint8Array, length: number): void {
    const fd = this.#fd!
    sealRecord(buf, length, this.#synced)
    try {
      writeAt(fd, buf, length, this.#end)
    } catch (err) {
      // Take back whatever part reached the file, so the log ends at the last whole record.
      try {
        ftruncateSync(fd, this.#end)
      } catch (truncErr) {
        this.#failed = ioError(
          truncErr,
          `${this.name}: cannot roll back a failed write; storage is now read-only`
        )
      }
      throw ioError(err, `${this.name}: write failed`)
    }
    this.#index.begin(buf, this.#end)
    // Our own record, just encoded: decoding cannot fail.
    decodeRecord(buf, 0, length, this.#index)
    this.#end += length
    if (this.#end > this.#compactMinBytes && this.#end > 2 * this.#index.live + FILE_HEADER_BYTES) {
      queueMicrotask(() => {
        if (!this.#closed && this.#compacting === null && this.#failed === null) {
          this.compact().catch(() => {
            // The old log is intact; try again once the log has grown further.
            this.#compactMinBytes = this.#end * 2
          })
        }
      })
    }
  }

  /** Resolves once the log up to `target` is on stable storage; concurrent callers share fsyncs. */
  #syncTo(target: number): Promise<void> {
    if (this.#synced >= target) return Promise.resolve()
    if (this.#failed) return Promise.reject(this.#failed)
    if (this.#syncing !== null) return this.#syncing.then(() => this.#syncTo(target))
    const upTo = this.#end
    const generation = this.#generation
    this.#syncing = fdatasyncAsync(this.#fd!).then(
      () => {
        this.#syncing = null
        // Offsets of a log that compaction has since replaced say nothing about the new one.
        if (generation === this.#generation && upTo > this.#synced) this.#synced = upTo
      },
      (err) => {
        this.#syncing = null
        // After a failed fsync the kernel may have dropped dirty pages: stop writing.
        this.#failed = ioError(err, `${this.name}: fsync failed; storage is now read-only`)
        throw this.#failed
      }
    )
    return this.#syncing
  }

  /** Writes the live entries into a new generation and switches to it. */
  async #rewrite(): Promise<void> {
    // No fsync of the old log may still be running once its fd is closed.
    while (this.#syncing !== null) await this.#syncing.catch(() => undefined)
    const oldFd = this.#fd!
    const oldGeneration = this.#generation
    const generation = oldGeneration + 1
    const next = await writeCompactedLog(this.#dir, generation, this.#index.maps, this.#inline, (v) =>
      this.#read(v)
    )
    // Tell followers still reading the old log where it went, then retire it.
    const moved = encodeMoved(generation)
    sealRecord(moved, moved.length, this.#synced)
    try {
      writeAt(oldFd, moved, moved.length, this.#end)
    } catch {
      // Followers will notice the old log was unlinked and reopen.
    }
    closeSync(oldFd)
    unlinkSync(join(this.#dir, logName(oldGeneration)))
    this.#fd = next.fd
    this.#generation = generation
    this.#index = next.index
    this.#end = next.end
    this.#synced = next.end
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
        if (w.strict) this.#syncTo(this.#end).then(w.resolve, w.reject)
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

  #shutdown(): void {
    this.#watcher?.close()
    this.#watcher = null
    this.#listeners.clear()
    if (this.#fd !== null) closeSync(this.#fd)
    this.#fd = null
  }

  /** The bytes of an index value, in a fresh buffer. */
  #read(value: IndexValue): Uint8Array {
    return readValue(this.#fd!, value, this.name)
  }

  #beforeRead(): void {
    if (this.#closed) throw new StorageClosedError()
    if (this.readOnly) this.#catchUp()
  }

  /** Followers: applies what the writer appended since we last looked. */
  #catchUp(): void {
    if (this.#fd === null && !this.#openNewestSync(0)) return // the writer has not created a log yet
    const stat = fstatSync(this.#fd!)
    if (stat.size > this.#end) {
      const scanner = new LogScanner(this.#fd!, this.#end, stat.size)
      const status = scanner.step(this.#index, Infinity)
      this.#end = scanner.pos
      // The writer compacted (maybe more than once since): continue with the newest log.
      if (status === 'moved' && !this.#openNewestSync(this.#generation)) this.#destroyedElsewhere()
    } else if (stat.nlink === 0) {
      // Our log was deleted without a forwarding record: the root was destroyed.
      this.#destroyedElsewhere()
    }
    if (this.#index.touched !== 0) {
      const stores = STORE_NAMES.filter((_, i) => this.#index.touched & (1 << i))
      this.#index.touched = 0
      this.#emit(stores)
    }
  }

  #destroyedElsewhere(): never {
    this.#closed = true
    this.#shutdown()
    throw new StorageClosedError('The storage was destroyed by its writer')
  }

  /**
   * Followers: replays the newest log newer than generation `after` into a fresh index, in place of
   * the current one. False if there is none. Retries when a compaction retires a log under us.
   */
  #openNewestSync(after: number): boolean {
    for (let attempt = 0; attempt < 10; attempt++) {
      const gens = listGenerationsOrEmpty(this.#dir)
      const generation = gens[gens.length - 1]
      if (generation === undefined || generation <= after) return false
      const file = join(this.#dir, logName(generation))
      let fd: number
      try {
        fd = openSync(file, 'r')
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue
        throw ioError(err, `Cannot open ${file}`)
      }
      const index = newIndex(this.#inline)
      let scanner: LogScanner
      try {
        const header = new Uint8Array(FILE_HEADER_BYTES)
        readFileHeader(header.subarray(0, readAt(fd, header, FILE_HEADER_BYTES, 0)), file)
        scanner = new LogScanner(fd, FILE_HEADER_BYTES, fstatSync(fd).size)
        scanner.step(index, Infinity)
      } catch (err) {
        closeSync(fd)
        throw err
      }
      if (this.#fd !== null) closeSync(this.#fd)
      this.#fd = fd
      this.#generation = generation
      this.#index = index
      this.#end = scanner.pos
      index.touched = (1 << STORE_NAMES.length) - 1
      if (scanner.moved === null) return true
      after = generation
    }
    throw new StorageError(`${this.name}: the writer keeps compacting; cannot catch up`, 'STORAGE_IO')
  }

  /** A change event from the directory: catch up (soon, once) and tell listeners. */
  #poke(): void {
    if (this.#pendingNotify++ > 0) return
    setImmediate(() => {
      this.#pendingNotify = 0
      if (this.#closed) return
      try {
        this.#catchUp()
      } catch {
        // Surfaces on the next read.
      }
    })
  }

  #emit(stores: StoreName[]): void {
    if (this.#listeners.size === 0) return
    queueMicrotask(() => {
      if (this.#closed) return
      for (const listener of this.#listeners) listener({ stores: [...stores] })
    })
  }
}
