/**
 * The page's side of `opfs-worker.ts`: the worker's OPFS roots through `connectStorage` (so the
 * conformance suite, which runs in the page, drives the real adapter through the public remote
 * API), and the worker's test-only calls.
 */
import { connectStorage, type OpenOptions, type RemoteStorageHost, type Storage } from '../../src/index.ts'

export class OpfsWorker {
  readonly worker = new Worker(new URL('./opfs-worker.ts', import.meta.url), { type: 'module' })
  readonly #host: RemoteStorageHost = connectStorage(this.worker)
  #next = 1
  #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>()

  constructor() {
    this.worker.addEventListener('message', (e) => {
      if (e.data?.tag !== 'opfs-test') return
      const p = this.#pending.get(e.data.id)!
      this.#pending.delete(e.data.id)
      if (e.data.ok) p.resolve(e.data.value)
      else p.reject(new Error(e.data.error))
    })
  }

  /** Opens root `name` in the worker. */
  open(name: string, opts?: OpenOptions): Promise<Storage> {
    return this.#host.open(name, opts)
  }

  /** A test-only call on the worker (`stats`, `compact`, `tearTail`), by root name. */
  extra<T>(op: string, ...args: unknown[]): Promise<T> {
    const id = this.#next++
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      this.worker.postMessage({ tag: 'opfs-test', id, op, args })
    })
  }

  terminate(): void {
    this.worker.terminate()
  }
}
