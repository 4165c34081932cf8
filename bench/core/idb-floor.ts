/**
 * What IndexedDB itself allows in this Chromium, beside the core bench's tab rows: the same
 * workloads done with bare IndexedDB calls and no Hypercore at all, each in its most favourable
 * form. They bound what any layout of ours could reach.
 *
 * - Random get: serial reads of one random 1 KiB record from a plain object store of one record
 *   per block (the smallest record a block can have), reusing the readonly transaction while it
 *   stays active, as our adapter does.
 * - Batched append: one relaxed readwrite transaction per 100 × 1 KiB, all 100 blocks in a single
 *   record (the fewest records any layout can write) — and the same with one record per group of
 *   8 blocks, the record count of our layout (13 groups plus tree, bitfield and head records ≈ 17).
 */
import { measure, xorshift } from '../harness.ts'

/** The floors the page reports. */
export type FloorWorkload = 'random-get' | 'append-one-record' | 'append-17-records'

const STORE = 'blocks'

function done(req: IDBRequest): Promise<unknown> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
}

function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve()
    tx.onerror = tx.onabort = () => reject(tx.error)
  })
}

function keyOf(i: number): Uint8Array<ArrayBuffer> {
  const key = new Uint8Array(12)
  new DataView(key.buffer).setUint32(8, i)
  return key
}

/** A bare database of `blocks` records of 1 KiB, for the floors. */
export async function openFloor(name: string, blocks: number) {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(name, 1)
    req.onupgradeneeded = () => req.result.createObjectStore(STORE)
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
  for (let i = 0; i < blocks; i += 1000) {
    const tx = db.transaction(STORE, 'readwrite', { durability: 'relaxed' })
    for (let j = i; j < i + 1000; j++)
      tx.objectStore(STORE).put(new Uint8Array(1024).fill(j & 0xff), keyOf(j))
    await committed(tx)
  }
  let next = blocks
  const rand = xorshift(0x2545f491)
  let reading: IDBTransaction | null = null
  const get = async () => {
    const key = keyOf(rand() % blocks)
    if (reading !== null) {
      try {
        return await done(reading.objectStore(STORE).get(key))
      } catch {
        // went inactive: open a new one below
      }
    }
    const tx = db.transaction(STORE, 'readonly')
    reading = tx
    tx.oncomplete = () => {
      if (reading === tx) reading = null
    }
    return await done(tx.objectStore(STORE).get(key))
  }
  const append = (records: number) => () => {
    const tx = db.transaction(STORE, 'readwrite', { durability: 'relaxed' })
    const size = Math.ceil((100 * 1024) / records)
    for (let r = 0; r < records; r++) tx.objectStore(STORE).put(new Uint8Array(size).fill(r), keyOf(next++))
    return committed(tx)
  }
  return {
    /** Ops/s (blocks/s for appends) over one window of `ms`. */
    async measure(kind: FloorWorkload, ms: number): Promise<number> {
      const fn = kind === 'random-get' ? get : append(kind === 'append-one-record' ? 1 : 17)
      const { opsPerSec } = await measure(fn, {
        opsPerCall: kind === 'random-get' ? 1 : 100,
        ms,
        warmupMs: 200
      })
      return opsPerSec
    },
    async destroy(): Promise<void> {
      db.close()
      await done(indexedDB.deleteDatabase(name))
    }
  }
}
