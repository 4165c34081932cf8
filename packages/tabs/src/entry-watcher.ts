/**
 * `SharedEntryWatcher`: Hyperbee's `getAndWatch()` for a shared bee. It holds the entry of one key
 * (`node`), follows the core's `'append'` and `'truncate'` events from the owner, re-reads the key
 * and emits `'update'` when its entry changed (a new write of it, its deletion, or a truncation).
 */
import { Emitter } from '@orchard/events'
import type { BeeNode, Encoding } from '@orchard/hyperbee'
import type { SharedBee } from './bee.ts'

/** Options of `SharedBee#getAndWatch`. */
export interface SharedEntryWatcherOptions {
  /** Key encoding of the read (default: the bee's). */
  keyEncoding?: Encoding
  /** Value encoding of the read (default: the bee's). */
  valueEncoding?: Encoding
}

/** Events of a {@link SharedEntryWatcher}. */
export interface SharedEntryWatcherEvents {
  /** `node` changed. */
  update: []
  /** A re-read failed; the watcher keeps watching. */
  error: [Error]
  /** The watcher closed. */
  close: []
}

/** Keeps the entry of one key of a shared bee up to date: `.node`, and `'update'` when it changes. */
export class SharedEntryWatcher<K = unknown, V = unknown> extends Emitter<SharedEntryWatcherEvents> {
  /** The bee watched. */
  readonly bee: SharedBee<K, V>
  /** The key watched. */
  readonly key: K
  /** The entry now (null when the key is not there). */
  node: BeeNode<K, V> | null = null
  /** Whether `close()` finished. */
  closed = false
  readonly #opts: SharedEntryWatcherOptions
  readonly #detach: () => void
  #force = false
  #running: Promise<void> | null = null
  #again = false
  #closing: Promise<void> | null = null
  readonly #onappend = () => {
    this.refresh().catch(() => {})
  }
  readonly #ontruncate = () => {
    this.#force = true
    this.refresh().catch(() => {})
  }

  /** Made by `SharedBee#getAndWatch`; `detach` unregisters it from the bee on close. */
  constructor(bee: SharedBee<K, V>, key: K, opts: SharedEntryWatcherOptions, detach: () => void) {
    super()
    this.bee = bee
    this.key = key
    this.#opts = opts
    this.#detach = detach
    bee.core.on('append', this.#onappend)
    bee.core.on('truncate', this.#ontruncate)
  }

  /** Re-reads the entry (calls that arrive while a read runs make one more read). */
  refresh(): Promise<void> {
    if (this.#running) {
      this.#again = true
      return this.#running
    }
    this.#running = (async () => {
      try {
        do {
          this.#again = false
          await this.#read()
        } while (this.#again && !this.#closing)
      } finally {
        this.#running = null
      }
    })()
    return this.#running
  }

  async #read(): Promise<void> {
    if (this.#closing) return
    const force = this.#force
    this.#force = false
    let node: BeeNode<K, V> | null
    try {
      node = await this.bee.get(this.key, this.#opts)
    } catch (err) {
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
    this.#closing ??= (async () => {
      this.bee.core.off('append', this.#onappend)
      this.bee.core.off('truncate', this.#ontruncate)
      this.#detach()
      await this.#running?.catch(() => {})
      this.closed = true
      this.emit('close')
    })()
    return this.#closing
  }
}
