/**
 * The packed part of the IndexedDB layout. IndexedDB in Chromium pays mostly per record (a put of
 * one 100 KiB record costs about what ten 1 KiB puts do), so the fixed-width keys that dominate the
 * `blocks` and `tree` stores — Hypercore's `core id ‖ u64be(index)`, 12 bytes — are packed: keys
 * that differ only in the low bits of their last byte share one *group* record, keyed by the key
 * with those bits cleared. A point read is still one record fetch (the group), an append of 100
 * blocks writes a handful of records instead of hundreds.
 *
 * Groups stay small (well under the 64 KiB past which Chromium moves a value out of its database
 * into a blob file, and reads get several times slower): a value longer than the layout's
 * `inlineMax` is stored as its own record in the plain object store and the group only marks its
 * slot {@link EXTERNAL}. Keys of any other length live in the plain object store, one record each.
 *
 * Group record: `u8 format ‖ u16le count ‖ count × (u8 slot ‖ u8 kind ‖ u32le length) ‖ values`,
 * entries in slot order, kind 0 = value inline, 1 = value in the plain store.
 */
import { StorageCorruptError } from './errors.ts'
import { compareKeys } from './keys.ts'
import type { StoreName } from './types.ts'

/** How one logical store packs its fixed-width keys. */
export interface PackedLayout {
  /** The logical store. */
  readonly store: StoreName
  /** The object store holding its groups. */
  readonly idbStore: string
  /** Keys of exactly this many bytes are packed. */
  readonly keyBytes: number
  /** Low bits of the last key byte that pick the slot: a group holds `2 ** slotBits` keys. */
  readonly slotBits: number
  /** Longest value kept inside a group; longer ones are stored as their own record. */
  readonly inlineMax: number
}

/** Hypercore's `id ‖ u64be(index)` keys (see hypercore's storage layout). */
const INDEX_KEY_BYTES = 12

/**
 * Blocks: 8 per group, inline up to 4 KiB each (groups ≤ 32 KiB; reads of a group cost more the
 * bigger it is, appends less the fewer records they write). Tree nodes (`uint size ‖ hash`, 33–41
 * bytes): 256 per group (≈ 10 KiB). Fixed: a database's groups are laid out by these numbers.
 */
export const PACKED_LAYOUTS: readonly PackedLayout[] = [
  { store: 'blocks', idbStore: 'blocks#packed', keyBytes: INDEX_KEY_BYTES, slotBits: 3, inlineMax: 4096 },
  { store: 'tree', idbStore: 'tree#packed', keyBytes: INDEX_KEY_BYTES, slotBits: 8, inlineMax: 128 }
]

const BY_STORE = new Map<string, PackedLayout>(PACKED_LAYOUTS.map((l) => [l.store, l]))

/** The packing of `store`, if it packs any keys. */
export function packedLayout(store: StoreName): PackedLayout | undefined {
  return BY_STORE.get(store)
}

/** Marks a slot whose value lives in the plain object store. */
export const EXTERNAL: unique symbol = Symbol('external')
/** What a group says about one slot. */
export type SlotValue = Uint8Array | typeof EXTERNAL

/** The record of a group known to be absent (cached like any other record). */
export const ABSENT_GROUP = new Uint8Array(0)

const FORMAT = 1
const HEADER = 3
const ENTRY = 6

/** The group key of a packed key: its last byte's slot bits cleared. */
export function groupKeyOf(layout: PackedLayout, key: Uint8Array): Uint8Array {
  const g = key.slice()
  g[g.length - 1]! &= ~((1 << layout.slotBits) - 1)
  return g
}

/** The slot of a packed key in its group. */
export function slotOf(layout: PackedLayout, key: Uint8Array): number {
  return key[key.length - 1]! & ((1 << layout.slotBits) - 1)
}

/** The key in `slot` of group `groupKey` (a fresh array). */
export function keyInGroup(groupKey: Uint8Array, slot: number): Uint8Array {
  const k = groupKey.slice()
  k[k.length - 1]! |= slot
  return k
}

/** Whether `key` is packed under `layout` (when the store has one). */
export function isPacked(layout: PackedLayout | undefined, key: Uint8Array): layout is PackedLayout {
  return layout !== undefined && key.length === layout.keyBytes
}

function corrupt(): never {
  throw new StorageCorruptError('IndexedDB holds a malformed packed group')
}

function checkHeader(record: Uint8Array): number {
  if (record.length < HEADER || record[0] !== FORMAT) corrupt()
  const count = record[1]! | (record[2]! << 8)
  if (record.length < HEADER + count * ENTRY) corrupt()
  return count
}

/** What the group `record` holds in `slot`: a view into the record, {@link EXTERNAL} or null. */
export function lookupSlot(record: Uint8Array, slot: number): SlotValue | null {
  if (record.length === 0) return null
  const count = checkHeader(record)
  let offset = HEADER + count * ENTRY
  for (let i = 0, at = HEADER; i < count; i++, at += ENTRY) {
    const s = record[at]!
    const length = readU32(record, at + 2)
    if (s === slot) {
      if (record[at + 1] === 1) return EXTERNAL
      if (offset + length > record.length) corrupt()
      return record.subarray(offset, offset + length)
    }
    if (s > slot) return null
    offset += length
  }
  return null
}

/** Calls `fn` for every slot of the group `record` in slot order (values are views). */
export function forEachSlot(record: Uint8Array, fn: (slot: number, value: SlotValue) => void): void {
  if (record.length === 0) return
  const count = checkHeader(record)
  let offset = HEADER + count * ENTRY
  for (let i = 0, at = HEADER; i < count; i++, at += ENTRY) {
    const length = readU32(record, at + 2)
    if (record[at + 1] === 1) {
      fn(record[at]!, EXTERNAL)
      continue
    }
    if (offset + length > record.length) corrupt()
    fn(record[at]!, record.subarray(offset, offset + length))
    offset += length
  }
}

/** A group being changed by a batch: its slots, decoded from the record it started as. */
export class Group {
  readonly layout: PackedLayout
  readonly key: Uint8Array
  readonly slots: (SlotValue | undefined)[]
  /** Whether the batch changed it (it must be written back). */
  dirty = false

  constructor(layout: PackedLayout, key: Uint8Array, record: Uint8Array) {
    this.layout = layout
    this.key = key
    this.slots = new Array(1 << layout.slotBits)
    forEachSlot(record, (slot, value) => {
      this.slots[slot] = value
    })
  }

  /** Clears the slots whose keys fall in `[gte, lt)`. */
  clearRange(gte: Uint8Array, lt: Uint8Array): void {
    for (let slot = 0; slot < this.slots.length; slot++) {
      if (this.slots[slot] === undefined) continue
      const key = keyInGroup(this.key, slot)
      if (compareKeys(key, gte) >= 0 && compareKeys(key, lt) < 0) {
        this.slots[slot] = undefined
        this.dirty = true
      }
    }
  }

  /** The record of the group now, or {@link ABSENT_GROUP} when it holds nothing. */
  encode(): Uint8Array {
    let count = 0
    let bytes = 0
    for (const v of this.slots) {
      if (v === undefined) continue
      count++
      if (v !== EXTERNAL) bytes += v.length
    }
    if (count === 0) return ABSENT_GROUP
    const out = new Uint8Array(HEADER + count * ENTRY + bytes)
    out[0] = FORMAT
    out[1] = count & 0xff
    out[2] = count >>> 8
    let at = HEADER
    let offset = HEADER + count * ENTRY
    for (let slot = 0; slot < this.slots.length; slot++) {
      const v = this.slots[slot]
      if (v === undefined) continue
      out[at] = slot
      if (v === EXTERNAL) {
        out[at + 1] = 1
      } else {
        writeU32(out, at + 2, v.length)
        out.set(v, offset)
        offset += v.length
      }
      at += ENTRY
    }
    return out
  }
}

function readU32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0
}

function writeU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff
  b[at + 1] = (v >>> 8) & 0xff
  b[at + 2] = (v >>> 16) & 0xff
  b[at + 3] = v >>> 24
}
