/**
 * When to retry a peer after its connection closed or failed, as hyperswarm's retry timer: four
 * bulk timers (short, medium, long, extra-long), each firing its whole batch at once; a peer goes
 * to one of them by how many attempts it made and whether it ever connected.
 */
import type { PeerInfo } from './peer-info.ts'

const BACKOFF_JITTER = 500

/** The default backoffs (ms): ~1 s, ~5 s, ~15 s and ~10 min, each jittered once per process. */
export const DEFAULT_BACKOFFS: readonly [number, number, number, number] = [
  1000 + Math.round(BACKOFF_JITTER * Math.random()),
  5000 + Math.round(2 * BACKOFF_JITTER * Math.random()),
  15000 + Math.round(4 * BACKOFF_JITTER * Math.random()),
  1000 * 60 * 10 + Math.round(240 * BACKOFF_JITTER * Math.random())
]

/** Options of a {@link RetryTimer}. */
export interface RetryTimerOptions {
  /** The four backoffs in ms: short, medium, long, extra-long (explicit peers only). */
  backoffs?: readonly [number, number, number, number] | readonly number[]
  /** Random extra delay, up to this many ms, added to each timer once. */
  jitter?: number
}

/** A timer that fires every `interval` ms with the batch of everything added since the last firing. */
class BulkTimer<T> {
  #next: T[] = []
  #pending: T[] = []
  #timer: ReturnType<typeof setInterval> | null = null
  readonly #interval: number
  readonly #fn: (batch: T[]) => void

  constructor(interval: number, fn: (batch: T[]) => void) {
    this.#interval = interval
    this.#fn = fn
  }

  add(item: T): void {
    // an item added now waits one to two ticks (a tick is two thirds of the backoff), as hyperswarm's
    this.#next.push(item)
    if (this.#timer === null) {
      this.#timer = setInterval(() => this.#tick(), Math.max(1, Math.floor(this.#interval * 0.66)))
    }
  }

  #tick(): void {
    const batch = this.#pending
    this.#pending = this.#next
    this.#next = []
    if (this.#pending.length === 0 && batch.length === 0 && this.#timer !== null) {
      clearInterval(this.#timer)
      this.#timer = null
      return
    }
    if (batch.length > 0) this.#fn(batch)
  }

  destroy(): void {
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
    this.#next = []
    this.#pending = []
  }
}

/** Requeues peers after a backoff chosen from their history; `push` gets each due batch. */
export class RetryTimer {
  /** The backoffs in use. */
  readonly backoffs: readonly number[]
  /** The jitter in use. */
  readonly jitter: number
  readonly #timers: BulkTimer<PeerInfo>[]

  /** A retry timer that hands due peers to `push`. */
  constructor(push: (batch: PeerInfo[]) => void, opts: RetryTimerOptions = {}) {
    this.backoffs = opts.backoffs ?? DEFAULT_BACKOFFS
    this.jitter = opts.jitter ?? BACKOFF_JITTER
    this.#timers = this.backoffs
      .slice(0, 4)
      .map((ms) => new BulkTimer<PeerInfo>(Math.max(1, ms + Math.round(this.jitter * Math.random())), push))
  }

  #select(peer: PeerInfo): BulkTimer<PeerInfo> | null {
    const [s, m, l, x] = this.#timers as [
      BulkTimer<PeerInfo>,
      BulkTimer<PeerInfo>,
      BulkTimer<PeerInfo>,
      BulkTimer<PeerInfo>
    ]
    if (peer.banned || !peer.reconnecting) return null
    if (peer.attempts > 3) return peer.explicit ? x : null
    if (peer.attempts === 0) return s
    if (peer.proven) return peer.attempts === 1 ? s : peer.attempts === 2 ? m : l
    return peer.attempts === 1 ? m : l
  }

  /** Schedules a retry of `peer`; false when it should not be retried (banned, given up on). */
  add(peer: PeerInfo): boolean {
    const timer = this.#select(peer)
    if (timer === null) return false
    timer.add(peer)
    return true
  }

  /** Cancels every scheduled retry. */
  destroy(): void {
    for (const t of this.#timers) t.destroy()
  }
}
