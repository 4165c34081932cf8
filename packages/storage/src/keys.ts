/**
 * Key order and argument checks shared by the adapters. Keys compare bytewise as unsigned bytes,
 * a proper prefix first: the order of IndexedDB binary keys and of RocksDB's default comparator.
 */
import { StorageArgumentError } from './errors.ts'
import { type BatchOp, type KeyRange, STORE_NAMES, type StoreName } from './types.ts'

/** Bytewise comparison: negative if `a < b`, 0 if equal, positive if `a > b`. */
export function compareKeys(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!
    if (d !== 0) return d
  }
  return a.length - b.length
}

const STORE_SET: ReadonlySet<string> = new Set(STORE_NAMES)

/** Index of a store in {@link STORE_NAMES}; throws on anything else. */
export function storeIndex(store: StoreName): number {
  const i = STORE_NAMES.indexOf(store)
  if (i === -1) throw new StorageArgumentError(`Unknown store ${JSON.stringify(store)}`)
  return i
}

export function assertStore(store: unknown): asserts store is StoreName {
  if (typeof store !== 'string' || !STORE_SET.has(store)) {
    throw new StorageArgumentError(
      `Unknown store ${JSON.stringify(store)}; expected one of ${STORE_NAMES.join(', ')}`
    )
  }
}

export function assertBytes(bytes: unknown, what: string): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new StorageArgumentError(`${what} must be a Uint8Array`)
}

/** Checks a whole batch before anything is applied, so a malformed op fails the batch untouched. */
export function assertBatch(ops: readonly BatchOp[]): void {
  if (!Array.isArray(ops)) throw new StorageArgumentError('write() takes an array of operations')
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as BatchOp | undefined
    if (op === null || typeof op !== 'object')
      throw new StorageArgumentError(`Operation ${i} is not an object`)
    assertStore(op.store)
    // the messages are only built on failure: this runs for every op of every write
    switch (op.type) {
      case 'put':
        if (!(op.key instanceof Uint8Array)) assertBytes(op.key, `Operation ${i} key`)
        if (!(op.value instanceof Uint8Array)) assertBytes(op.value, `Operation ${i} value`)
        break
      case 'del':
        if (!(op.key instanceof Uint8Array)) assertBytes(op.key, `Operation ${i} key`)
        break
      case 'delRange':
        if (!(op.gte instanceof Uint8Array)) assertBytes(op.gte, `Operation ${i} gte`)
        if (!(op.lt instanceof Uint8Array)) assertBytes(op.lt, `Operation ${i} lt`)
        break
      default:
        throw new StorageArgumentError(
          `Operation ${i} has unknown type ${JSON.stringify((op as { type: unknown }).type)}`
        )
    }
  }
}

/** The distinct stores a batch touches, in {@link STORE_NAMES} order. */
export function touchedStores(ops: readonly BatchOp[]): StoreName[] {
  let mask = 0
  for (const op of ops) mask |= 1 << STORE_NAMES.indexOf(op.store)
  return STORE_NAMES.filter((_, i) => mask & (1 << i))
}

/** A validated {@link KeyRange}: one optional bound per side, direction, limit. */
export interface Bounds {
  lower: Uint8Array | null
  lowerInclusive: boolean
  upper: Uint8Array | null
  upperInclusive: boolean
  reverse: boolean
  /** `Infinity` when unlimited. */
  limit: number
}

/** Validates a range and folds it into {@link Bounds}. */
export function toBounds(range: KeyRange = {}): Bounds {
  if (range === null || typeof range !== 'object') throw new StorageArgumentError('range must be an object')
  const { gt, gte, lt, lte, reverse = false, limit = Infinity } = range
  if (gt !== undefined && gte !== undefined) throw new StorageArgumentError('range has both gt and gte')
  if (lt !== undefined && lte !== undefined) throw new StorageArgumentError('range has both lt and lte')
  if (gt !== undefined) assertBytes(gt, 'range.gt')
  if (gte !== undefined) assertBytes(gte, 'range.gte')
  if (lt !== undefined) assertBytes(lt, 'range.lt')
  if (lte !== undefined) assertBytes(lte, 'range.lte')
  if (typeof limit !== 'number' || !(limit >= 0) || (limit !== Infinity && !Number.isInteger(limit))) {
    throw new StorageArgumentError('range.limit must be a non-negative integer')
  }
  return {
    lower: gt ?? gte ?? null,
    lowerInclusive: gt === undefined,
    upper: lt ?? lte ?? null,
    upperInclusive: lt === undefined,
    reverse: reverse === true,
    limit
  }
}

/** True if no key can fall inside `b` (inverted or touching-but-exclusive bounds). */
export function boundsEmpty(b: Bounds): boolean {
  if (b.limit === 0) return true
  if (b.lower === null || b.upper === null) return false
  const c = compareKeys(b.lower, b.upper)
  return c > 0 || (c === 0 && !(b.lowerInclusive && b.upperInclusive))
}

/**
 * A key as a binary string: one char (0-255) per byte. Strings compare by code unit, so their
 * order is the bytewise order of the keys.
 */
export function binaryKey(key: Uint8Array): string {
  if (key.length <= 4096) return String.fromCharCode.apply(null, key as unknown as number[])
  let s = ''
  for (let i = 0; i < key.length; i += 4096) {
    s += String.fromCharCode.apply(null, key.subarray(i, i + 4096) as unknown as number[])
  }
  return s
}

/** The bytes of a binary-string key, in a fresh array. */
export function keyBytes(key: string): Uint8Array {
  const out = new Uint8Array(key.length)
  for (let i = 0; i < key.length; i++) out[i] = key.charCodeAt(i)
  return out
}

/** {@link Bounds} with binary-string keys, as the sorted map takes them. */
export interface BinaryBounds {
  lower: string | null
  lowerInclusive: boolean
  upper: string | null
  upperInclusive: boolean
  reverse: boolean
}

export function binaryBounds(b: Bounds): BinaryBounds {
  return {
    lower: b.lower === null ? null : binaryKey(b.lower),
    lowerInclusive: b.lowerInclusive,
    upper: b.upper === null ? null : binaryKey(b.upper),
    upperInclusive: b.upperInclusive,
    reverse: b.reverse
  }
}

/** The binary bounds left to walk after a page that ended at `last`. */
export function binaryBoundsAfter(b: BinaryBounds, last: string): BinaryBounds {
  return b.reverse
    ? { ...b, upper: last, upperInclusive: false }
    : { ...b, lower: last, lowerInclusive: false }
}

/**
 * The bounds left to walk after a page that ended at `last`: the walked side is tightened to
 * exclude `last`, the limit is reduced by `taken`.
 */
export function boundsAfter(b: Bounds, last: Uint8Array, taken: number): Bounds {
  const limit = b.limit - taken
  return b.reverse
    ? { ...b, upper: last, upperInclusive: false, limit }
    : { ...b, lower: last, lowerInclusive: false, limit }
}
