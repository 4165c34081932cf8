/**
 * `SharedReadStream`: a shared core's blocks in order, as Hypercore's `createReadStream` gives
 * them, fetched from the owner a page at a time (one request per page, not per block; the owner
 * reads a page's blocks in parallel, so missing ones download together).
 */
import { once } from '@orchard/events'
import type { ReadStreamOptions } from '@orchard/hypercore'
import type { SharedCore } from './core.ts'

/** Blocks per request. */
const PAGE_BLOCKS = 64

/** The blocks of a shared core in order, as an async iterable; `destroy()` stops it. */
export class SharedReadStream<T = Uint8Array> implements AsyncIterable<T | null> {
  readonly #core: SharedCore<T>
  readonly #opts: ReadStreamOptions
  readonly #abort = new AbortController()

  /** @internal Use `SharedCore#createReadStream`. */
  constructor(core: SharedCore<T>, opts: ReadStreamOptions) {
    this.#core = core
    this.#opts = opts
  }

  /** Stops the stream: iteration ends after the page in flight. */
  destroy(): void {
    this.#abort.abort(new Error('stream destroyed'))
  }

  /** Yields the blocks, decoded with the session's encoding. */
  async *[Symbol.asyncIterator](): AsyncIterator<T | null> {
    const core = this.#core
    await core.ready()
    const { live = false } = this.#opts
    const read: { wait?: boolean; timeout?: number } = {}
    if (this.#opts.wait !== undefined) read.wait = this.#opts.wait
    if (this.#opts.timeout !== undefined) read.timeout = this.#opts.timeout
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
        const upTo = Math.min(end, core.length, index + PAGE_BLOCKS)
        const page = await core._getBatch(index, upTo, read)
        for (const block of page) {
          if (signal.aborted) return
          index++
          yield block
        }
      }
    } finally {
      this.#abort.abort()
    }
  }
}
