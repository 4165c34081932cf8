/**
 * A dedicated worker that hosts OPFS storages for the page's tests (`opfs-client.ts`): the page
 * cannot hold sync access handles itself. Requests `{ id, op, args }`, answers `{ id, ok, value }`
 * or `{ id, ok: false, error: { name, code, message } }`; change events `{ change, handle, stores }`.
 */

import type { KeyRange, LogStorage, OpenOptions, StoreName } from '../../src/index.ts'
import { OPFS_ROOT_DIRECTORY, openOpfsStorage, opfsDirectoryName } from '../../src/opfs.ts'
import type { BatchOp, WriteOptions } from '../../src/types.ts'

const storages = new Map<number, LogStorage>()
const ranges = new Map<number, AsyncIterator<[Uint8Array, Uint8Array]>>()
let nextId = 1

type Request = { id: number; op: string; args: unknown[] }

const ops: Record<string, (...args: never[]) => unknown> = {
  async open(name: string, opts: OpenOptions) {
    const st = await openOpfsStorage(name, opts)
    const handle = nextId++
    storages.set(handle, st)
    return { handle, name: st.name, readOnly: st.readOnly }
  },
  /** Relays the storage's change events to the page (once the page has a listener). */
  subscribe(h: number) {
    storages.get(h)!.onChange((c) => postMessage({ change: true, handle: h, stores: c.stores }))
  },
  get: (h: number, store: StoreName, key: Uint8Array) => storages.get(h)!.get(store, key),
  getMany: (h: number, store: StoreName, keys: Uint8Array[]) => storages.get(h)!.getMany(store, keys),
  write: (h: number, batch: BatchOp[], opts?: WriteOptions) => storages.get(h)!.write(batch, opts),
  close: (h: number) => storages.get(h)!.close(),
  destroy: (h: number) => storages.get(h)!.destroy(),
  closed: (h: number) => storages.get(h)!.closed,
  compact: (h: number) => storages.get(h)!.compact(),
  stats: (h: number) => storages.get(h)!.stats(),
  range(h: number, store: StoreName, range?: KeyRange) {
    const id = nextId++
    ranges.set(id, storages.get(h)!.range(store, range))
    return id
  },
  async rangeNext(id: number, max: number) {
    const it = ranges.get(id)!
    const page: [Uint8Array, Uint8Array][] = []
    while (page.length < max) {
      const r = await it.next()
      if (r.done) {
        ranges.delete(id)
        return { page, done: true }
      }
      page.push(r.value)
    }
    return { page, done: false }
  },
  /**
   * Appends `bytes` to root `name`'s newest log file (closed), as a write a crash cut short would
   * leave; returns the file's size before.
   */
  async tearTail(name: string, bytes: Uint8Array) {
    const top = await (await navigator.storage.getDirectory()).getDirectoryHandle(OPFS_ROOT_DIRECTORY)
    const dir = await top.getDirectoryHandle(opfsDirectoryName(name))
    const logs: string[] = []
    for await (const key of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) {
      if (key.endsWith('.log')) logs.push(key)
    }
    const file = (await dir.getFileHandle(logs.sort().at(-1)!)) as FileSystemFileHandle & {
      createSyncAccessHandle(): Promise<{
        getSize(): number
        write(b: Uint8Array, o: { at: number }): number
        flush(): void
        close(): void
      }>
    }
    const handle = await file.createSyncAccessHandle()
    const size = handle.getSize()
    handle.write(bytes, { at: size })
    handle.flush()
    handle.close()
    return size
  },
  async rangeReturn(id: number) {
    await ranges.get(id)?.return?.()
    ranges.delete(id)
  }
}

addEventListener('message', async (e: MessageEvent<Request>) => {
  const { id, op, args } = e.data
  try {
    const value = await (ops[op] as (...a: unknown[]) => unknown)(...args)
    postMessage({ id, ok: true, value })
  } catch (err) {
    if (op === 'rangeNext') ranges.delete(args[0] as number)
    const { name, message, code } = err as Error & { code?: string }
    postMessage({ id, ok: false, error: { name, message, code } })
  }
})
