/**
 * An ordered map from byte keys to values: a list of sorted chunks (a one-level B+tree). Appends
 * at the end and near-end inserts (the common Hypercore pattern) cost a binary search and a short
 * splice; lookups are two binary searches. Shared by the memory adapter (values) and the file
 * adapter (value locations).
 *
 * Keys are binary strings (one char per byte, see `binaryKey`): JavaScript compares them by code
 * unit, which is bytewise order, natively; and a string is one cheap heap object where a
 * Uint8Array is three — with hundreds of thousands of keys that is most of the GC work saved.
 */
import type { BinaryBounds } from './keys.ts'

const MAX_CHUNK = 1024
const MIN_CHUNK = 256

interface Chunk<V> {
  keys: string[]
  values: V[]
}

export class SortedMap<V> {
  #chunks: Chunk<V>[] = []
  #size = 0

  /** Number of keys. */
  get size(): number {
    return this.#size
  }

  /** The value of `key`, or undefined. */
  get(key: string): V | undefined {
    const ci = this.#chunkFor(key, false)
    if (ci === this.#chunks.length) return undefined
    const c = this.#chunks[ci]!
    const i = lowerBound(c.keys, key, false)
    return i < c.keys.length && c.keys[i] === key ? c.values[i] : undefined
  }

  /** Sets `key`. Returns the replaced value, if any. */
  set(key: string, value: V): V | undefined {
    const chunks = this.#chunks
    if (chunks.length === 0) {
      chunks.push({ keys: [key], values: [value] })
      this.#size++
      return undefined
    }
    let ci = this.#chunkFor(key, false)
    if (ci === chunks.length) ci--
    const c = chunks[ci]!
    const keys = c.keys
    // Fast path: appending past the last key.
    if (ci === chunks.length - 1 && keys[keys.length - 1]! < key) {
      keys.push(key)
      c.values.push(value)
    } else {
      const i = lowerBound(keys, key, false)
      if (i < keys.length && keys[i] === key) {
        const old = c.values[i]
        c.values[i] = value
        return old
      }
      keys.splice(i, 0, key)
      c.values.splice(i, 0, value)
    }
    this.#size++
    if (keys.length > MAX_CHUNK) {
      const half = keys.length >>> 1
      chunks.splice(ci + 1, 0, { keys: keys.splice(half), values: c.values.splice(half) })
    }
    return undefined
  }

  /** Removes `key`. Returns the removed value, if any. */
  delete(key: string): V | undefined {
    const ci = this.#chunkFor(key, false)
    if (ci === this.#chunks.length) return undefined
    const c = this.#chunks[ci]!
    const i = lowerBound(c.keys, key, false)
    if (i === c.keys.length || c.keys[i] !== key) return undefined
    const old = c.values[i]
    c.keys.splice(i, 1)
    c.values.splice(i, 1)
    this.#size--
    this.#shrunk(ci)
    return old
  }

  /** Removes every key in `[gte, lt)`, calling `onDelete` for each. Returns how many. */
  deleteRange(gte: string, lt: string, onDelete?: (key: string, value: V) => void): number {
    if (gte >= lt) return 0
    const chunks = this.#chunks
    let ci = this.#chunkFor(gte, false)
    let removed = 0
    while (ci < chunks.length) {
      const c = chunks[ci]!
      const start = lowerBound(c.keys, gte, false)
      const end = lowerBound(c.keys, lt, false)
      // Keys at or past `lt` remain in this chunk: nothing further right can be in range.
      const reachedEnd = end < c.keys.length
      if (end > start) {
        if (onDelete) for (let i = start; i < end; i++) onDelete(c.keys[i]!, c.values[i]!)
        c.keys.splice(start, end - start)
        c.values.splice(start, end - start)
        removed += end - start
      }
      if (c.keys.length === 0) {
        chunks.splice(ci, 1)
        continue
      }
      if (reachedEnd) break
      ci++
    }
    this.#size -= removed
    this.#rebalance()
    return removed
  }

  /** Removes everything. */
  clear(): void {
    this.#chunks = []
    this.#size = 0
  }

  /**
   * Visits up to `max` entries within `bounds` (ignoring `bounds.limit`), in `bounds`' direction.
   * Returns how many were visited. Keys and values are the map's own: do not mutate.
   */
  scan(bounds: BinaryBounds, max: number, visit: (key: string, value: V) => void): number {
    const chunks = this.#chunks
    let n = 0
    if (!bounds.reverse) {
      let ci = 0
      let i = 0
      if (bounds.lower !== null) {
        ci = this.#chunkFor(bounds.lower, !bounds.lowerInclusive)
        if (ci < chunks.length) i = lowerBound(chunks[ci]!.keys, bounds.lower, !bounds.lowerInclusive)
      }
      const upper = bounds.upper
      while (ci < chunks.length && n < max) {
        const c = chunks[ci]!
        const keys = c.keys
        for (; i < keys.length && n < max; i++) {
          const key = keys[i]!
          if (upper !== null && (key > upper || (key === upper && !bounds.upperInclusive))) return n
          visit(key, c.values[i]!)
          n++
        }
        ci++
        i = 0
      }
      return n
    }
    let ci = chunks.length - 1
    let i = ci >= 0 ? chunks[ci]!.keys.length - 1 : -1
    if (bounds.upper !== null) {
      // The last key <= upper (inclusive) is just before the first key > upper.
      ci = this.#chunkFor(bounds.upper, bounds.upperInclusive)
      if (ci === chunks.length) {
        ci--
        i = ci >= 0 ? chunks[ci]!.keys.length - 1 : -1
      } else {
        i = lowerBound(chunks[ci]!.keys, bounds.upper, bounds.upperInclusive) - 1
      }
    }
    const lower = bounds.lower
    while (ci >= 0 && n < max) {
      const c = chunks[ci]!
      for (; i >= 0 && n < max; i--) {
        const key = c.keys[i]!
        if (lower !== null && (key < lower || (key === lower && !bounds.lowerInclusive))) return n
        visit(key, c.values[i]!)
        n++
      }
      ci--
      if (ci >= 0) i = chunks[ci]!.keys.length - 1
    }
    return n
  }

  /** Index of the first chunk whose last key is >= `key` (> if `strict`); `length` if none. */
  #chunkFor(key: string, strict: boolean): number {
    const chunks = this.#chunks
    let lo = 0
    let hi = chunks.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const keys = chunks[mid]!.keys
      const last = keys[keys.length - 1]!
      if (last < key || (strict && last === key)) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** Keeps chunks from emptying out or fragmenting after a delete in chunk `ci`. */
  #shrunk(ci: number): void {
    const chunks = this.#chunks
    const c = chunks[ci]!
    if (c.keys.length === 0) {
      chunks.splice(ci, 1)
      return
    }
    if (c.keys.length < MIN_CHUNK && ci + 1 < chunks.length) {
      const next = chunks[ci + 1]!
      if (c.keys.length + next.keys.length <= MAX_CHUNK) {
        for (let i = 0; i < next.keys.length; i++) {
          c.keys.push(next.keys[i]!)
          c.values.push(next.values[i]!)
        }
        chunks.splice(ci + 1, 1)
      }
    }
  }

  /** Merges undersized neighbours after a range delete. */
  #rebalance(): void {
    const chunks = this.#chunks
    for (let ci = 0; ci < chunks.length - 1; ) {
      const c = chunks[ci]!
      const next = chunks[ci + 1]!
      if (c.keys.length < MIN_CHUNK && c.keys.length + next.keys.length <= MAX_CHUNK) {
        for (let i = 0; i < next.keys.length; i++) {
          c.keys.push(next.keys[i]!)
          c.values.push(next.values[i]!)
        }
        chunks.splice(ci + 1, 1)
      } else {
        ci++
      }
    }
  }
}

/** First index in sorted `keys` whose key is >= `key` (> if `strict`). */
function lowerBound(keys: string[], key: string, strict: boolean): number {
  let lo = 0
  let hi = keys.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const k = keys[mid]!
    if (k < key || (strict && k === key)) lo = mid + 1
    else hi = mid
  }
  return lo
}
