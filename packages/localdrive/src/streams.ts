/**
 * The streams of a drive, shaped like the rest of Orchard: a read stream is an async iterable of
 * `Uint8Array` chunks (`for await`), a write stream takes `write`/`end` and emits `drain`,
 * `finish`, `close` and `error` like a Node/streamx writable, so `ws.write(x); ws.end();
 * ws.once('close', ...)` ports unchanged.
 */
import type { FileReader, FileSystem, FileWriter } from './fs.ts'

/** Options of `createReadStream`: a byte range, `start` and `end` inclusive. */
export interface ReadStreamOptions {
  /** First byte (default 0). */
  start?: number
  /** Last byte, inclusive (default: the end of the file). */
  end?: number
  /** Number of bytes; overrides `end` when non-zero. */
  length?: number
}

const CHUNK = 65536

/** A byte range of a file, read in chunks of up to 64 KiB when iterated. */
export class LocalReadStream implements AsyncIterable<Uint8Array> {
  readonly #fs: FileSystem
  readonly #key: string
  readonly #opts: ReadStreamOptions
  #destroyed = false

  /** A stream over file `key` of `fs`; use `drive.createReadStream()`. */
  constructor(fs: FileSystem, key: string, opts: ReadStreamOptions = {}) {
    this.#fs = fs
    this.#key = key
    this.#opts = opts
  }

  /** Stops the stream: iteration ends after the chunk being read. */
  destroy(): void {
    this.#destroyed = true
  }

  /** Opens the file and yields the range; a missing file rejects with `ENOENT`. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array, void, undefined> {
    if (this.#destroyed) return
    const reader: FileReader = await this.#fs.openRead(this.#key)
    try {
      const { size } = reader
      let offset = this.#opts.start || 0
      let missing: number
      if (this.#opts.length) missing = this.#opts.length
      else if (typeof this.#opts.end === 'number') missing = this.#opts.end - offset + 1
      else missing = size
      if (size < offset) missing = 0
      else if (size < offset + missing) missing = size - offset
      while (missing > 0 && !this.#destroyed) {
        const chunk = await reader.read(offset, Math.min(missing, CHUNK))
        if (chunk.byteLength === 0) break
        const piece = chunk.byteLength > missing ? chunk.subarray(0, missing) : chunk
        missing -= piece.byteLength
        offset += piece.byteLength
        yield piece
      }
    } finally {
      await reader.close()
    }
  }
}

/** The events of a {@link LocalWriteStream}, with their arguments. */
export interface WriteStreamEvents {
  /** The buffered bytes fell under the high-water mark after `write` returned false. */
  drain: []
  /** Everything was written and the file committed (renamed, for an atomic drive). */
  finish: []
  /** The stream is done: finished or destroyed. Always the last event. */
  close: []
  /** Opening or writing failed; `close` follows. */
  error: [err: Error]
}

/** A listener of an event whose arguments are `A`. */
export type Listener<A extends unknown[]> = (...args: A) => void

/** What a write stream needs from its drive. */
export interface WriteContext {
  /** The file system written to. */
  readonly fs: FileSystem
  /** Whether files are written to a temporary file and renamed into place. */
  readonly atomic: boolean
  /** Runs `fn` under the drive's lock (folder creation vs. removal of empty folders). */
  lock<T>(fn: () => Promise<T>): Promise<T>
  /** Saves (`metadata` not null) or drops (null) the metadata of `key`. */
  commitMetadata(key: string, metadata: unknown): Promise<void>
}

/** Options of `createWriteStream` (and `put`). */
export interface WriteStreamOptions {
  /** Make the file executable (where the file system has modes). */
  executable?: boolean
  /** Metadata saved through the drive's metadata hooks (`null`, or any falsy value, deletes it). */
  metadata?: unknown
}

const HIGH_WATER_MARK = 65536

/**
 * Writes a file: chunks are queued and written in order on a file opened at the first `write` or
 * `end` (created or truncated, folders made); `end()` commits and emits `finish` then `close`.
 * `destroy(err?)` aborts (an atomic drive removes its temporary file, keeping the old contents).
 */
export class LocalWriteStream {
  readonly #ctx: WriteContext
  readonly #executable: boolean
  readonly #metadata: unknown
  readonly #listeners = new Map<keyof WriteStreamEvents, Listener<never[]>[]>()
  #queue: Uint8Array[] = []
  #queued = 0
  #needDrain = false
  #ended = false
  #writer: FileWriter | null = null
  #running: Promise<void> | null = null
  /** The key being written. */
  readonly key: string
  /** True once finished or destroyed. */
  destroyed = false

  /** A stream writing `key`; use `drive.createWriteStream()`. */
  constructor(ctx: WriteContext, key: string, opts: WriteStreamOptions = {}) {
    this.#ctx = ctx
    this.key = key
    this.#executable = !!opts.executable
    this.#metadata = opts.metadata || null // as localdrive: falsy metadata (0, "") is none
  }

  /** Adds `listener` for `event`. */
  on<K extends keyof WriteStreamEvents>(event: K, listener: Listener<WriteStreamEvents[K]>): this {
    const list = this.#listeners.get(event) ?? []
    list.push(listener as Listener<never[]>)
    this.#listeners.set(event, list)
    return this
  }

  /** Adds `listener` for the next `event` only. */
  once<K extends keyof WriteStreamEvents>(event: K, listener: Listener<WriteStreamEvents[K]>): this {
    const wrapped = ((...args: WriteStreamEvents[K]) => {
      this.off(event, wrapped)
      listener(...args)
    }) as Listener<WriteStreamEvents[K]> & { listener?: unknown }
    wrapped.listener = listener
    return this.on(event, wrapped)
  }

  /** Removes `listener` (added with `on` or `once`) from `event`. */
  off<K extends keyof WriteStreamEvents>(event: K, listener: Listener<WriteStreamEvents[K]>): this {
    const list = this.#listeners.get(event)
    if (!list) return this
    const i = list.findIndex((l) => l === listener || (l as { listener?: unknown }).listener === listener)
    if (i !== -1) list.splice(i, 1)
    return this
  }

  /** Node's name for {@link off}. */
  removeListener<K extends keyof WriteStreamEvents>(
    event: K,
    listener: Listener<WriteStreamEvents[K]>
  ): this {
    return this.off(event, listener)
  }

  #emit<K extends keyof WriteStreamEvents>(event: K, ...args: WriteStreamEvents[K]): void {
    const list = this.#listeners.get(event)
    if (!list) return
    for (const l of list.slice()) (l as Listener<WriteStreamEvents[K]>)(...args)
  }

  /**
   * Queues `chunk` (a string is written as UTF-8). Returns false when the caller should wait for
   * `drain`, or when the stream has ended or was destroyed.
   */
  write(chunk: Uint8Array | string): boolean {
    if (this.#ended || this.destroyed) return false
    const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk
    this.#queue.push(bytes)
    this.#queued += bytes.byteLength
    this.#kick()
    if (this.#queued < HIGH_WATER_MARK) return true
    this.#needDrain = true
    return false
  }

  /** Writes `chunk` (if given), then commits the file once everything is written. */
  end(chunk?: Uint8Array | string): this {
    if (chunk !== undefined) this.write(chunk)
    if (this.#ended || this.destroyed) return this
    this.#ended = true
    this.#kick()
    return this
  }

  /** Stops the stream; with `err`, emits `error` first. Unwritten chunks are dropped. */
  destroy(err?: Error): void {
    if (this.destroyed) return
    this.destroyed = true
    this.#queue = []
    const running = this.#running ?? Promise.resolve()
    running
      .then(async () => {
        const writer = this.#writer
        this.#writer = null
        if (writer) await writer.abort()
      })
      .catch(() => undefined)
      .then(() => {
        if (err) this.#emit('error', err)
        this.#emit('close')
      })
  }

  #kick(): void {
    if (this.#running) return
    this.#running = this.#run()
      .catch((err: Error) => this.destroy(err))
      .finally(() => {
        this.#running = null
        if (!this.destroyed && (this.#queue.length > 0 || this.#ended)) this.#kick()
      })
  }

  async #run(): Promise<void> {
    if (this.destroyed) return
    if (this.#writer === null) {
      const { fs, atomic } = this.#ctx
      this.#writer = await this.#ctx.lock(() =>
        fs.openWrite(this.key, { executable: this.#executable, atomic })
      )
      if (this.destroyed) return // destroy() aborts the writer once this run settles
    }
    while (this.#queue.length > 0 && !this.destroyed) {
      const batch = this.#queue
      this.#queue = []
      await this.#writer.write(batch)
      for (const b of batch) this.#queued -= b.byteLength
      if (this.#needDrain && this.#queued < HIGH_WATER_MARK) {
        this.#needDrain = false
        this.#emit('drain')
      }
    }
    if (!this.#ended || this.#queue.length > 0 || this.destroyed) return
    await this.#ctx.commitMetadata(this.key, this.#metadata)
    if (this.destroyed) return
    await this.#writer.commit()
    this.#writer = null
    if (this.destroyed) return // destroyed while committing: it emitted `close` already
    this.destroyed = true
    this.#emit('finish')
    this.#emit('close')
  }
}
