/**
 * Reads of the IndexedDB adapter over its two layouts (see `idb-packed.ts`): a point read is one
 * record fetch (a group, or a plain record), a multi-get one transaction, a range page one
 * transaction that merges the plain records with the expanded groups in key order.
 */
import { StorageCorruptError, type StorageError } from './errors.ts'
import {
  ABSENT_GROUP,
  EXTERNAL,
  forEachSlot,
  groupKeyOf,
  isPacked,
  keyInGroup,
  lookupSlot,
  type PackedLayout,
  packedLayout,
  slotOf
} from './idb-packed.ts'
import type { GroupCache, ReadScope } from './idb-read-scope.ts'
import { type Bounds, compareKeys } from './keys.ts'
import type { StoreName } from './types.ts'

/** What the reads need from the adapter. */
export interface ReadContext {
  readonly scope: ReadScope
  /** The writer's group cache; null for read-only openers. */
  readonly cache: GroupCache | null
  mapError(err: unknown): StorageError
}

/** The value of `key` in `store`, or null. */
export function readOne(ctx: ReadContext, store: StoreName, key: Uint8Array): Promise<Uint8Array | null> {
  const layout = packedLayout(store)
  if (!isPacked(layout, key)) {
    return new Promise((resolve, reject) => {
      let req: IDBRequest
      try {
        req = ctx.scope.run((tx) => tx.objectStore(store).get(idbKey(key)))
      } catch (err) {
        reject(ctx.mapError(err))
        return
      }
      req.onsuccess = () => settleWith(resolve, reject, () => checkValue(req.result, store))
      req.onerror = () => reject(ctx.mapError(req.error))
    })
  }
  const groupKey = groupKeyOf(layout, key)
  const slot = slotOf(layout, key)
  const cache = ctx.cache
  const cacheKey = cache === null ? '' : cache.keyOf(layout, groupKey)
  const cached = cache?.lru.get(cacheKey)
  if (cached !== undefined) {
    const v = lookupSlot(cached, slot)
    if (v !== EXTERNAL) return Promise.resolve(v === null ? null : v.slice())
  }
  return new Promise((resolve, reject) => {
    const epoch = cache?.epoch ?? 0
    let req: IDBRequest
    try {
      req = ctx.scope.run((tx) => tx.objectStore(layout.idbStore).get(idbKey(groupKey)))
    } catch (err) {
      reject(ctx.mapError(err))
      return
    }
    req.onerror = () => reject(ctx.mapError(req.error))
    req.onsuccess = () => {
      try {
        const record = groupRecord(req.result)
        cache?.offer(cacheKey, record, epoch)
        const v = lookupSlot(record, slot)
        if (v !== EXTERNAL) {
          resolve(v === null ? null : v.slice())
          return
        }
        // Still inside the transaction's callback: the plain record is read in the same snapshot.
        const plain = req.transaction!.objectStore(store).get(idbKey(key))
        plain.onsuccess = () => settleWith(resolve, reject, () => checkValue(plain.result, store))
        plain.onerror = () => reject(ctx.mapError(plain.error))
      } catch (err) {
        reject(err)
      }
    }
  })
}

/** The values of `keys` in `store`, read in one transaction. */
export function readMany(
  ctx: ReadContext,
  store: StoreName,
  keys: readonly Uint8Array[]
): Promise<(Uint8Array | null)[]> {
  const out = new Array<Uint8Array | null>(keys.length).fill(null)
  const layout = packedLayout(store)
  const cache = ctx.cache
  const plain: number[] = []
  const groups = new Map<string, { key: Uint8Array; wanted: number[] }>()
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!
    if (!isPacked(layout, key)) {
      plain.push(i)
      continue
    }
    const groupKey = groupKeyOf(layout, key)
    const cacheKey = cache === null ? groupKey.join() : cache.keyOf(layout, groupKey)
    const cached = cache?.lru.get(cacheKey)
    if (cached !== undefined) {
      const v = lookupSlot(cached, slotOf(layout, key))
      if (v !== EXTERNAL) {
        out[i] = v === null ? null : v.slice()
        continue
      }
    }
    let g = groups.get(cacheKey)
    if (g === undefined) {
      g = { key: groupKey, wanted: [] }
      groups.set(cacheKey, g)
    }
    g.wanted.push(i)
  }
  if (plain.length === 0 && groups.size === 0) return Promise.resolve(out)
  return new Promise((resolve, reject) => {
    let left = 0
    let failed = false
    const fail = (err: unknown) => {
      if (!failed) reject(err)
      failed = true
    }
    const doneOne = () => {
      if (--left === 0 && !failed) resolve(out)
    }
    const readPlain = (tx: IDBTransaction, i: number) => {
      left++
      const req = tx.objectStore(store).get(idbKey(keys[i]!))
      req.onsuccess = () => {
        try {
          out[i] = checkValue(req.result, store)
          doneOne()
        } catch (err) {
          fail(err)
        }
      }
      req.onerror = () => fail(ctx.mapError(req.error))
    }
    const epoch = cache?.epoch ?? 0
    const issue = (tx: IDBTransaction) => {
      left = 0 // a retry on a fresh transaction starts over (see ReadScope.run)
      for (const [cacheKey, g] of groups) {
        left++
        const req = tx.objectStore(layout!.idbStore).get(idbKey(g.key))
        req.onsuccess = () => {
          try {
            const record = groupRecord(req.result)
            cache?.offer(cacheKey, record, epoch)
            for (const i of g.wanted) {
              const v = lookupSlot(record, slotOf(layout!, keys[i]!))
              if (v === EXTERNAL) readPlain(tx, i)
              else out[i] = v === null ? null : v.slice()
            }
            doneOne()
          } catch (err) {
            fail(err)
          }
        }
        req.onerror = () => fail(ctx.mapError(req.error))
      }
      for (const i of plain) readPlain(tx, i)
    }
    try {
      ctx.scope.run(issue)
    } catch (err) {
      fail(ctx.mapError(err))
    }
  })
}

/** One page of a range walk; `next` is where to go on, null once the range is exhausted. */
export interface RangePage {
  entries: [Uint8Array, Uint8Array][]
  next: Bounds | null
}

/**
 * Up to `want` entries of `store` within `bounds`, from one transaction. The plain records and the
 * groups are fetched in one page each and merged; entries past what both fetches cover are left
 * for the next page.
 */
export function readPage(
  ctx: ReadContext,
  store: StoreName,
  bounds: Bounds,
  want: number
): Promise<RangePage> {
  const layout = packedLayout(store)
  const groupRange = layout === undefined ? undefined : groupKeyRange(layout, bounds)
  const groupCount = layout === undefined ? 0 : Math.min(64, Math.ceil(want / (1 << layout.slotBits)) + 1)
  return new Promise((resolve, reject) => {
    let plain: [Uint8Array, Uint8Array][] = []
    let groups: [Uint8Array, Uint8Array][] = []
    let left = 0
    let failed = false
    const fail = (err: unknown) => {
      if (!failed) reject(err)
      failed = true
    }
    const finish = () => {
      if (--left > 0 || failed) return
      try {
        resolve(mergePage(store, layout, bounds, want, plain, groups, groupCount))
      } catch (err) {
        fail(err)
      }
    }
    const issue = (tx: IDBTransaction) => {
      left = 1 // a retry on a fresh transaction starts over (see ReadScope.run)
      fetchRecords(
        tx.objectStore(store),
        toKeyRange(bounds),
        bounds.reverse,
        want,
        (records) => {
          plain = records
          finish()
        },
        (err) => fail(ctx.mapError(err))
      )
      if (layout !== undefined && groupRange !== undefined && groupRange !== NO_GROUPS) {
        left++
        fetchRecords(
          tx.objectStore(layout.idbStore),
          groupRange,
          bounds.reverse,
          groupCount,
          (records) => {
            groups = records
            finish()
          },
          (err) => fail(ctx.mapError(err))
        )
      }
    }
    try {
      ctx.scope.run(issue)
    } catch (err) {
      fail(ctx.mapError(err))
    }
  })
}

function mergePage(
  store: StoreName,
  layout: PackedLayout | undefined,
  bounds: Bounds,
  want: number,
  plain: [Uint8Array, Uint8Array][],
  groups: [Uint8Array, Uint8Array][],
  groupCount: number
): RangePage {
  const dir = bounds.reverse ? -1 : 1
  for (const entry of plain) entry[1] = checkValue(entry[1], store)!
  let merged = plain
  // Where each full fetch stops covering the key space: nothing past it is known yet.
  let cutoff: Uint8Array | null = plain.length === want ? plain[plain.length - 1]![0] : null
  if (layout !== undefined && groups.length > 0) {
    const packed: [Uint8Array, Uint8Array][] = []
    for (const [groupKey, value] of groups) {
      const record = groupRecord(value)
      const slots: [Uint8Array, Uint8Array][] = []
      forEachSlot(record, (slot, v) => {
        // A value stored outside its group comes with the plain records.
        if (v === EXTERNAL) return
        const key = keyInGroup(groupKey, slot)
        if (inBounds(bounds, key)) slots.push([key, v.slice()])
      })
      if (bounds.reverse) slots.reverse()
      for (const s of slots) packed.push(s)
    }
    if (groups.length === groupCount) {
      const last = groups[groups.length - 1]![0]
      const edge = bounds.reverse ? last : keyInGroup(last, (1 << layout.slotBits) - 1)
      if (cutoff === null || compareKeys(edge, cutoff) * dir < 0) cutoff = edge
    }
    merged = mergeSorted(plain, packed, dir)
  }
  if (cutoff !== null) {
    let end = merged.length
    while (end > 0 && compareKeys(merged[end - 1]![0], cutoff) * dir > 0) end--
    merged.length = end
  }
  const entries = merged.length > want ? merged.slice(0, want) : merged
  if (entries.length === want && want > 0) {
    return { entries, next: after(bounds, entries[entries.length - 1]![0], entries.length) }
  }
  return { entries, next: cutoff === null ? null : after(bounds, cutoff, entries.length) }
}

/** `bounds` past `last` (exclusive), with `taken` fewer entries left to yield. */
function after(b: Bounds, last: Uint8Array, taken: number): Bounds {
  const limit = b.limit - taken
  return b.reverse
    ? { ...b, upper: last, upperInclusive: false, limit }
    : { ...b, lower: last, lowerInclusive: false, limit }
}

function mergeSorted(
  a: [Uint8Array, Uint8Array][],
  b: [Uint8Array, Uint8Array][],
  dir: number
): [Uint8Array, Uint8Array][] {
  if (a.length === 0) return b
  if (b.length === 0) return a
  const out: [Uint8Array, Uint8Array][] = []
  let i = 0
  let j = 0
  while (i < a.length && j < b.length) {
    if (compareKeys(a[i]![0], b[j]![0]) * dir <= 0) out.push(a[i++]!)
    else out.push(b[j++]!)
  }
  while (i < a.length) out.push(a[i++]!)
  while (j < b.length) out.push(b[j++]!)
  return out
}

function inBounds(b: Bounds, key: Uint8Array): boolean {
  if (b.lower !== null) {
    const c = compareKeys(key, b.lower)
    if (c < 0 || (c === 0 && !b.lowerInclusive)) return false
  }
  if (b.upper !== null) {
    const c = compareKeys(key, b.upper)
    if (c > 0 || (c === 0 && !b.upperInclusive)) return false
  }
  return true
}

/** {@link groupKeyRange}'s answer when no group can hold a key within the bounds. */
const NO_GROUPS = false

/**
 * The group keys that can hold keys within `bounds` (a superset: entries are filtered after; null
 * for all of them), or {@link NO_GROUPS}. A group's key is ≤ every key in it, and clearing slot
 * bits keeps the order of same-length keys.
 */
function groupKeyRange(layout: PackedLayout, b: Bounds): IDBKeyRange | null | typeof NO_GROUPS {
  const lower =
    b.lower === null
      ? null
      : b.lower.length >= layout.keyBytes
        ? groupKeyOf(layout, b.lower.subarray(0, layout.keyBytes))
        : b.lower
  const upper = b.upper
  if (lower !== null && upper !== null) {
    return compareKeys(lower, upper) > 0 ? NO_GROUPS : IDBKeyRange.bound(lower, upper)
  }
  if (lower !== null) return IDBKeyRange.lowerBound(lower)
  if (upper !== null) return IDBKeyRange.upperBound(upper)
  return null
}

interface IdbRecord {
  key: IDBValidKey
  value: unknown
}

/** Up to `count` records of `os` in `query`, in order or reverse, handed to `done` as bytes. */
function fetchRecords(
  os: IDBObjectStore,
  query: IDBKeyRange | null,
  reverse: boolean,
  count: number,
  done: (records: [Uint8Array, Uint8Array][]) => void,
  fail: (err: unknown) => void
): void {
  const out: [Uint8Array, Uint8Array][] = []
  if (!reverse) {
    // Two bulk reads in one transaction see the same state, so keys and values line up.
    const keys = os.getAllKeys(query, count)
    const values = os.getAll(query, count)
    keys.onerror = () => fail(keys.error)
    values.onerror = () => fail(values.error)
    values.onsuccess = () => {
      const ks = keys.result
      const vs = values.result
      for (let i = 0; i < ks.length; i++) out.push([keyBytes(ks[i]!), vs[i] as Uint8Array])
      done(out)
    }
    return
  }
  const bulk = os as IDBObjectStore & { getAllRecords?: (opts: object) => IDBRequest<IdbRecord[]> }
  if (typeof bulk.getAllRecords === 'function') {
    const req = bulk.getAllRecords({ query, count, direction: 'prev' })
    req.onerror = () => fail(req.error)
    req.onsuccess = () => {
      for (const record of req.result) out.push([keyBytes(record.key), record.value as Uint8Array])
      done(out)
    }
    return
  }
  const cursor = os.openCursor(query, 'prev')
  cursor.onerror = () => fail(cursor.error)
  cursor.onsuccess = () => {
    const c = cursor.result
    if (c !== null) out.push([keyBytes(c.key), c.value as Uint8Array])
    if (c === null || out.length >= count) done(out)
    else c.continue()
  }
}

function settleWith<T>(resolve: (v: T) => void, reject: (err: unknown) => void, fn: () => T): void {
  try {
    resolve(fn())
  } catch (err) {
    reject(err)
  }
}

/** A value IndexedDB handed back, checked to be what we store (bytes). */
export function checkValue(value: unknown, store: string): Uint8Array | null {
  if (value === undefined || value === null) return null
  if (value instanceof Uint8Array) return value
  throw new StorageCorruptError(`IndexedDB store ${store} holds a value that is not bytes`)
}

/** A group record IndexedDB handed back ({@link ABSENT_GROUP} when there is none). */
export function groupRecord(value: unknown): Uint8Array {
  return checkValue(value, 'of packed groups') ?? ABSENT_GROUP
}

export function keyBytes(key: IDBValidKey): Uint8Array {
  if (key instanceof ArrayBuffer) return new Uint8Array(key)
  if (ArrayBuffer.isView(key))
    return new Uint8Array(key.buffer.slice(key.byteOffset, key.byteOffset + key.byteLength))
  throw new StorageCorruptError('IndexedDB returned a key that is not binary')
}

/**
 * Our keys as IndexedDB binary keys. (The DOM typings only admit views over a plain ArrayBuffer;
 * IndexedDB reads just the view's bytes either way.)
 */
export function idbKey(key: Uint8Array): IDBValidKey {
  return key as Uint8Array<ArrayBuffer>
}

export function toKeyRange(b: Bounds): IDBKeyRange | null {
  if (b.lower !== null && b.upper !== null)
    return IDBKeyRange.bound(b.lower, b.upper, !b.lowerInclusive, !b.upperInclusive)
  if (b.lower !== null) return IDBKeyRange.lowerBound(b.lower, !b.lowerInclusive)
  if (b.upper !== null) return IDBKeyRange.upperBound(b.upper, !b.upperInclusive)
  return null
}
