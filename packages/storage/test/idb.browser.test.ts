import { describe, expect, it } from 'vitest'
import { acquireWebLock, openIdbStorage, requestPersistence, StorageClosedError } from '../src/index.ts'
import { defineConformanceSuite } from './conformance.ts'

defineConformanceSuite('IndexedDB (Chromium)', { open: (name, opts) => openIdbStorage(name, opts) })

describe('IndexedDB adapter specifics', () => {
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
      'cores',
      'local',
      'meta',
      'tree',
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
