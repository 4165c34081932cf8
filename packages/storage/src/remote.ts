/**
 * A storage held by a worker, used from the page: `serveStorage` in a dedicated worker opens roots
 * there (OPFS above all, whose sync access handles exist only in dedicated workers), and
 * `connectStorage(worker)` in the page gets each root as a plain {@link Storage} — so a Hypercore,
 * a Corestore or `@orchard/tabs`' owner tab in the page can keep its data in OPFS.
 *
 * Every call is one message each way (values read are transferred, not copied again); range reads
 * go a page of entries per message; a batch travels encoded as one log record (one buffer,
 * transferred, where structured-cloning its op objects cost more than the write itself). Errors
 * arrive as the same typed `StorageError` classes. The
 * worker's roots close when their page closes them, or when the worker dies with its page (their
 * locks go with it).
 *
 * ```ts
 * // worker.ts
 * import { openOpfsStorage, serveStorage } from '@orchard/storage'
 * serveStorage((name, opts) => openOpfsStorage(name, opts))
 *
 * // page
 * import { connectStorage } from '@orchard/storage'
 * const host = connectStorage(new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' }))
 * const storage = await host.open('my-app')
 * ```
 */
import {
  StorageArgumentError,
  StorageClosedError,
  StorageCorruptError,
  StorageError,
  StorageLockedError,
  StorageQuotaError,
  StorageReadOnlyError
} from './errors.ts'
import { assertBatch } from './keys.ts'
import { batchRecordBytes, decodeRecord, encodeBatch } from './log/record.ts'
import {
  type BatchOp,
  type KeyRange,
  type OpenOptions,
  STORE_NAMES,
  type Storage,
  type StorageChange,
  type StoreName,
  type WriteOptions
} from './types.ts'

/** The end of a message channel: a `Worker`, a `MessagePort`, or a worker's own global scope. */
export interface StoragePort {
  /** Sends `message`, handing over the `transfer` buffers. */
  postMessage(message: unknown, transfer?: Transferable[]): void
  /** Listens for messages. */
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void
}

/** Entries a range read carries per message. */
const RANGE_PAGE = 256

type Call =
  | { op: 'open'; name: string; opts: OpenOptions }
  | { op: 'get'; h: number; store: StoreName; key: Uint8Array }
  | { op: 'getMany'; h: number; store: StoreName; keys: Uint8Array[] }
  | { op: 'write'; h: number; record: Uint8Array; opts?: WriteOptions }
  | { op: 'range'; h: number; store: StoreName; range?: KeyRange }
  | { op: 'next'; r: number }
  | { op: 'stop'; r: number }
  | { op: 'listen'; h: number }
  | { op: 'close'; h: number }
  | { op: 'destroy'; h: number }

type Reply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { message: string; code?: string; name?: string } }
  | { change: number; stores: StoreName[] }

const TAG = 'orchard-storage'

/** The ops of a batch record made by `encodeBatch` (views into `record`). */
function decodeBatch(record: Uint8Array): BatchOp[] {
  const ops: BatchOp[] = []
  decodeRecord(record, 0, record.byteLength, {
    put: (store, key, start, length) =>
      ops.push({
        type: 'put',
        store: STORE_NAMES[store]!,
        key,
        value: record.subarray(start, start + length)
      }),
    del: (store, key) => ops.push({ type: 'del', store: STORE_NAMES[store]!, key }),
    delRange: (store, gte, lt) => ops.push({ type: 'delRange', store: STORE_NAMES[store]!, gte, lt })
  })
  return ops
}

/**
 * Serves storage roots to the page that started this dedicated worker (or to `port`): each
 * `open` from the page calls `open(name, opts)` here.
 */
export function serveStorage(
  open: (name: string, opts: OpenOptions) => Promise<Storage>,
  port: StoragePort = globalThis as unknown as StoragePort
): void {
  const roots = new Map<number, Storage>()
  const ranges = new Map<number, AsyncIterator<[Uint8Array, Uint8Array]>>()
  let next = 1
  const reply = (message: Reply, transfer: Transferable[] = []) =>
    port.postMessage({ tag: TAG, ...message }, transfer)
  const root = (h: number) => {
    const st = roots.get(h)
    if (!st) throw new StorageClosedError()
    return st
  }
  const run = async (call: Call, transfer: Transferable[]): Promise<unknown> => {
    switch (call.op) {
      case 'open': {
        const st = await open(call.name, call.opts)
        const h = next++
        roots.set(h, st)
        return { h, name: st.name, readOnly: st.readOnly }
      }
      case 'get': {
        const value = await root(call.h).get(call.store, call.key)
        if (value) transfer.push(value.buffer)
        return value
      }
      case 'getMany': {
        const values = await root(call.h).getMany(call.store, call.keys)
        for (const v of values) if (v) transfer.push(v.buffer)
        return values
      }
      case 'write':
        return root(call.h).write(decodeBatch(call.record), call.opts)
      case 'range': {
        const r = next++
        ranges.set(r, root(call.h).range(call.store, call.range))
        return r
      }
      case 'next': {
        const it = ranges.get(call.r)
        if (!it) throw new StorageClosedError()
        const entries: [Uint8Array, Uint8Array][] = []
        let done = false
        try {
          while (entries.length < RANGE_PAGE) {
            const step = await it.next()
            if (step.done) {
              done = true
              break
            }
            entries.push(step.value)
            transfer.push(step.value[0].buffer, step.value[1].buffer)
          }
        } catch (err) {
          ranges.delete(call.r)
          throw err
        }
        if (done) ranges.delete(call.r)
        return { entries, done }
      }
      case 'stop':
        await ranges.get(call.r)?.return?.()
        ranges.delete(call.r)
        return null
      case 'listen':
        root(call.h).onChange((change) => reply({ change: call.h, stores: change.stores }))
        return null
      case 'close':
        await roots.get(call.h)?.close()
        roots.delete(call.h)
        return null
      case 'destroy':
        await root(call.h).destroy()
        roots.delete(call.h)
        return null
    }
  }
  port.addEventListener('message', (event) => {
    const data = event.data as { tag?: string; id: number; call: Call }
    if (data?.tag !== TAG) return
    const transfer: Transferable[] = []
    run(data.call, transfer).then(
      (value) => reply({ id: data.id, ok: true, value }, transfer),
      (err: Error & { code?: string }) =>
        reply({
          id: data.id,
          ok: false,
          error: { message: err?.message ?? String(err), code: err?.code, name: err?.name }
        })
    )
  })
}

const BY_CODE: Record<string, new (message: string) => StorageError> = {
  STORAGE_ARGUMENT: StorageArgumentError,
  STORAGE_CLOSED: StorageClosedError,
  STORAGE_CORRUPT: StorageCorruptError,
  STORAGE_LOCKED: StorageLockedError,
  STORAGE_QUOTA: StorageQuotaError,
  STORAGE_READ_ONLY: StorageReadOnlyError
}

function typed(error: { message: string; code?: string; name?: string }): StorageError {
  const Cls = error.code ? BY_CODE[error.code] : undefined
  return Cls ? new Cls(error.message) : new StorageError(error.message, error.code ?? 'STORAGE_ERROR')
}

/** The page's end of {@link serveStorage}: opens the worker's roots as {@link Storage}s. */
export interface RemoteStorageHost {
  /** Opens root `name` in the worker (as its `open` does there). */
  open(name: string, opts?: OpenOptions): Promise<Storage>
}

/** Connects to the {@link serveStorage} of `worker` (a dedicated worker, or a port to one). */
export function connectStorage(worker: StoragePort): RemoteStorageHost {
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>()
  const listeners = new Map<number, (stores: StoreName[]) => void>()
  let next = 1
  worker.addEventListener('message', (event) => {
    const m = event.data as Reply & { tag?: string }
    if (m?.tag !== TAG) return
    if ('change' in m) return listeners.get(m.change)?.(m.stores)
    const p = pending.get(m.id)
    pending.delete(m.id)
    if (m.ok) p?.resolve(m.value)
    else p?.reject(typed(m.error))
  })
  ;(worker as { start?: () => void }).start?.()
  const call = <T>(c: Call, transfer: Transferable[] = []): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = next++
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      worker.postMessage({ tag: TAG, id, call: c }, transfer)
    })
  return {
    async open(name, opts = {}) {
      const r = await call<{ h: number; name: string; readOnly: boolean }>({ op: 'open', name, opts })
      return new RemoteStorage(call, listeners, r.h, r.name, r.readOnly)
    }
  }
}

/** One root of the worker's, as a {@link Storage}. */
class RemoteStorage implements Storage {
  readonly name: string
  readonly readOnly: boolean
  #closed = false
  readonly #call: <T>(c: Call, transfer?: Transferable[]) => Promise<T>
  readonly #h: number
  readonly #changes = new Set<(change: StorageChange) => void>()
  readonly #routes: Map<number, (stores: StoreName[]) => void>

  constructor(
    call: <T>(c: Call, transfer?: Transferable[]) => Promise<T>,
    routes: Map<number, (stores: StoreName[]) => void>,
    h: number,
    name: string,
    readOnly: boolean
  ) {
    this.#call = call
    this.#routes = routes
    this.#h = h
    this.name = name
    this.readOnly = readOnly
  }

  get closed(): boolean {
    return this.#closed
  }

  /** A call on this root; a closed root fails here, without a round trip. */
  #do<T>(c: Call, transfer?: Transferable[]): Promise<T> {
    if (this.#closed) return Promise.reject(new StorageClosedError())
    return this.#call<T>(c, transfer).catch((err) => {
      if (err instanceof StorageClosedError) this.#closed = true // destroyed by its writer, say
      throw err
    })
  }

  get(store: StoreName, key: Uint8Array): Promise<Uint8Array | null> {
    return this.#do({ op: 'get', h: this.#h, store, key })
  }

  getMany(store: StoreName, keys: readonly Uint8Array[]): Promise<(Uint8Array | null)[]> {
    // postMessage clones the array itself: no copy here
    return this.#do({ op: 'getMany', h: this.#h, store, keys: keys as Uint8Array[] })
  }

  async *range(store: StoreName, range?: KeyRange): AsyncIterableIterator<[Uint8Array, Uint8Array]> {
    const r = await this.#do<number>({ op: 'range', h: this.#h, store, ...(range ? { range } : {}) })
    let done = false
    try {
      while (!done) {
        const page = await this.#do<{ entries: [Uint8Array, Uint8Array][]; done: boolean }>({ op: 'next', r })
        done = page.done
        yield* page.entries
      }
    } finally {
      if (!done) await this.#call({ op: 'stop', r }).catch(() => {})
    }
  }

  write(ops: readonly BatchOp[], opts?: WriteOptions): Promise<void> {
    try {
      assertBatch(ops) // before encoding: a malformed batch fails here, typed
    } catch (err) {
      return Promise.reject(err)
    }
    if (this.#closed) return Promise.reject(new StorageClosedError())
    const record = new Uint8Array(batchRecordBytes(ops))
    encodeBatch(record, ops)
    return this.#do({ op: 'write', h: this.#h, record, ...(opts ? { opts } : {}) }, [record.buffer])
  }

  onChange(listener: (change: StorageChange) => void): () => void {
    if (this.#changes.size === 0 && !this.#routes.has(this.#h)) {
      this.#routes.set(this.#h, (stores) => {
        for (const l of this.#changes) l({ stores: [...stores] })
      })
      void this.#call({ op: 'listen', h: this.#h }).catch(() => {})
    }
    this.#changes.add(listener)
    return () => {
      this.#changes.delete(listener)
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#routes.delete(this.#h)
    await this.#call({ op: 'close', h: this.#h })
  }

  async destroy(): Promise<void> {
    if (this.#closed) throw new StorageClosedError()
    await this.#do({ op: 'destroy', h: this.#h })
    this.#closed = true
    this.#routes.delete(this.#h)
  }
}
