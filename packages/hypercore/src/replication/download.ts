/**
 * A download: a range (or a set) of blocks the replicator fetches until they are all stored.
 * `done()` resolves then (never for a live range), `destroy()` stops it.
 */
import { RequestCancelledError } from '../errors.ts'

/** What `download()` fetches: a range `[start, end)`, `start` + `length`, or a list of `blocks`. */
export interface DownloadRange {
  /** First block (default 0). */
  start?: number
  /** Exclusive end; -1 (or omitted with `live`) follows the core as it grows. */
  end?: number
  /** Instead of `end`: how many blocks from `start`. */
  length?: number
  /** Explicit block indexes instead of a range. */
  blocks?: number[]
  /** Fetch in order (default: any order). */
  linear?: boolean
}

/** A running download (from `download()`): await `done()`, or `destroy()` it. */
export class Download {
  /** First block. */
  readonly start: number
  /** End (exclusive); -1 follows the core as it grows. */
  readonly end: number
  /** The explicit blocks, sorted, or null for a range. */
  readonly blocks: number[] | null
  /** Whether blocks are fetched in order. */
  readonly linear: boolean
  /** Next index to look at (ranges). */
  cursor: number
  /** True once destroyed. */
  destroyed = false
  readonly #done: Promise<void>
  #resolve!: () => void
  #reject!: (err: unknown) => void

  /** A download of `range`; `download()` creates it and hands it to the replicator. */
  constructor(range: DownloadRange) {
    this.blocks = range.blocks ? [...range.blocks].sort((a, b) => a - b) : null
    this.start = this.blocks ? (this.blocks[0] ?? 0) : (range.start ?? 0)
    const end = range.end ?? (range.length !== undefined ? this.start + range.length : -1)
    this.end = this.blocks ? (this.blocks.at(-1) ?? -1) + 1 : end
    this.linear = !!range.linear
    this.cursor = this.start
    this.#done = new Promise((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
    })
    this.#done.catch(() => {})
  }

  /** Resolves once every block is stored locally; rejects if destroyed first. */
  done(): Promise<void> {
    return this.#done
  }

  /** Deprecated in hypercore: `done()`. */
  downloaded(): Promise<void> {
    return this.done()
  }

  /** Stops the download; `done()` rejects with `REQUEST_CANCELLED`. */
  destroy(): void {
    if (this.destroyed) return
    this.destroyed = true
    this.#reject(new RequestCancelledError('the download was destroyed'))
  }

  /** Called by the replicator when nothing is missing any more. */
  complete(): void {
    if (this.destroyed) return
    this.destroyed = true
    this.#resolve()
  }

  /** Whether the download follows the core as it grows (no end). */
  get live(): boolean {
    return this.end === -1
  }
}
