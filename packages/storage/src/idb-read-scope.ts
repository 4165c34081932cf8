/**
 * Read transactions and the group cache of the IndexedDB adapter.
 *
 * A fresh readonly transaction per read costs about three times the read itself in Chromium. A
 * transaction stays active while the success callback of one of its requests runs, microtasks
 * included — which is where a caller awaiting one read issues the next. {@link ReadScope} hands
 * that still-active transaction to the next read, and opens a new one only when it went inactive.
 * Reads see the latest commit either way: IndexedDB starts a readwrite transaction only after the
 * readonly ones it overlaps finished, and our own writes stop the reuse before they start. A
 * transaction is reused for a bounded time, so a reading loop delays another tab's writes by at
 * most that long.
 */

import { ByteLru } from './byte-lru.ts'
import type { PackedLayout } from './idb-packed.ts'
import { binaryKey } from './keys.ts'

/** How long one readonly transaction keeps being reused (ms). */
const REUSE_MS = 20
/** How many reads one readonly transaction serves at most. */
const REUSE_READS = 2000

export class ReadScope {
  readonly #db: IDBDatabase
  readonly #stores: string[]
  #tx: IDBTransaction | null = null
  #born = 0
  #reads = 0

  constructor(db: IDBDatabase, stores: string[]) {
    this.#db = db
    this.#stores = stores
  }

  /**
   * Runs `issue` on an active readonly transaction over every store: the current one while it is
   * still active, else a new one — so `issue` may run twice: the first run throws at its first
   * request, and must have changed nothing that a second run does not reset.
   */
  run<T>(issue: (tx: IDBTransaction) => T): T {
    const tx = this.#tx
    if (tx !== null) {
      if (this.#reads < REUSE_READS && performance.now() - this.#born < REUSE_MS) {
        try {
          const out = issue(tx)
          this.#reads++
          return out
        } catch (err) {
          if (!isInactive(err)) throw err
        }
      }
      this.#tx = null
    }
    const fresh = this.#db.transaction(this.#stores, 'readonly')
    const forget = () => {
      if (this.#tx === fresh) this.#tx = null
    }
    fresh.addEventListener('complete', forget)
    fresh.addEventListener('abort', forget)
    this.#tx = fresh
    this.#born = performance.now()
    this.#reads = 1
    return issue(fresh)
  }

  /** Stops handing out the current transaction: a write is starting and later reads must see it. */
  release(): void {
    this.#tx = null
  }
}

function isInactive(err: unknown): boolean {
  const name = (err as { name?: unknown } | null)?.name
  return name === 'TransactionInactiveError' || name === 'InvalidStateError'
}

/**
 * The writer's cache of group records (see `idb-packed.ts`), as committed. Only the opener holding
 * the writer lock has one: nobody else can change the groups under it. A record read from
 * IndexedDB is cached only if no write ran meanwhile (`epoch`), so the cache never goes stale.
 */
export class GroupCache {
  readonly lru: ByteLru
  /** Bumped when a write transaction starts and when it ends. */
  epoch = 0
  /** Write transactions under way. */
  writing = 0
  /**
   * The highest group key each group store held after the last commit (null: none), once known.
   * Groups above it are known absent, so an append's new groups need no read.
   */
  readonly highest = new Map<string, Uint8Array | null>()

  constructor(maxBytes: number) {
    this.lru = new ByteLru(maxBytes)
  }

  /** The cache key of group `groupKey` of `layout`. */
  keyOf(layout: PackedLayout, groupKey: Uint8Array): string {
    return `${layout.idbStore}\u0000${binaryKey(groupKey)}`
  }

  /** Caches a record read from IndexedDB in a read that started at `epoch`, if still current. */
  offer(key: string, record: Uint8Array, epoch: number): void {
    if (this.writing === 0 && epoch === this.epoch) this.lru.set(key, record)
  }
}
