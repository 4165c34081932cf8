/**
 * Watching a bee: {@link Watcher} yields `[current, previous]` snapshots whenever a key range
 * changed (hyperbee's `watch`), {@link EntryWatcher} keeps one key's entry current (`getAndWatch`).
 */
import { Emitter } from '@orchard/events'
import type { Encoding } from './encodings.ts'
import type { Hyperbee } from './hyperbee.ts'
import type { DiffEntry } from './iterators/diff.ts'
import type { RangeOptions } from './range.ts'
import { mutex } from './state.ts'
import type { BeeNode } from './tree.ts'

/** Options of `watch`. */
export interface WatcherOptions<K = unknown, V = unknown> {
  /** Key encoding of the snapshots (default: the bee's). */
  keyEncoding?: Encoding
  /** Value encoding of the snapshots (default: the bee's). */
  valueEncoding?: Encoding
  /** Start from version 1 instead of now (the first change is everything written). */
  eager?: boolean
  /** Called on every change, before the iterator yields; the watcher then runs by itself. */
  onchange?: () => void | Promise<void>
  /** Maps each snapshot before it is yielded (default: the snapshot itself; `close()` is called on it). */
  map?: (snapshot: Hyperbee<K, V>) => Hyperbee<K, V>
  /** Computes what changed (default: `current.createDiffStream(previous, range)`). */
  differ?: (current: Hyperbee<K, V>, previous: Hyperbee<K, V>, range: RangeOptions) => AsyncIterable<unknown>
}

/** Events of a {@link Watcher}. */
export interface WatcherEvents {
  /** The range changed; `current` and `previous` are the new pair. */
  update: []
  /** The watcher closed. */
  close: []
}

/** Yields `[current, previous]` snapshots of a bee each time a range of it changes. */
export class Watcher<K = unknown, V = unknown>
  extends Emitter<WatcherEvents>
  implements AsyncIterableIterator<[Hyperbee<K, V>, Hyperbee<K, V>]>
{
  /** The bee watched. */
  readonly bee: Hyperbee<K, V>
  /** The range watched. */
  readonly range: RangeOptions
  /** The newest snapshot (after a change: the one yielded). */
  current: Hyperbee<K, V> | null = null
  /** The snapshot before the last change. */
  previous: Hyperbee<K, V> | null = null
  /** `current` through the `map` option: what the last change yielded first. */
  currentMapped: Hyperbee<K, V> | null = null
  /** `previous` through the `map` option: what the last change yielded second. */
  previousMapped: Hyperbee<K, V> | null = null
  /** Resolves when the watcher took its first snapshot. */
  readonly opening: Promise<void>
  /** Whether the first snapshot was taken. */
  opened = false
  /** Resolves when `close()` finished; null until it is called. */
  closing: Promise<void> | null = null
  readonly #opts: WatcherOptions<K, V>
  readonly #lock = mutex()
  #flowing = false
  #resolveOnChange: (() => void) | null = null
  #stream: AsyncIterator<unknown> | null = null
  readonly #detach: () => void

  /** Watches `range` of `bee`; `detach` unregisters it from the bee on close. Made by `bee.watch()`. */
  constructor(bee: Hyperbee<K, V>, range: RangeOptions, opts: WatcherOptions<K, V>, detach: () => void) {
    super()
    this.bee = bee
    this.range = range
    this.#opts = opts
    this.#detach = detach
    this.opening = this.#open()
    this.opening.catch(() => {})
  }

  #encodings() {
    return { keyEncoding: this.#opts.keyEncoding, valueEncoding: this.#opts.valueEncoding }
  }

  async #open(): Promise<void> {
    await this.bee.ready()
    this.current = this.#opts.eager
      ? this.bee.checkout(1, this.#encodings())
      : this.bee.snapshot(this.#encodings())
    await this.current.ready()
    this.opened = true
    if (this.#opts.onchange) {
      if (this.#opts.eager) await this.#opts.onchange()
      this.#consume()
    }
  }

  /** Resolves once open. */
  ready(): Promise<void> {
    return this.opening
  }

  /** Listening to `'update'` makes the watcher run by itself. */
  override on<E extends keyof WatcherEvents>(event: E, listener: (...args: WatcherEvents[E]) => void): this {
    super.on(event, listener)
    if (event === 'update') this.#consume()
    return this
  }

  async #consume(): Promise<void> {
    if (this.#flowing) return
    this.#flowing = true
    try {
      while (!(await this.next()).done) {}
    } catch {}
  }

  /** The watcher itself (it is its own iterator); iterating it makes it run. */
  [Symbol.asyncIterator](): this {
    this.#flowing = true
    return this
  }

  /** @internal The core grew. */
  onappend(): void {
    const resolve = this.#resolveOnChange
    this.#resolveOnChange = null
    resolve?.()
  }

  /** @internal The core was truncated. */
  ontruncate(): void {
    this.onappend()
  }

  async #waitForChanges(): Promise<void> {
    if (this.current!.version < this.bee.version || this.closing) return
    await new Promise<void>((resolve) => {
      this.#resolveOnChange = resolve
    })
  }

  /** Waits for the next change of the range: `[current, previous]`. */
  async next(): Promise<IteratorResult<[Hyperbee<K, V>, Hyperbee<K, V>], undefined>> {
    try {
      return await this.#next()
    } catch (err) {
      if (this.closing) return { value: undefined, done: true }
      await this.close()
      throw err
    }
  }

  async #next(): Promise<IteratorResult<[Hyperbee<K, V>, Hyperbee<K, V>], undefined>> {
    const release = await this.#lock()
    try {
      if (this.closing) return { value: undefined, done: true }
      if (!this.opened) await this.opening
      while (true) {
        await this.#waitForChanges()
        if (this.closing) return { value: undefined, done: true }

        await this.#closePrevious()
        this.previous = this.current!.snapshot()
        await this.#closeCurrent()
        this.current = this.bee.snapshot(this.#encodings())
        await this.current.ready()
        await this.previous.ready()

        if (this.current.core.fork !== this.previous.core.fork) return await this.#yield()

        const differ = this.#opts.differ ?? defaultDiffer
        const stream = differ(this.current, this.previous, this.range)[Symbol.asyncIterator]()
        this.#stream = stream
        try {
          const first = await stream.next()
          if (!first.done) return await this.#yield()
        } finally {
          this.#stream = null
          await stream.return?.()
        }
      }
    } finally {
      release()
    }
  }

  async #yield(): Promise<IteratorResult<[Hyperbee<K, V>, Hyperbee<K, V>], undefined>> {
    const map = this.#opts.map ?? ((s: Hyperbee<K, V>) => s)
    this.currentMapped = map(this.current!)
    this.previousMapped = map(this.previous!)
    if (this.#opts.onchange) {
      try {
        await this.#opts.onchange()
      } catch {}
    }
    this.emit('update')
    return { done: false, value: [this.currentMapped, this.previousMapped] }
  }

  /** Stops watching (as `break` in `for await`). */
  async return(): Promise<IteratorResult<[Hyperbee<K, V>, Hyperbee<K, V>], undefined>> {
    await this.close()
    return { done: true, value: undefined }
  }

  /** Stops watching and closes the snapshots. */
  close(): Promise<void> {
    if (this.closing === null) this.closing = this.#close()
    return this.closing
  }

  /** Same as {@link close}. */
  destroy(): Promise<void> {
    return this.close()
  }

  async #close(): Promise<void> {
    this.#detach()
    await this.#stream?.return?.()
    this.onappend()
    await this.opening.catch(() => {})
    const release = await this.#lock()
    try {
      await this.#closeCurrent().catch(() => {})
      await this.#closePrevious().catch(() => {})
    } finally {
      release()
    }
    this.emit('close')
  }

  async #closeCurrent(): Promise<void> {
    if (this.currentMapped && this.currentMapped !== this.current) await this.currentMapped.close()
    if (this.current) await this.current.close()
    this.current = this.currentMapped = null
  }

  async #closePrevious(): Promise<void> {
    if (this.previousMapped && this.previousMapped !== this.previous) await this.previousMapped.close()
    if (this.previous) await this.previous.close()
    this.previous = this.previousMapped = null
  }
}

function defaultDiffer<K, V>(
  current: Hyperbee<K, V>,
  previous: Hyperbee<K, V>,
  range: RangeOptions
): AsyncIterable<DiffEntry<K, V>> {
  return current.createDiffStream(previous, range)
}

/** Options of `getAndWatch`. */
export interface EntryWatcherOptions {
  /** Key encoding of the read (default: the bee's). */
  keyEncoding?: Encoding
  /** Value encoding of the read (default: the bee's). */
  valueEncoding?: Encoding
}

/** Events of an {@link EntryWatcher}. */
export interface EntryWatcherEvents {
  /** `node` changed (a new write of the key, its deletion, or a truncation). */
  update: []
  /** A re-read failed; the watcher keeps watching. */
  error: [Error]
  /** The watcher closed. */
  close: []
}

/**
 * What an {@link EntryWatcher} reads: a Hyperbee, or any bee with its `get` (a shared bee of
 * `@orchard/tabs` watches keys with the same class).
 */
export interface EntryWatcherSource<K = unknown, V = unknown> {
  /** The entry of `key`, or null. */
  get(key: K, opts?: EntryWatcherOptions): Promise<BeeNode<K, V> | null>
  /** Whether the bee is closing or closed. */
  readonly closing: boolean
}

/** Keeps the entry of one key up to date: `.node`, and an `'update'` event when it changes. */
export class EntryWatcher<
  K = unknown,
  V = unknown,
  B extends EntryWatcherSource<K, V> = Hyperbee<K, V>
> extends Emitter<EntryWatcherEvents> {
  /** The bee watched. */
  readonly bee: B
  /** The key watched. */
  readonly key: K
  /** The entry now (null when the key is not there). */
  node: BeeNode<K, V> | null = null
  /** Whether `close()` finished. */
  closed = false
  readonly #opts: EntryWatcherOptions
  #forceUpdate = false
  #running: Promise<void> | null = null
  #again = false
  #closing: Promise<void> | null = null
  readonly #detach: () => void

  /** Watches `key` of `bee`; `detach` unregisters it from the bee on close. Made by `bee.getAndWatch()`. */
  constructor(bee: B, key: K, opts: EntryWatcherOptions, detach: () => void) {
    super()
    this.bee = bee
    this.key = key
    this.#opts = opts
    this.#detach = detach
  }

  /** @internal */
  onappend(): void {
    this.refresh().catch(() => {})
  }

  /** @internal */
  ontruncate(): void {
    this.#forceUpdate = true
    this.refresh().catch(() => {})
  }

  /** Re-reads the entry (coalescing calls that arrive while a read runs into one more read). */
  refresh(): Promise<void> {
    if (this.#running) {
      this.#again = true
      return this.#running
    }
    this.#running = (async () => {
      try {
        do {
          this.#again = false
          await this.#process()
        } while (this.#again && !this.#closing)
      } finally {
        this.#running = null
      }
    })()
    return this.#running
  }

  async #process(): Promise<void> {
    if (this.#closing) return
    const force = this.#forceUpdate
    this.#forceUpdate = false
    let node: BeeNode<K, V> | null
    try {
      node = await this.bee.get(this.key, this.#opts)
    } catch (err) {
      if ((err as { code?: string }).code === 'SNAPSHOT_NOT_AVAILABLE') return
      if (this.bee.closing || this.#closing) {
        this.close().catch(() => {})
        return
      }
      this.emit('error', err as Error)
      return
    }
    if (force || node?.seq !== this.node?.seq) {
      this.node = node
      this.emit('update')
    }
  }

  /** Stops watching. */
  close(): Promise<void> {
    if (this.#closing === null) {
      this.#closing = (async () => {
        this.#detach()
        await this.#running?.catch(() => {})
        this.closed = true
        this.emit('close')
      })()
    }
    return this.#closing
  }
}
