/**
 * Streams over a core as async iterables (`for await`): blocks in order (optionally following
 * new appends live), or a byte range across block boundaries. `destroy()` (or breaking out of the
 * loop) stops them and cancels any wait.
 */
import { Emitter, once } from '@orchard/events'
import type { Hypercore } from './hypercore.ts'

/** Options of `createReadStream`. */
export interface ReadStreamOptions {
  /** First block (default 0). */
  start?: number
  /** End (exclusive); default: the length when iteration starts, or forever with `live`. */
  end?: number
  /** Keep yielding appended blocks after reaching the end. */
  live?: boolean
  /** Don't wait for missing blocks (they raise `BlockNotAvailableError`). */
  wait?: boolean
  /** Milliseconds to wait for each missing block. */
  timeout?: number
}

/**
 * The blocks of a core in order, as an async iterable (`for await (const block of core.createReadStream())`).
 */
export class ReadStream implements AsyncIterable<unknown> {
  readonly #core: Hypercore<unknown>
  readonly #opts: ReadStreamOptions
  readonly #abort = new AbortController()

  constructor(core: Hypercore<unknown>, opts: ReadStreamOptions) {
    this.#core = core
    this.#opts = opts
  }

  /** Stops the stream; a pending read rejects and iteration ends. */
  destroy(): void {
    this.#abort.abort(new Error('stream destroyed'))
  }

  /** Yields the blocks, decoded with the session's encoding. */
  async *[Symbol.asyncIterator](): AsyncIterator<unknown> {
    const core = this.#core
    await core.ready()
    const { live = false, wait, timeout } = this.#opts
    const signal = this.#abort.signal
    let index = this.#opts.start ?? 0
    const end = this.#opts.end ?? (live ? Number.POSITIVE_INFINITY : core.length)
    try {
      while (index < end && !signal.aborted) {
        if (index >= core.length) {
          if (!live) return
          await once(core, 'append', signal).catch(() => undefined)
          continue
        }
        yield await core.get(index++, { wait, timeout, signal })
      }
    } catch (err) {
      if (!signal.aborted) throw err
    } finally {
      this.#abort.abort()
    }
  }
}

/** Options of `createByteStream`. */
export interface ByteStreamOptions {
  /** First byte (default 0). */
  byteOffset?: number
  /** Number of bytes (default: to the end). */
  byteLength?: number
  /** Milliseconds to wait for each missing block. */
  timeout?: number
}

/** A byte range of a core across block boundaries, as an async iterable of chunks. */
export class ByteStream implements AsyncIterable<Uint8Array> {
  readonly #core: Hypercore<unknown>
  readonly #opts: ByteStreamOptions
  readonly #abort = new AbortController()

  constructor(core: Hypercore<unknown>, opts: ByteStreamOptions) {
    this.#core = core
    this.#opts = opts
  }

  /** Stops the stream; a pending read rejects and iteration ends. */
  destroy(): void {
    this.#abort.abort(new Error('stream destroyed'))
  }

  /** Yields the range in chunks (one per block touched). */
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    const core = this.#core
    await core.ready()
    const signal = this.#abort.signal
    const start = this.#opts.byteOffset ?? 0
    let remaining = this.#opts.byteLength ?? Math.max(0, core.byteLength - start)
    if (remaining === 0) return
    const found = await core.seek(start, { signal, timeout: this.#opts.timeout })
    if (found === null) return
    let [index, offset] = found
    try {
      while (remaining > 0 && !signal.aborted) {
        const block = (await core.get(index++, {
          signal,
          timeout: this.#opts.timeout,
          valueEncoding: 'binary'
        })) as Uint8Array
        const slice = block.subarray(offset, offset + remaining)
        offset = 0
        remaining -= slice.byteLength
        yield slice // empty blocks too, as hypercore's byte stream
      }
    } catch (err) {
      if (!signal.aborted) throw err
    } finally {
      this.#abort.abort()
    }
  }
}

/** The events of a {@link WriteStream}. */
export interface WriteStreamEvents {
  /** Everything written was appended. */
  finish: []
  /** The stream is done (finished, or destroyed). */
  close: []
  /** An append failed; the stream is destroyed. */
  error: [err: Error]
}

/**
 * Appends what is written, in order: writes queued in one tick land as one atomic `append`.
 * `end()` flushes and emits `finish`, then `close`; a failed append emits `error` and destroys it.
 */
export class WriteStream extends Emitter<WriteStreamEvents> {
  readonly #core: Hypercore<unknown>
  #queue: unknown[] = []
  #writing: Promise<void> = Promise.resolve()
  #flushQueued = false
  #ended = false
  /** True once finished or destroyed. */
  destroyed = false

  /** A stream appending to `core`; use `core.createWriteStream()`. */
  constructor(core: Hypercore<unknown>) {
    super()
    this.#core = core
  }

  /** Queues `value` for appending; false once ended or destroyed. */
  write(value: unknown): boolean {
    if (this.#ended || this.destroyed) return false
    this.#queue.push(value)
    if (!this.#flushQueued) {
      this.#flushQueued = true
      queueMicrotask(() => this.#flush())
    }
    return true
  }

  /** Writes `value` (if given), then finishes once everything is appended. */
  end(value?: unknown): void {
    if (value !== undefined) this.write(value)
    if (this.#ended) return
    this.#ended = true
    queueMicrotask(() => {
      this.#flush()
      this.#writing.then(() => {
        if (this.destroyed) return
        this.emit('finish')
        this.destroy()
      })
    })
  }

  /** Stops the stream; with `err`, emits `error` first. Unflushed writes are dropped. */
  destroy(err?: Error): void {
    if (this.destroyed) return
    this.destroyed = true
    if (err) this.emit('error', err)
    this.emit('close')
  }

  #flush(): void {
    this.#flushQueued = false
    if (this.#queue.length === 0 || this.destroyed) return
    const batch = this.#queue
    this.#queue = []
    this.#writing = this.#writing.then(async () => {
      if (this.destroyed) return
      try {
        await this.#core.append(batch)
      } catch (err) {
        this.destroy(err as Error)
      }
    })
  }
}
