/**
 * The read side of the log-structured store (`log-storage.ts` adds the writer): the open log and
 * its in-memory index, point and range reads from them, and — for a read-only follower of a live
 * writer — catching up with what the writer appended, moving to its newest log after a compaction,
 * and telling `onChange` listeners.
 */
import { nextTask } from '@orchard/events'
import { StorageClosedError, StorageError } from '../errors.ts'
import {
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
import { type KeyRange, STORE_NAMES, type StorageChange, type StoreName } from '../types.ts'
import { generationsIn, logName } from './log-files.ts'
import { type IndexBuilder, type IndexValue, newIndex, readValue } from './log-index.ts'
import { FILE_HEADER_BYTES, readFileHeader } from './record.ts'
import { LogScanner } from './scan.ts'
import type { LogFile, LogVolume } from './volume.ts'

/** Entries a range reads from the index in one synchronous step. */
const PAGE = 256
const DESTROYED_ELSEWHERE = 'The storage was destroyed by its writer'

/** An open log and its index, readable; a follower when `readOnly`. */
export class LogReader {
  readonly name: string
  readonly readOnly: boolean
  protected readonly volume: LogVolume
  /** Values up to this many bytes live in the index itself. */
  protected readonly inline: number
  protected file: LogFile | null = null
  protected generation = 0
  /** Where the next record goes: the end of the valid log. */
  protected end = 0
  protected index: IndexBuilder
  protected isClosed = false
  /** Why a follower closed by itself (its writer destroyed the root), for later calls' errors. */
  protected closedWhy: string | undefined = undefined
  protected listeners = new Set<(change: StorageChange) => void>()
  protected watcher: { close(): void } | null = null
  protected pendingNotify = 0
  /** A follower's reopening of the writer's newest log, while one runs. */
  protected reopening: Promise<void> | null = null

  constructor(volume: LogVolume, readOnly: boolean, inline: number) {
    this.name = volume.name
    this.volume = volume
    this.readOnly = readOnly
    this.inline = inline
    this.index = newIndex(inline)
  }

  get closed(): boolean {
    return this.isClosed
  }

  async get(store: StoreName, key: Uint8Array): Promise<Uint8Array | null> {
    const reopening = this.beforeRead()
    if (reopening !== null) await this.after(reopening)
    assertBytes(key, 'key')
    const value = this.index.maps[storeIndex(store)]!.get(binaryKey(key))
    return value === undefined ? null : this.read(value)
  }

  async getMany(store: StoreName, keys: readonly Uint8Array[]): Promise<(Uint8Array | null)[]> {
    const reopening = this.beforeRead()
    if (reopening !== null) await this.after(reopening)
    const map = this.index.maps[storeIndex(store)]!
    for (const key of keys) assertBytes(key, 'key')
    const out = new Array<Uint8Array | null>(keys.length)
    for (let i = 0; i < keys.length; i++) {
      const value = map.get(binaryKey(keys[i]!))
      out[i] = value === undefined ? null : this.read(value)
    }
    return out
  }

  async *range(store: StoreName, range?: KeyRange): AsyncIterableIterator<[Uint8Array, Uint8Array]> {
    let reopening = this.beforeRead()
    if (reopening !== null) await this.after(reopening)
    assertStore(store)
    const checked = toBounds(range)
    if (boundsEmpty(checked)) return
    const s = storeIndex(store)
    let bounds = binaryBounds(checked)
    let remaining = checked.limit
    const page: [Uint8Array, Uint8Array][] = []
    let last = ''
    const collect = (k: string, v: IndexValue) => {
      page.push([keyBytes(k), this.read(v)])
      last = k
    }
    for (;;) {
      const want = Math.min(PAGE, remaining)
      page.length = 0
      // Read after catching up, in one synchronous step: the page is one consistent state.
      this.index.maps[s]!.scan(bounds, want, collect)
      const got = page.length
      for (const entry of page.splice(0)) yield entry
      remaining -= got
      if (got < want || remaining === 0) return
      bounds = binaryBoundsAfter(bounds, last)
      reopening = this.beforeRead()
      if (reopening !== null) await this.after(reopening)
    }
  }

  onChange(listener: (change: StorageChange) => void): () => void {
    this.listeners.add(listener)
    this.follow()
    return () => {
      this.listeners.delete(listener)
    }
  }

  /**
   * Followers: starts listening to the volume's change events, after which they catch up (and tell
   * listeners) as the writer's batches land rather than at their next read. Where open files block
   * the writer (OPFS: a compaction or a destroy waits until followers let go of the old log), a
   * follower listens from the start.
   */
  protected follow(): void {
    if (this.readOnly && this.watcher === null && !this.isClosed) {
      this.watcher = this.volume.followers?.watch(() => this.poke()) ?? null
    }
  }

  protected shutdown(): void {
    this.watcher?.close()
    this.watcher = null
    this.listeners.clear()
    this.file?.close()
    this.file = null
    this.volume.close?.()
  }

  /** The bytes of an index value, in a fresh buffer. */
  protected read(value: IndexValue): Uint8Array {
    return readValue(this.file!, value, this.name)
  }

  /**
   * Before a read: the storage must be open and a follower caught up with its writer — at once
   * from the open log, or (a promise to await) after reopening the writer's newest one.
   */
  protected beforeRead(): Promise<void> | null {
    if (this.isClosed) throw new StorageClosedError(this.closedWhy)
    return this.readOnly ? this.catchUp() : null
  }

  /** Waits for a follower's reopening; the storage may have closed meanwhile. */
  protected async after(reopening: Promise<void>): Promise<void> {
    await reopening
    if (this.isClosed) throw new StorageClosedError()
  }

  /** Followers: applies what the writer appended since we last looked. */
  protected catchUp(): Promise<void> | null {
    if (this.reopening !== null) return this.reopening
    const fd = this.file
    if (fd === null) return this.reopen(0) // the writer may have created a log since
    const size = fd.size()
    if (size > this.end) {
      const scanner = new LogScanner(fd, this.end, size, this.volume.crc32)
      const status = scanner.step(this.index, Infinity)
      this.end = scanner.pos
      // The writer compacted (maybe more than once since): continue with the newest log.
      if (status === 'moved') return this.reopen(this.generation, true)
    } else if (this.volume.followers?.isDeleted(fd)) {
      // Our log was deleted without a forwarding record: the root was destroyed.
      this.destroyedElsewhere()
    }
    this.emitTouched()
    return null
  }

  protected emitTouched(): void {
    if (this.index.touched !== 0) {
      const stores = STORE_NAMES.filter((_, i) => this.index.touched & (1 << i))
      this.index.touched = 0
      this.emit(stores)
    }
  }

  protected destroyedElsewhere(): never {
    this.isClosed = true
    this.closedWhy = DESTROYED_ELSEWHERE
    this.shutdown()
    throw new StorageClosedError(DESTROYED_ELSEWHERE)
  }

  /**
   * Followers: replays the newest log newer than generation `after` into a fresh index, in place of
   * the current one (none yet: nothing changes, unless `required`, when the root is gone).
   * Concurrent reads share one reopening.
   */
  protected reopen(after: number, required = false): Promise<void> {
    this.reopening = this.openNewest(after).then(
      (found) => {
        this.reopening = null
        if (!found && required) this.destroyedElsewhere()
        this.emitTouched()
      },
      (err) => {
        this.reopening = null
        throw err
      }
    )
    return this.reopening
  }

  /**
   * `reopen`'s work: false if there is no newer log. Retries when a compaction retires one under
   * us.
   */
  protected async openNewest(after: number): Promise<boolean> {
    const volume = this.volume
    for (let attempt = 0; attempt < 10; attempt++) {
      const gens = generationsIn((await volume.list()) ?? [])
      const generation = gens[gens.length - 1]
      if (generation === undefined || generation <= after) return false
      const name = `${this.name}/${logName(generation)}`
      let fd: LogFile | null
      try {
        fd = await volume.followers!.open(logName(generation))
      } catch (err) {
        throw volume.error(err, `Cannot open ${name}`)
      }
      if (fd === null) continue
      if (this.isClosed) {
        fd.close()
        throw new StorageClosedError()
      }
      const index = newIndex(this.inline)
      let scanner: LogScanner
      try {
        const header = new Uint8Array(FILE_HEADER_BYTES)
        readFileHeader(header.subarray(0, fd.readAt(header, 0, FILE_HEADER_BYTES, 0)), name)
        scanner = new LogScanner(fd, FILE_HEADER_BYTES, fd.size(), volume.crc32)
        scanner.step(index, Infinity)
      } catch (err) {
        fd.close()
        throw err
      }
      this.file?.close()
      this.file = fd
      this.generation = generation
      this.index = index
      this.end = scanner.pos
      index.touched = (1 << STORE_NAMES.length) - 1
      if (scanner.moved === null) return true
      after = generation
    }
    throw new StorageError(`${this.name}: the writer keeps compacting; cannot catch up`, 'STORAGE_IO')
  }

  /** A change event from the directory: catch up (soon, once) and tell listeners. */
  protected poke(): void {
    if (this.pendingNotify++ > 0) return
    void nextTask().then(() => {
      this.pendingNotify = 0
      if (this.isClosed) return
      try {
        this.catchUp()?.catch(() => {
          // Surfaces on the next read.
        })
      } catch {
        // Surfaces on the next read.
      }
    })
  }

  protected emit(stores: StoreName[]): void {
    if (this.listeners.size === 0) return
    queueMicrotask(() => {
      if (this.isClosed) return
      for (const listener of this.listeners) listener({ stores: [...stores] })
    })
  }
}
