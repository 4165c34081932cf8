/**
 * One atomic batch of the IndexedDB adapter, applied in one readwrite transaction over the two
 * layouts (see `idb-packed.ts`). The groups the batch changes are read first — from the writer's
 * cache, or from IndexedDB inside the same transaction — then every operation is placed in batch
 * order and each changed group is written back once. Nothing is placed until the groups are in
 * hand, so requests run in exactly the batch's order.
 */
import {
  ABSENT_GROUP,
  EXTERNAL,
  Group,
  groupKeyOf,
  isPacked,
  type PackedLayout,
  packedLayout,
  slotOf
} from './idb-packed.ts'
import type { GroupCache } from './idb-read-scope.ts'
import { groupRecord, idbKey, keyBytes } from './idb-reads.ts'
import { compareKeys } from './keys.ts'
import type { BatchOp, StoreName } from './types.ts'

/** The object stores a batch on `stores` writes to. */
export function batchObjectStores(stores: readonly StoreName[]): string[] {
  const out: string[] = []
  for (const store of stores) {
    out.push(store)
    const layout = packedLayout(store)
    if (layout !== undefined) out.push(layout.idbStore)
  }
  return out
}

/** Copies of the ops' bytes: the batch is applied later, and callers may reuse their buffers. */
export function ownOps(ops: readonly BatchOp[]): BatchOp[] {
  return ops.map((op) =>
    op.type === 'put'
      ? { type: 'put', store: op.store, key: op.key.slice(), value: op.value.slice() }
      : op.type === 'del'
        ? { type: 'del', store: op.store, key: op.key.slice() }
        : { type: 'delRange', store: op.store, gte: op.gte.slice(), lt: op.lt.slice() }
  )
}

interface Touched {
  layout: PackedLayout
  key: Uint8Array
  group: Group | null
}

/** What a placed batch leaves for the cache once its transaction commits. */
export interface PlacedBatch {
  /** Group records as they will be, by cache key. */
  records: Map<string, Uint8Array>
  /** The highest group key per group store, as it will be (see {@link GroupCache.highest}). */
  highest: Map<string, Uint8Array | null>
  /** Spans of group keys a range delete dropped, per group store. */
  dropped: [layout: PackedLayout, gte: Uint8Array, lt: Uint8Array][]
}

/** Records what a committed batch left in `cache`. */
export function cacheBatch(cache: GroupCache, placed: PlacedBatch): void {
  for (const [layout, gte, lt] of placed.dropped) {
    const prefix = cache.keyOf(layout, new Uint8Array(0))
    const from = cache.keyOf(layout, gte)
    const to = cache.keyOf(layout, lt)
    // Cache keys order like group keys (one char per byte after the store's prefix).
    cache.lru.deleteWhere((key) => key.startsWith(prefix) && key >= from && key < to)
  }
  for (const [key, record] of placed.records) cache.lru.set(key, record)
  for (const [store, key] of placed.highest) cache.highest.set(store, key)
}

/**
 * Places `ops` on `tx` (a readwrite transaction over {@link batchObjectStores}). Returns what the
 * cache learns once `tx` commits. `fail` is called (and the transaction aborted) if a stored group
 * turns out malformed.
 */
export function placeBatch(
  tx: IDBTransaction,
  ops: readonly BatchOp[],
  cache: GroupCache,
  fail: (err: unknown) => void
): PlacedBatch {
  const touched = new Map<string, Touched>()
  const touch = (layout: PackedLayout, key: Uint8Array) => {
    const groupKey = groupKeyOf(layout, key)
    const cacheKey = cache.keyOf(layout, groupKey)
    if (!touched.has(cacheKey)) touched.set(cacheKey, { layout, key: groupKey, group: null })
  }
  for (const op of ops) {
    const layout = packedLayout(op.store)
    if (layout === undefined) continue
    if (op.type !== 'delRange') {
      if (isPacked(layout, op.key)) touch(layout, op.key)
      continue
    }
    // The groups a range cuts through keep their keys outside it: they are rewritten, not dropped.
    if (op.gte.length >= layout.keyBytes) touch(layout, op.gte.subarray(0, layout.keyBytes))
    if (op.lt.length >= layout.keyBytes) touch(layout, op.lt.subarray(0, layout.keyBytes))
  }

  const placed: PlacedBatch = { records: new Map(), highest: new Map(), dropped: [] }
  const records = placed.records
  let missing = 0
  for (const t of touched.values()) {
    const store = t.layout.idbStore
    if (cache.highest.has(store) || placed.highest.has(store)) continue
    // Learn the highest group once (the first request, so it sees the state before this batch).
    placed.highest.set(store, null)
    const last = tx.objectStore(store).openKeyCursor(null, 'prev')
    last.onsuccess = () => {
      if (last.result !== null) raiseHighest(placed, store, keyBytes(last.result.key))
    }
  }
  for (const [cacheKey, t] of touched) {
    const record = cache.lru.get(cacheKey)
    const highest = cache.highest.get(t.layout.idbStore)
    if (
      record !== undefined ||
      (highest !== undefined && (highest === null || compareKeys(t.key, highest) > 0))
    ) {
      t.group = new Group(t.layout, t.key, record ?? ABSENT_GROUP)
      continue
    }
    missing++
    const req = tx.objectStore(t.layout.idbStore).get(idbKey(t.key))
    req.onsuccess = () => {
      try {
        const stored = groupRecord(req.result)
        t.group = new Group(t.layout, t.key, stored)
        records.set(cacheKey, stored)
        if (--missing === 0) placeOps(tx, ops, touched, placed, cache)
      } catch (err) {
        fail(err)
        tx.abort()
      }
    }
  }
  if (missing === 0) placeOps(tx, ops, touched, placed, cache)
  return placed
}

function raiseHighest(placed: PlacedBatch, store: string, key: Uint8Array): void {
  const now = placed.highest.get(store)
  if (now === undefined || now === null || compareKeys(key, now) > 0) placed.highest.set(store, key)
}

function placeOps(
  tx: IDBTransaction,
  ops: readonly BatchOp[],
  touched: Map<string, Touched>,
  placed: PlacedBatch,
  cache: GroupCache
): void {
  const groupOf = (layout: PackedLayout, key: Uint8Array) =>
    touched.get(cache.keyOf(layout, groupKeyOf(layout, key)))!.group!
  for (const op of ops) {
    const plain = tx.objectStore(op.store)
    const layout = packedLayout(op.store)
    if (op.type === 'delRange') {
      if (compareKeys(op.gte, op.lt) >= 0) continue
      plain.delete(IDBKeyRange.bound(op.gte, op.lt, false, true))
      if (layout === undefined) continue
      // Every group keyed in [gte, lt) holds only keys in the range, but for the one `lt` cuts
      // through, which is touched and rewritten below with what it keeps.
      tx.objectStore(layout.idbStore).delete(IDBKeyRange.bound(op.gte, op.lt, false, true))
      placed.dropped.push([layout, op.gte, op.lt])
      for (const t of touched.values()) {
        if (t.layout !== layout) continue
        t.group!.clearRange(op.gte, op.lt)
        t.group!.dirty = true // it may have been in the deleted span: written back either way
      }
      continue
    }
    if (!isPacked(layout, op.key)) {
      if (op.type === 'put') plain.put(op.value, idbKey(op.key))
      else plain.delete(idbKey(op.key))
      continue
    }
    const group = groupOf(layout, op.key)
    const slot = slotOf(layout, op.key)
    const was = group.slots[slot]
    group.dirty = true
    if (op.type === 'del') {
      if (was === EXTERNAL) plain.delete(idbKey(op.key))
      group.slots[slot] = undefined
    } else if (op.value.length > layout.inlineMax) {
      plain.put(op.value, idbKey(op.key))
      group.slots[slot] = EXTERNAL
    } else {
      if (was === EXTERNAL) plain.delete(idbKey(op.key))
      group.slots[slot] = op.value
    }
  }
  for (const [cacheKey, t] of touched) {
    const group = t.group!
    if (!group.dirty) continue
    const record = group.encode()
    const os = tx.objectStore(t.layout.idbStore)
    if (record === ABSENT_GROUP) {
      os.delete(idbKey(t.key))
    } else {
      os.put(record, idbKey(t.key))
      const store = t.layout.idbStore
      if (placed.highest.has(store) || cache.highest.has(store)) {
        if (!placed.highest.has(store)) placed.highest.set(store, cache.highest.get(store)!)
        raiseHighest(placed, store, t.key)
      }
    }
    placed.records.set(cacheKey, record)
  }
}
