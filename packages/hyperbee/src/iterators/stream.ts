/**
 * Streams as bees return them: async iterators (`for await`, `next()`, `return()`), opened lazily,
 * closed (releasing their snapshot) when they end, break or are destroyed.
 */

/** What a stream pulls from. */
export interface Source<T> {
  /** Called once, before the first `next()`. */
  open(): Promise<void>
  /** The next entry, or null at the end. */
  next(): Promise<T | null>
  /** Releases what the source holds; called once, when the stream ends or is destroyed. */
  close(): Promise<void>
}

/** An async-iterable stream of entries. */
export class BeeStream<T> implements AsyncIterableIterator<T> {
  readonly #source: Source<T>
  #opened: Promise<void> | null = null
  #isOpen = false
  #closed: Promise<void> | null = null
  #pending: Promise<unknown> = Promise.resolve()
  /** `next()` calls not finished yet: the first runs at once, later ones queue behind it. */
  #calls = 0

  /** A stream pulling from `source`, opened on the first `next()`. */
  constructor(source: Source<T>) {
    this.#source = source
  }

  /** The stream itself (it is its own iterator). */
  [Symbol.asyncIterator](): this {
    return this
  }

  /** The next entry (`done` at the end); calls are served in order. */
  next(): Promise<IteratorResult<T, undefined>> {
    const run =
      this.#calls++ === 0
        ? this.#next()
        : this.#pending.then(
            () => this.#next(),
            () => this.#next()
          )
    this.#pending = run
    return run
  }

  async #next(): Promise<IteratorResult<T, undefined>> {
    try {
      if (this.#closed) return { done: true, value: undefined }
      try {
        if (!this.#isOpen) {
          if (this.#opened === null) this.#opened = this.#source.open()
          await this.#opened
          this.#isOpen = true
        }
        const value = await this.#source.next()
        if (value !== null) return { done: false, value }
      } catch (err) {
        await this.destroy()
        throw err
      }
      await this.destroy()
      return { done: true, value: undefined }
    } finally {
      this.#calls--
    }
  }

  /** Stops early (as `break` in `for await` does) and releases the stream's resources. */
  async return(): Promise<IteratorResult<T, undefined>> {
    await this.destroy()
    return { done: true, value: undefined }
  }

  /** Releases the stream's resources; later `next()` calls are `done`. */
  destroy(): Promise<void> {
    if (this.#closed === null) this.#closed = this.#source.close().catch(() => {})
    return this.#closed
  }

  /** Collects the remaining entries. */
  async toArray(): Promise<T[]> {
    const out: T[] = []
    for await (const v of this) out.push(v)
    return out
  }
}

/** The first entry of a source, then closes it. */
export async function peekSource<T>(source: Source<T>): Promise<T | null> {
  try {
    await source.open()
    return await source.next()
  } finally {
    await source.close()
  }
}
