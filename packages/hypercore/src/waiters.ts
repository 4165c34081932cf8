/**
 * Gets waiting for blocks that are not stored yet. The core resolves them when a block arrives
 * (download) and rejects them when the core closes; each waiter has its own timeout and signal.
 */
import { RequestCancelledError, RequestTimeoutError } from './errors.ts'

interface Waiter {
  resolve: (block: Uint8Array) => void
  reject: (err: unknown) => void
}

export class BlockWaiters {
  readonly #byIndex = new Map<number, Set<Waiter>>()

  /** Indexes someone is waiting for (the replicator's wish list). */
  indexes(): IterableIterator<number> {
    return this.#byIndex.keys()
  }

  get size(): number {
    return this.#byIndex.size
  }

  wait(index: number, opts: { signal?: AbortSignal; timeout?: number } = {}): Promise<Uint8Array> {
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

  /** Rejects every waiter (core closing). */
  rejectAll(err: unknown): void {
    for (const set of [...this.#byIndex.values()]) for (const w of [...set]) w.reject(err)
  }
}
