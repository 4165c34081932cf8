/**
 * File streams. Reading is an async iterable of chunks (`for await (const chunk of
 * drive.createReadStream(path))`); writing has the shape of the streamx `Writable` hyperdrive
 * returns — `write()` (false past the high-water mark, then `'drain'`), `end()`, `'finish'` once
 * the entry is written, `'close'`, `'error'` — plus `done()`, its awaitable form.
 */
import { Emitter } from '@orchard/events'
import { BeeStream, type Source } from '@orchard/hyperbee'
import type { BlobWriteStream } from '@orchard/hyperblobs'
import type { Hyperdrive } from './drive.ts'
import { ENTRY_ENCODINGS, type Entry } from './entry.ts'
import { BadArgumentError, DriveClosedError, FileNotFoundError } from './errors.ts'

const encoder = new TextEncoder()

/** `data` as bytes: a Uint8Array as it is, a string as UTF-8 (what `b4a.from` gives hyperdrive). */
export function toBytes(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data
  if (typeof data === 'string') return encoder.encode(data)
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  throw new BadArgumentError('file contents must be a Uint8Array or a string')
}

/** Options of `createReadStream`: a byte range of the file (hyperblobs' `start`/`end`/`length`). */
export interface FileReadOptions {
  /** First byte (default 0). */
  start?: number
  /** Last byte, inclusive (default: the file's last byte). */
  end?: number
  /** How many bytes from `start` (instead of `end`). */
  length?: number
  /** Wait for blocks from peers (default true). */
  wait?: boolean
  /** Milliseconds to wait for each block from peers. */
  timeout?: number
}

/**
 * The contents of a file as chunks (one per block touched), read as they are iterated: a reader
 * fetches only the blocks of the requested range from peers. A path with no entry raises
 * `FILE_NOT_FOUND`; a symlink or an empty file yields nothing.
 */
export class FileReadStream extends BeeStream<Uint8Array> {
  /** A stream of `path` (or of an entry) of `drive` (use `drive.createReadStream`). */
  constructor(drive: Hyperdrive, path: string | Entry, opts: FileReadOptions = {}) {
    let inner: AsyncIterator<Uint8Array> | null = null
    let closed = false
    const source: Source<Uint8Array> = {
      async open() {
        const blobs = await drive.getBlobs()
        const node = await drive.entry(path)
        if (closed) return
        if (!node) throw new FileNotFoundError(typeof path === 'string' ? path : String(path.key))
        if (drive.closing) throw new DriveClosedError()
        const blob = node.value.blob
        if (!blob || blob.byteLength === 0) return
        inner = blobs.createReadStream(blob, opts)[Symbol.asyncIterator]()
      },
      async next() {
        if (inner === null) return null
        const r = await inner.next()
        return r.done ? null : r.value
      },
      async close() {
        closed = true
        await inner?.return?.()
      }
    }
    super(source)
  }
}

/** Options of `createWriteStream`. */
export interface FileWriteStreamOptions<M = unknown> {
  /** The executable bit (default false). */
  executable?: boolean
  /** Application metadata of the entry (default null). */
  metadata?: M | null
  /** Reuse blocks equal to blocks of the file's current version (hyperblobs' dedup: a block map). */
  dedup?: boolean
  /** Buffered bytes past which `write()` returns false (default 16384, as streamx). */
  highWaterMark?: number
}

/** Events of a {@link FileWriteStream}. */
export interface FileWriteStreamEvents {
  /** The buffer emptied after a `write()` returned false. */
  drain: []
  /** The contents are in the blobs core and the entry is written. */
  finish: []
  /** The stream is done (finished, or destroyed). */
  close: []
  /** Writing failed (or `destroy(err)`); `close` follows. */
  error: [err: Error]
}

/**
 * Writes a file from chunks: each chunk becomes one block of the blobs core (as hyperdrive's write
 * stream), and the entry is written once everything is appended. Use `drive.createWriteStream`.
 */
export class FileWriteStream extends Emitter<FileWriteStreamEvents> {
  /** The normalised path written. */
  readonly path: string
  /** True once `end()` was called. */
  ended = false
  /** True once the entry is written. */
  finished = false
  /** True once destroyed (or closed after finishing). */
  destroyed = false
  readonly #drive: Hyperdrive
  readonly #opts: FileWriteStreamOptions
  readonly #highWaterMark: number
  #ws: BlobWriteStream | null = null
  #pending: Uint8Array[] = []
  #pendingBytes = 0
  #needDrain = false
  #settle!: { resolve: () => void; reject: (err: Error) => void }
  readonly #done: Promise<void>

  /** A stream writing `path` (normalised) of `drive`. */
  constructor(drive: Hyperdrive, path: string, opts: FileWriteStreamOptions = {}) {
    super()
    this.#drive = drive
    this.path = path
    this.#opts = opts
    this.#highWaterMark = opts.highWaterMark ?? 16384
    this.#done = new Promise<void>((resolve, reject) => {
      this.#settle = { resolve, reject }
    })
    this.#done.catch(() => {})
    this.#open().catch((err: Error) => this.destroy(err))
  }

  async #open(): Promise<void> {
    const blobs = await this.#drive.getBlobs()
    if (this.destroyed) return
    let ws: BlobWriteStream
    if (this.#opts.dedup) {
      const entry = await this.#drive.entry(this.path)
      if (this.destroyed) return
      ws = blobs.createWriteStream({
        dedup: true,
        blob: entry?.value.blob ?? null,
        highWaterMark: this.#highWaterMark
      })
    } else ws = blobs.createWriteStream({ highWaterMark: this.#highWaterMark })
    this.#ws = ws
    ws.on('error', (err) => this.destroy(err))
    ws.on('drain', () => this.#drain())
    ws.on('finish', () => {
      this.#finish(ws).catch((err: Error) => this.destroy(err))
    })
    ws.on('close', () => {
      if (!ws.finished) this.destroy(new DriveClosedError('the blob stream closed'))
    })
    const pending = this.#pending
    this.#pending = []
    this.#pendingBytes = 0
    let flowing = true
    for (const chunk of pending) flowing = ws.write(chunk)
    if (this.ended) ws.end()
    if (flowing) this.#drain()
  }

  #drain(): void {
    if (!this.#needDrain || this.destroyed) return
    this.#needDrain = false
    this.emit('drain')
  }

  async #finish(ws: BlobWriteStream): Promise<void> {
    if (this.destroyed) return
    const { executable, metadata } = this.#opts
    const value = { executable: !!executable, linkname: null, blob: ws.id, metadata: metadata ?? null }
    await this.#drive.db.put(this.path, value, ENTRY_ENCODINGS)
    if (this.destroyed) return
    this.finished = true
    this.emit('finish')
    this.destroyed = true
    this.emit('close')
    this.#settle.resolve()
  }

  /** Queues `chunk` as the file's next block; false once the buffer is full (wait for `'drain'`). */
  write(chunk: Uint8Array | string): boolean {
    if (this.ended || this.destroyed) return false
    const bytes = toBytes(chunk)
    if (this.#ws) {
      const ok = this.#ws.write(bytes)
      if (!ok) this.#needDrain = true
      return ok
    }
    this.#pending.push(bytes)
    this.#pendingBytes += bytes.byteLength
    if (this.#pendingBytes < this.#highWaterMark) return true
    this.#needDrain = true
    return false
  }

  /** Writes `chunk` if given, then finishes: the entry is written once everything is appended. */
  end(chunk?: Uint8Array | string): this {
    if (chunk !== undefined && chunk !== null) this.write(chunk)
    if (this.ended || this.destroyed) return this
    this.ended = true
    this.#ws?.end()
    return this
  }

  /** Stops the stream; nothing is written to the bee. With `err`, emits `'error'` first. */
  destroy(err?: Error | null): void {
    if (this.destroyed) return
    this.destroyed = true
    this.#pending = []
    this.#ws?.destroy()
    if (err) this.emit('error', err)
    this.emit('close')
    this.#settle.reject(err ?? new DriveClosedError('the write stream was destroyed'))
  }

  /** Resolves once the file is written; rejects with the stream's error. */
  done(): Promise<void> {
    return this.#done
  }
}
