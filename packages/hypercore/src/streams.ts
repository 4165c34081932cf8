/**
 * Streams over a core as async iterables (`for await`): blocks in order (optionally following
 * new appends live), or a byte range across block boundaries. `destroy()` (or breaking out of the
 * loop) stops them and cancels any wait.
 */
import { once } from '@orchard/events'
import type { Hypercore } from './hypercore.ts'

export interface ReadStreamOptions {
  /** First block (default 0). */
  start?: number
  /** End (exclusive); default: the length when iteration starts, or forever with `live`. */
  end?: number
  /** Keep yielding appended blocks after reaching the end. */
  live?: boolean
  /** Don't wait for missing blocks (they raise `BlockNotAvailableError`). */
  wait?: boolean
  timeout?: number
}

export class ReadStream implements AsyncIterable<unknown> {
  readonly #core: Hypercore
  readonly #opts: ReadStreamOptions
  readonly #abort = new AbortController()

  constructor(core: Hypercore, opts: ReadStreamOptions) {
    this.#core = core
    this.#opts = opts
  }

  /** Stops the stream; a pending read rejects and iteration ends. */
  destroy(): void {
    this.#abort.abort(new Error('stream destroyed'))
  }

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

export interface ByteStreamOptions {
  /** First byte (default 0). */
  byteOffset?: number
  /** Number of bytes (default: to the end). */
  byteLength?: number
  timeout?: number
}

export class ByteStream implements AsyncIterable<Uint8Array> {
  readonly #core: Hypercore
  readonly #opts: ByteStreamOptions
  readonly #abort = new AbortController()

  constructor(core: Hypercore, opts: ByteStreamOptions) {
    this.#core = core
    this.#opts = opts
  }

  destroy(): void {
    this.#abort.abort(new Error('stream destroyed'))
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    const core = this.#core
    await core.ready()
    const signal = this.#abort.signal
    const start = this.#opts.byteOffset ?? 0
    let remaining = this.#opts.byteLength ?? Math.max(0, core.byteLength - start)
    if (remaining === 0) return
    let [index, offset] = await core.seek(start)
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
        if (slice.byteLength > 0) yield slice
      }
    } catch (err) {
      if (!signal.aborted) throw err
    } finally {
      this.#abort.abort()
    }
  }
}
