/**
 * The page's side of `opfs-worker.ts`: an OPFS storage in a dedicated worker as a {@link Storage},
 * so the conformance suite (which runs in the page) drives the real adapter. Errors come back as
 * the same typed classes, by code.
 */
import {
  type BatchOp,
  type KeyRange,
  type LogStorageStats,
  type OpenOptions,
  type Storage,
  StorageArgumentError,
  type StorageChange,
  StorageClosedError,
  StorageCorruptError,
  StorageError,
  StorageLockedError,
  StorageQuotaError,
  StorageReadOnlyError,
  type StoreName,
  type WriteOptions
} from '../../src/index.ts'

const BY_CODE: Record<string, new (message: string) => StorageError> = {
  STORAGE_ARGUMENT: StorageArgumentError,
  STORAGE_CLOSED: StorageClosedError,
  STORAGE_CORRUPT: StorageCorruptError,
  STORAGE_LOCKED: StorageLockedError,
  STORAGE_QUOTA: StorageQuotaError,
  STORAGE_READ_ONLY: StorageReadOnlyError
}

/** A worker hosting OPFS storages, and calls into it. */
export class OpfsWorker {
  readonly worker: Worker
  #next = 1
  #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>()
  #listeners = new Map<number, Set<(c: StorageChange) => void>>()

  constructor() {
    this.worker = new Worker(new URL('./opfs-worker.ts', import.meta.url), { type: 'module' })
    this.worker.onmessage = (e) => {
      const m = e.data
      if (m.change) {
        for (const l of this.#listeners.get(m.handle) ?? []) l({ stores: m.stores })
        return
      }
      const p = this.#pending.get(m.id)!
      this.#pending.delete(m.id)
      if (m.ok) p.resolve(m.value)
      else {
        const Cls = BY_CODE[m.error.code]
        p.reject(
          Cls ? new Cls(m.error.message) : new StorageError(m.error.message, m.error.code ?? m.error.name)
        )
      }
    }
  }

  call<T>(op: string, ...args: unknown[]): Promise<T> {
    const id = this.#next++
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      this.worker.postMessage({ id, op, args })
    })
  }

  /** Opens root `name` in the worker. */
  async open(name: string, opts?: OpenOptions): Promise<WorkerStorage> {
    const { handle, readOnly } = await this.call<{ handle: number; name: string; readOnly: boolean }>(
      'open',
      name,
      opts ?? {}
    )
    const listeners = new Set<(c: StorageChange) => void>()
    this.#listeners.set(handle, listeners)
    return new WorkerStorage(this, handle, name, readOnly, listeners)
  }

  terminate(): void {
    this.worker.terminate()
  }
}

/** One OPFS storage in the worker, as a {@link Storage}. */
export class WorkerStorage implements Storage {
  readonly name: string
  readonly readOnly: boolean
  #closed = false
  readonly #w: OpfsWorker
  readonly #h: number
  readonly #listeners: Set<(c: StorageChange) => void>

  constructor(
    w: OpfsWorker,
    h: number,
    name: string,
    readOnly: boolean,
    listeners: Set<(c: StorageChange) => void>
  ) {
    this.#w = w
    this.#h = h
    this.name = name
    this.readOnly = readOnly
    this.#listeners = listeners
  }

  get closed(): boolean {
    return this.#closed
  }

  get(store: StoreName, key: Uint8Array) {
    return this.#w.call<Uint8Array | null>('get', this.#h, store, key)
  }

  getMany(store: StoreName, keys: readonly Uint8Array[]) {
    return this.#w.call<(Uint8Array | null)[]>('getMany', this.#h, store, keys)
  }

  async *range(store: StoreName, range?: KeyRange): AsyncIterableIterator<[Uint8Array, Uint8Array]> {
    const id = await this.#w.call<number>('range', this.#h, store, range)
    let done = false
    try {
      while (!done) {
        const r = await this.#w.call<{ page: [Uint8Array, Uint8Array][]; done: boolean }>('rangeNext', id, 64)
        done = r.done
        yield* r.page
      }
    } finally {
      if (!done) await this.#w.call('rangeReturn', id)
    }
  }

  write(ops: readonly BatchOp[], opts?: WriteOptions) {
    return this.#w.call<void>('write', this.#h, ops, opts)
  }

  onChange(listener: (change: StorageChange) => void): () => void {
    // the worker relays events from the first listener on (in order with later calls)
    if (this.#listeners.size === 0) void this.#w.call('subscribe', this.#h).catch(() => {})
    this.#listeners.add(listener)
    return () => {
      this.#listeners.delete(listener)
    }
  }

  async close() {
    this.#closed = true
    await this.#w.call('close', this.#h)
  }

  async destroy() {
    if (!this.#closed) {
      await this.#w.call('destroy', this.#h)
      this.#closed = true
      return
    }
    await this.#w.call('destroy', this.#h)
  }

  compact() {
    return this.#w.call<void>('compact', this.#h)
  }

  stats() {
    return this.#w.call<LogStorageStats>('stats', this.#h)
  }
}
