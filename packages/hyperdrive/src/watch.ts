/**
 * Watching a folder: hyperbee's watcher on the folder's key range, its snapshots handed out as
 * drives (checkouts sharing the watched drive's blobs), as hyperdrive's `watch` does with its
 * `map` option. Each change yields `[current, previous]`; a pair is closed when the next one is
 * taken or the watcher closes.
 */
import type { Hyperbee, Watcher } from '@orchard/hyperbee'
import type { Hyperdrive } from './drive.ts'

/** Yields `[current, previous]` drive snapshots each time a folder changes. */
export class DriveWatcher implements AsyncIterableIterator<[Hyperdrive, Hyperdrive]> {
  /** The drive snapshot after the last change (null before the first). */
  current: Hyperdrive | null = null
  /** The drive snapshot before the last change (null before the first). */
  previous: Hyperdrive | null = null
  readonly #watcher: Watcher<unknown, unknown>
  readonly #toDrive: (snapshot: Hyperbee<unknown, unknown>) => Hyperdrive

  /** Wraps `watcher`, turning its bee snapshots into drives with `toDrive`; use `drive.watch()`. */
  constructor(
    watcher: Watcher<unknown, unknown>,
    toDrive: (snapshot: Hyperbee<unknown, unknown>) => Hyperdrive
  ) {
    this.#watcher = watcher
    this.#toDrive = toDrive
  }

  /** Resolves once the watcher took its first snapshot. */
  ready(): Promise<void> {
    return this.#watcher.ready()
  }

  /** The watcher itself (it is its own iterator). */
  [Symbol.asyncIterator](): this {
    return this
  }

  /** Waits for the next change: `[current, previous]`. */
  async next(): Promise<IteratorResult<[Hyperdrive, Hyperdrive], undefined>> {
    const r = await this.#watcher.next()
    await this.#closePair()
    if (r.done) return { done: true, value: undefined }
    const [current, previous] = r.value
    this.current = this.#toDrive(current)
    this.previous = this.#toDrive(previous)
    return { done: false, value: [this.current, this.previous] }
  }

  /** Stops watching (as `break` in `for await`). */
  async return(): Promise<IteratorResult<[Hyperdrive, Hyperdrive], undefined>> {
    await this.close()
    return { done: true, value: undefined }
  }

  /** Stops watching and closes the last pair of snapshots. */
  async close(): Promise<void> {
    await this.#watcher.close()
    await this.#closePair()
  }

  /** Same as {@link close}. */
  destroy(): Promise<void> {
    return this.close()
  }

  async #closePair(): Promise<void> {
    const pair = [this.current, this.previous]
    this.current = this.previous = null
    for (const d of pair) if (d) await d.close().catch(() => {})
  }
}
