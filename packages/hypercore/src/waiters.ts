/**
 * Gets waiting for blocks that are not stored yet. The core resolves them when a block arrives
 * (download) and rejects them when the core closes; each waiter has its own timeout and signal.
 */
import { RequestCancelledError, RequestTimeoutError } from './errors.ts'

interface Waiter {
  /** The block existed when the get started: a truncation that cuts it fails the get. */
  snapshot: boolean
  resolve: (block: Uint8Array) => void
  reject: (err: unknown) => void
}

export class BlockWaiters {
  readonly #byIndex = new Map<number, Set<Waiter>>()

  /** Indexes someone is waiting for (the replicator's wish list). */
  indexes(): IterableIterator<number> {
    return this.#byIndex.keys()
  }

  /** Whether a `get` waits for block `index`. */
  has(index: number): boolean {
    return this.#byIndex.has(index)
  }

  get size(): number {
    return this.#byIndex.size
  }

  wait(
    index: number,
    opts: { signal?: AbortSignal; timeout?: number; snapshot?: boolean } = {}
  ): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | null = null
      const cleanup = () => {
        if (timer !== null) clearTimeout(timer)
        opts.signal?.removeEventListener('abort', onAbort)
        const set = this.#byIndex.get(index)
        set?.delete(waiter)
        if (set?.size === 0) this.#byIndex.delete(index)
      }
      const waiter: Waiter = {
        snapshot: !!opts.snapshot,
        resolve: (b) => {
          cleanup()
          resolve(b)
        },
        reject: (e) => {
          cleanup()
          reject(e)
        }
      }
      const onAbort = () =>
        waiter.reject(opts.signal?.reason ?? new RequestCancelledError(`get(${index}) was cancelled`))
      if (opts.signal?.aborted) return onAbort()
      opts.signal?.addEventListener('abort', onAbort, { once: true })
      if (opts.timeout) {
        timer = setTimeout(
          () => waiter.reject(new RequestTimeoutError(`get(${index}) timed out after ${opts.timeout} ms`)),
          opts.timeout
        )
      }
      let set = this.#byIndex.get(index)
      if (!set) {
        set = new Set()
        this.#byIndex.set(index, set)
      }
      set.add(waiter)
    })
  }

  /** Resolves every waiter of `index` with `block`. */
  resolve(index: number, block: Uint8Array): void {
    const set = this.#byIndex.get(index)
    if (!set) return
    for (const w of [...set]) w.resolve(block)
  }

  /** Resolves the waiters of blocks `start + i` with `blocks[i]` (a local append). */
  resolveRange(start: number, blocks: readonly Uint8Array[]): void {
    for (const index of [...this.#byIndex.keys()]) {
      const block = blocks[index - start]
      if (block !== undefined) this.resolve(index, block)
    }
  }

  /**
   * The core was cut to `length`: gets of blocks that existed when they started and are now gone
   * fail (with `err(index)`), as hypercore's gets are snapshotted at call time.
   */
  truncated(length: number, err: (index: number) => unknown): void {
    for (const [index, set] of [...this.#byIndex]) {
      if (index < length) continue
      for (const w of [...set]) if (w.snapshot) w.reject(err(index))
    }
  }

  /** Rejects every waiter (core closing). */
  rejectAll(err: unknown): void {
    for (const set of [...this.#byIndex.values()]) for (const w of [...set]) w.reject(err)
  }
}

/**
 * The waits a session has open (gets, seeks): each gets an abort controller that follows the
 * caller's signal and an optional timeout, and closing the session aborts them all.
 */
export class PendingRequests {
  readonly #open = new Set<AbortController>()

  /** A controller aborted by `opts.signal`, by {@link abortAll}, or after `timeout` ms (if > 0). */
  open(opts: { signal?: AbortSignal }, timeout: number, timedOut: () => Error): AbortController {
    const ac = new AbortController()
    this.#open.add(ac)
    const signal = opts.signal
    if (signal) {
      const onAbort = () => ac.abort(signal.reason)
      if (signal.aborted) onAbort()
      else signal.addEventListener('abort', onAbort, { once: true })
      ac.signal.addEventListener('abort', () => signal.removeEventListener('abort', onAbort), { once: true })
    }
    if (timeout > 0) {
      const timer = setTimeout(() => ac.abort(timedOut()), timeout)
      ac.signal.addEventListener('abort', () => clearTimeout(timer), { once: true })
    }
    return ac
  }

  /** The wait is over: forget it (and free its listeners). */
  release(ac: AbortController): void {
    this.#open.delete(ac)
    if (!ac.signal.aborted) ac.abort()
  }

  abortAll(reason: unknown): void {
    for (const ac of [...this.#open]) ac.abort(reason)
  }
}
