/**
 * What a bee shares with its batches, views (subs, checkouts, snapshots) and iterators: the core,
 * the write lock, the decoded-block caches and the options that shape its tree.
 */
import type { Hypercore } from '@orchard/hypercore'
import type { Codec } from './encodings.ts'
import type { HeaderMetadata } from './messages.ts'
import type { CachedNode } from './tree.ts'

/** A FIFO mutex: `await lock()` resolves with the release function. */
export type Mutex = () => Promise<() => void>

/** Creates a {@link Mutex}. */
export function mutex(): Mutex {
  let tail: Promise<void> = Promise.resolve()
  return () => {
    let release!: () => void
    const next = new Promise<void>((r) => {
      release = r
    })
    const prev = tail
    tail = prev.then(() => next)
    return prev.then(() => release)
  }
}

/**
 * A FIFO lock that is taken synchronously when free ({@link Lock.tryAcquire}), so an uncontended
 * caller (a batch's writes, one after another) pays no promise per acquisition.
 */
export class Lock {
  #held = false
  readonly #waiters: Array<() => void> = []

  /** Takes the lock if it is free (and nobody waits); returns whether it did. */
  tryAcquire(): boolean {
    if (this.#held) return false
    this.#held = true
    return true
  }

  /** Resolves once the lock is taken (FIFO). */
  acquire(): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve()
    return new Promise((resolve) => this.#waiters.push(resolve))
  }

  /** Hands the lock to the next waiter, or frees it. */
  release(): void {
    const next = this.#waiters.shift()
    if (next) next()
    else this.#held = false
  }
}

/** A size-bounded map from block seq to a value, valid for one fork of the core. */
export class SeqCache<V> {
  readonly #map = new Map<number, V>()
  readonly #max: number
  #fork = -1

  constructor(max: number) {
    this.#max = max
  }

  get(fork: number, seq: number): V | undefined {
    return fork === this.#fork ? this.#map.get(seq) : undefined
  }

  set(fork: number, seq: number, value: V): void {
    if (fork !== this.#fork) {
      this.#map.clear()
      this.#fork = fork
    }
    if (this.#map.size >= this.#max) this.#map.delete(this.#map.keys().next().value!)
    this.#map.set(seq, value)
  }

  /** Forgets blocks at or past `length` (after a truncation). */
  gc(length: number): void {
    if (this.#map.size > 4096) {
      this.#map.clear()
      return
    }
    for (const seq of [...this.#map.keys()]) if (seq >= length) this.#map.delete(seq)
  }

  clear(): void {
    this.#map.clear()
  }
}

/** Caches shared by a bee and all its views (blocks are immutable per fork). */
export interface BeeCaches {
  nodes: SeqCache<CachedNode>
  keys: SeqCache<Uint8Array>
  /** Node reads in flight, so concurrent readers of one block decode it once. */
  inflight: Map<string, Promise<CachedNode>>
}

/** Creates empty caches. */
export function createCaches(): BeeCaches {
  return { nodes: new SeqCache(65536), keys: new SeqCache(65536), inflight: new Map() }
}

/** The state of a bee that batches and iterators read. @internal */
export interface BeeState {
  readonly core: Hypercore
  readonly readonly: boolean
  readonly alwaysDuplicate: boolean
  readonly metadata: HeaderMetadata | null
  /** The checked-out version (0: follow the core). */
  readonly checkoutVersion: number
  /** Whether this is a sub (a key prefix applies). */
  readonly isSub: boolean
  readonly keyEncoding: Codec | null
  readonly valueEncoding: Codec | null
  readonly lock: Mutex
  readonly caches: BeeCaches
  /** Open batches, closed with the bee. */
  readonly batches: Set<{ close(): Promise<void> }>
}
