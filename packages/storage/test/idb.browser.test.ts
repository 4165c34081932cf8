import { describe, expect, it } from 'vitest'
import {
  acquireWebLock,
  compareKeys,
  idbDatabaseName,
  openIdbStorage,
  requestPersistence,
  StorageClosedError,
  type StoreName
} from '../src/index.ts'
import { defineConformanceSuite } from './conformance.ts'

defineConformanceSuite('IndexedDB (Chromium)', { open: (name, opts) => openIdbStorage(name, opts) })

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')

/** `core ‖ u64be(index)`, Hypercore's block and tree-node key. */
function indexKey(core: number, index: number): Uint8Array {
  const k = new Uint8Array(12)
  new DataView(k.buffer).setUint32(0, core)
  new DataView(k.buffer).setUint32(8, index)
  return k
}

/**
 * Writes root `name` as the version 1 adapter did: a version 1 database, one object store per
 * logical store, one record per key. Returns what it wrote, per store.
 */
async function writeVersion1(name: string): Promise<Map<StoreName, [Uint8Array, Uint8Array][]>> {
  const data = new Map<StoreName, [Uint8Array, Uint8Array][]>()
  const add = (store: StoreName, key: Uint8Array, value: Uint8Array) => {
    if (!data.has(store)) data.set(store, [])
    data.get(store)!.push([key, value])
  }
  for (let i = 0; i < 300; i++) add('blocks', indexKey(0, i), new Uint8Array(1000 + (i % 7)).fill(i & 0xff))
  add('blocks', indexKey(0, 300), new Uint8Array(9000).fill(3)) // too long for a group
  add('blocks', indexKey(2, 5), new Uint8Array([2, 5]))
  add('blocks', new Uint8Array([0, 0, 0, 0, 1]), new Uint8Array([9])) // not index-shaped
  for (let i = 0; i < 700; i++) add('tree', indexKey(0, i), new Uint8Array(33).fill(i & 0xff))
  const longer = new Uint8Array(13)
  longer.set(indexKey(0, 8))
  add('tree', longer, new Uint8Array([1, 3]))
  add('meta', new Uint8Array([0, 0, 0, 0, 1]), new Uint8Array([7, 7]))
  add('bitfield', new Uint8Array([0, 0, 0, 0, 0, 0, 0, 1]), new Uint8Array(4096).fill(0xff))
  const open = indexedDB.open(idbDatabaseName(name), 1)
  open.onupgradeneeded = () => {
    for (const store of ['meta', 'cores', 'tree', 'blocks', 'bitfield', 'user', 'local'])
      open.result.createObjectStore(store)
  }
  const db = await request(open)
  const tx = db.transaction([...data.keys()], 'readwrite')
  for (const [store, entries] of data)
    for (const [k, v] of entries) tx.objectStore(store).put(v, k as Uint8Array<ArrayBuffer>)
  await new Promise((resolve, reject) => {
    tx.oncomplete = resolve
    tx.onabort = () => reject(tx.error)
  })
  db.close()
  return data
}

describe('IndexedDB adapter specifics', () => {
  it('opens a database of the version 1 layout with all its data, then writes to it', async () => {
    const name = `idb-v1-${Date.now()}`
    const data = await writeVersion1(name)
    const expectAll = async (st: Awaited<ReturnType<typeof openIdbStorage>>, label: string) => {
      for (const [store, entries] of data) {
        const sorted = [...entries].sort((a, b) => compareKeys(a[0], b[0]))
        const got: string[] = []
        for await (const [k, v] of st.range(store)) got.push(`${hex(k)}=${v.length}:${v[0]}`)
        expect(got, `${label} ${store}`).toEqual(sorted.map(([k, v]) => `${hex(k)}=${v.length}:${v[0]}`))
        const back: string[] = []
        for await (const [k] of st.range(store, { reverse: true })) back.push(hex(k))
        expect(back).toEqual(sorted.map(([k]) => hex(k)).reverse())
        const many = await st.getMany(
          store,
          entries.map(([k]) => k)
        )
        for (let i = 0; i < entries.length; i++) {
          expect(many[i]).toEqual(entries[i]![1])
          if (i % 17 === 0) expect(await st.get(store, entries[i]![0])).toEqual(entries[i]![1])
        }
      }
    }
    const st = await openIdbStorage(name)
    await expectAll(st, 'migrated')
    // The packable records left their one-record-per-key stores.
    const raw = await request(indexedDB.open(idbDatabaseName(name)))
    expect(raw.version).toBe(2)
    const plainBlocks = await request(raw.transaction('blocks').objectStore('blocks').getAllKeys())
    expect(plainBlocks.map((k) => hex(new Uint8Array(k as ArrayBuffer)))).toEqual([
      hex(indexKey(0, 300)),
      '0000000001'
    ])
    raw.close()
    // Writes land on the migrated groups and read back, also after a reopen.
    data.get('blocks')![5]![1] = new Uint8Array(10).fill(0x55)
    data.get('blocks')!.splice(6, 1)
    data.get('blocks')!.push([indexKey(0, 301), new Uint8Array([1, 2, 3])])
    await st.write([
      { type: 'put', store: 'blocks', key: indexKey(0, 5), value: new Uint8Array(10).fill(0x55) },
      { type: 'del', store: 'blocks', key: indexKey(0, 6) },
      { type: 'put', store: 'blocks', key: indexKey(0, 301), value: new Uint8Array([1, 2, 3]) }
    ])
    await expectAll(st, 'written')
    await st.close()
    const again = await openIdbStorage(name)
    await expectAll(again, 'reopened')
    await again.destroy()
  })

  it('keeps one database per root, each store an object store with binary keys', async () => {
    const st = await openIdbStorage('idb-layout')
    await st.write([{ type: 'put', store: 'tree', key: new Uint8Array([1, 2]), value: new Uint8Array([3]) }])
    const dbs = await indexedDB.databases()
    expect(dbs.map((d) => d.name)).toContain('orchard-storage:idb-layout')
    const raw = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('orchard-storage:idb-layout')
      req.onsuccess = () => resolve(req.result)
      req.onerror = () => reject(req.error)
    })
    expect([...raw.objectStoreNames].sort()).toEqual([
      'bitfield',
      'blocks',
      'blocks#packed',
      'cores',
      'local',
      'meta',
      'tree',
      'tree#packed',
      'user'
    ])
    const keys = await new Promise<IDBValidKey[]>((resolve, reject) => {
      const req = raw.transaction('tree').objectStore('tree').getAllKeys()
      req.onsuccess = () => resolve(req.result)
      req.onerror = () => reject(req.error)
    })
    expect(keys.map((k) => [...new Uint8Array(k as ArrayBuffer)])).toEqual([[1, 2]])
    raw.close()
    await st.destroy()
  })

  it('reads that find the reused transaction inactive start over on a fresh one', async () => {
    const st = await openIdbStorage(`idb-inactive-${Date.now()}`)
    const keys = Array.from({ length: 400 }, (_, i) => indexKey(0, i))
    await st.write(
      keys.map((key, i) => ({ type: 'put', store: 'tree', key, value: new Uint8Array([i & 0xff]) }))
    )
    await st.write([{ type: 'put', store: 'user', key: new Uint8Array([1]), value: new Uint8Array([2]) }])
    for (let round = 0; round < 20; round++) {
      // Keeps the read transaction busy past the end of this task, so the next reads find it
      // inactive but not finished.
      const busy = st.getMany('tree', keys)
      await new Promise((resolve) => setTimeout(resolve, 0))
      const many = st.getMany('tree', [keys[7]!, keys[300]!, new Uint8Array([9])])
      const plain = st.getMany('user', [new Uint8Array([1])])
      const page: number[] = []
      const range = (async () => {
        for await (const [, v] of st.range('tree', { gte: keys[390]! })) page.push(v[0]!)
      })()
      await new Promise((resolve) => setTimeout(resolve, 0))
      const one = st.get('tree', keys[5]!)
      expect((await many).map((v) => v?.[0] ?? null)).toEqual([7, 300 & 0xff, null])
      expect(await plain).toEqual([new Uint8Array([2])])
      expect(await one).toEqual(new Uint8Array([5]))
      await range
      expect(page).toEqual([390, 391, 392, 393, 394, 395, 396, 397, 398, 399].map((i) => i & 0xff))
      expect((await busy).length).toBe(400)
    }
    await st.destroy()
  })

  it('closes a reader when the writer destroys the root', async () => {
    const writer = await openIdbStorage('idb-destroyed')
    const reader = await openIdbStorage('idb-destroyed', { lock: 'readonly' })
    await writer.destroy()
    expect(reader.closed).toBe(true)
    await expect(reader.get('meta', new Uint8Array([1]))).rejects.toBeInstanceOf(StorageClosedError)
  })

  it('walks reverse ranges with a cursor where getAllRecords is missing', async () => {
    const st = await openIdbStorage('idb-cursor-fallback')
    const ops = Array.from({ length: 700 }, (_, i) => ({
      type: 'put' as const,
      store: 'blocks' as const,
      key: new Uint8Array([i >> 8, i & 0xff]),
      value: new Uint8Array([i & 0xff])
    }))
    await st.write(ops)
    const proto = IDBObjectStore.prototype as { getAllRecords?: unknown }
    const saved = Object.getOwnPropertyDescriptor(proto, 'getAllRecords')
    delete proto.getAllRecords
    try {
      expect('getAllRecords' in IDBObjectStore.prototype).toBe(false)
      const keys: number[] = []
      for await (const [k, v] of st.range('blocks', {
        reverse: true,
        lt: new Uint8Array([2, 0x80]),
        limit: 600
      })) {
        keys.push((k[0]! << 8) | k[1]!)
        expect(v[0]).toBe(k[1])
      }
      expect(keys).toEqual(Array.from({ length: 600 }, (_, i) => 0x27f - i))
    } finally {
      if (saved) Object.defineProperty(proto, 'getAllRecords', saved)
    }
    await st.destroy()
  })

  it('Web Locks work on their own: one holder, waiters get it on release', async () => {
    const first = await acquireWebLock('orchard-test-lock')
    expect(first).not.toBeNull()
    expect(await acquireWebLock('orchard-test-lock')).toBeNull()
    let waiterGotIt = false
    const waiter = acquireWebLock('orchard-test-lock', { wait: true }).then((lock) => {
      waiterGotIt = true
      return lock
    })
    await new Promise((r) => setTimeout(r, 50))
    expect(waiterGotIt).toBe(false)
    await first!.release()
    const second = await waiter
    expect(second).not.toBeNull()
    await second!.release()
    const controller = new AbortController()
    const third = await acquireWebLock('orchard-test-lock')
    const aborted = acquireWebLock('orchard-test-lock', { wait: true, signal: controller.signal })
    controller.abort()
    await expect(aborted).rejects.toBeDefined()
    await third!.release()
  })

  it('requestPersistence answers with a boolean', async () => {
    expect(typeof (await requestPersistence())).toBe('boolean')
  })
})
