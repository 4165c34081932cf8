/**
 * `SharedWatcher`: Hyperbee's `watch()` for a shared bee. It follows the core's `'append'` events
 * from the owner, asks the owner whether the watched range changed between the version it last
 * yielded and the new one, and yields `[current, previous]` read-only views when it did.
 */
import { Emitter } from '@orchard/events'
import type { Encoding } from '@orchard/hyperbee'
import type { SharedBee } from './bee.ts'
import type { WireRange } from './protocol.ts'

/** Options of `SharedBee#watch`. */
export interface SharedWatcherOptions {
  /** Key encoding of the views (default: the bee's). */
  keyEncoding?: Encoding
  /** Value encoding of the views (default: the bee's). */
  valueEncoding?: Encoding
  /** Start from version 1 instead of now (the first change is everything written). */
  eager?: boolean
}

/** Events of a {@link SharedWatcher}. */
export interface SharedWatcherEvents {
  /** The range changed; `current` and `previous` are the new pair. */
  update: []
  /** The watcher closed. */
  close: []
}

/** Yields `[current, previous]` views of a shared bee each time a key range of it changes. */
export class SharedWatcher<K = unknown, V = unknown>
  extends Emitter<SharedWatcherEvents>
  implements AsyncIterableIterator<[SharedBee<K, V>, SharedBee<K, V>]>
{
  /** The bee watched. */
  readonly bee: SharedBee<K, V>
  /** The newest view (after a change: the one yielded first). */
  current: SharedBee<K, V> | null = null
  /** The view before the last change. */
  previous: SharedBee<K, V> | null = null
  /** Resolves when the watcher took its first view. */
  readonly opening: Promise<void>
  /** Whether the first view was taken. */
  opened = false
  /** Resolves when `close()` finished; null until it is called. */
  closing: Promise<void> | null = null
  readonly #range: WireRange
  readonly #opts: SharedWatcherOptions
  readonly #detach: () => void
  #version = 1
  #wake: (() => void) | null = null
  #turn: Promise<unknown> = Promise.resolve()
  readonly #onappend = () => this.#poke()

  /** Made by `SharedBee#watch`. */
  constructor(bee: SharedBee<K, V>, range: WireRange, opts: SharedWatcherOptions, detach: () => void) {
    super()
    this.bee = bee
    this.#range = range
    this.#opts = opts
    this.#detach = detach
    bee.core.on('append', this.#onappend)
    bee.core.on('truncate', this.#onappend)
    this.opening = this.#open()
    this.opening.catch(() => {})
  }

  async #open(): Promise<void> {
    await this.bee.ready()
    this.#version = this.#opts.eager ? 1 : this.bee.version
    this.current = this.#view(this.#version)
    this.opened = true
  }

  #view(version: number): SharedBee<K, V> {
    return this.bee.checkout(version, {
      keyEncoding: this.#opts.keyEncoding,
      valueEncoding: this.#opts.valueEncoding
    })
  }

  #poke(): void {
    const wake = this.#wake
    this.#wake = null
    wake?.()
  }

  /** Resolves once the first view is taken. */
  async ready(): Promise<void> {
    await this.opening
  }

  /** The iterator itself. */
  [Symbol.asyncIterator](): this {
    return this
  }

  /** The next change: `[current, previous]`, or done once closed. */
  next(): Promise<IteratorResult<[SharedBee<K, V>, SharedBee<K, V>], undefined>> {
    const run = this.#turn.then(
      () => this.#next(),
      () => this.#next()
    )
    this.#turn = run
    return run
  }

  async #next(): Promise<IteratorResult<[SharedBee<K, V>, SharedBee<K, V>], undefined>> {
    await this.opening
    for (;;) {
      if (this.closing !== null) return { done: true, value: undefined }
      const latest = this.bee.version
      if (latest !== this.#version) {
        const previous = this.#version
        this.#version = latest
        const conn = this.bee.core._connection
        const diff = await conn.request('bee.diff', [
          this.bee.core.ref,
          { ...this.#range, limit: 1 },
          latest,
          previous
        ])
        if (diff.length > 0 && this.closing === null) {
          this.previous = this.#view(previous)
          this.current = this.#view(latest)
          this.emit('update')
          return { done: false, value: [this.current, this.previous] }
        }
        continue
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve
      })
    }
  }

  /** Stops watching (the iterator ends). */
  async return(): Promise<IteratorResult<[SharedBee<K, V>, SharedBee<K, V>], undefined>> {
    await this.close()
    return { done: true, value: undefined }
  }

  /** Stops watching; a pending `next()` ends. */
  close(): Promise<void> {
    this.closing ??= this.#close()
    return this.closing
  }

  async #close(): Promise<void> {
    this.bee.core.off('append', this.#onappend)
    this.bee.core.off('truncate', this.#onappend)
    this.#detach()
    this.#poke()
    this.emit('close')
  }
}
