/**
 * The file adapter's in-memory index: per store, an ordered map from key to the value — small
 * values inline (as a binary string), larger ones as their place in the log. Built by replaying
 * records, and kept current by applying each record as it is appended.
 */

import { StorageCorruptError } from '../errors.ts'
import { binaryKey, keyBytes } from '../keys.ts'
import { SortedMap } from '../sorted-map.ts'
import { STORE_NAMES } from '../types.ts'
import type { ScanSink } from './scan.ts'
import type { LogFile } from './volume.ts'

/** A value in the index: small values inline (as a binary string), else where it sits in the log. */
export type IndexValue = string | ValueRef

export class ValueRef {
  readonly offset: number
  readonly length: number
  constructor(offset: number, length: number) {
    this.offset = offset
    this.length = length
  }
}

/** Per-entry cost of a live key in a compacted log (op tag and length prefixes), roughly. */
const ENTRY_OVERHEAD = 4
/** Applies decoded records to an index, tracking live bytes and the stores touched. */
export class IndexBuilder implements ScanSink {
  buf: Uint8Array = new Uint8Array(0)
  base = 0
  live = 0
  touched = 0
  readonly maps: SortedMap<IndexValue>[]
  readonly #inline: number

  constructor(maps: SortedMap<IndexValue>[], inline: number, live = 0) {
    this.maps = maps
    this.#inline = inline
    this.live = live
  }

  begin(buf: Uint8Array, base: number): void {
    this.buf = buf
    this.base = base
  }

  put(store: number, key: Uint8Array, valueStart: number, valueLength: number): void {
    const value =
      valueLength <= this.#inline
        ? binaryKey(this.buf.subarray(valueStart, valueStart + valueLength))
        : new ValueRef(this.base + valueStart, valueLength)
    const old = this.maps[store]!.set(binaryKey(key), value)
    this.live += key.length + valueLength + ENTRY_OVERHEAD
    if (old !== undefined) this.live -= key.length + old.length + ENTRY_OVERHEAD
    this.touched |= 1 << store
  }

  del(store: number, key: Uint8Array): void {
    const old = this.maps[store]!.delete(binaryKey(key))
    if (old !== undefined) this.live -= key.length + old.length + ENTRY_OVERHEAD
    this.touched |= 1 << store
  }

  delRange(store: number, gte: Uint8Array, lt: Uint8Array): void {
    this.maps[store]!.deleteRange(binaryKey(gte), binaryKey(lt), (k, v) => {
      this.live -= k.length + v.length + ENTRY_OVERHEAD
    })
    this.touched |= 1 << store
  }
}

/** An empty index (one map per store). */
export function newIndex(inline: number): IndexBuilder {
  return new IndexBuilder(
    STORE_NAMES.map(() => new SortedMap<IndexValue>()),
    inline
  )
}

/** The bytes of an index value, in a fresh buffer (read from the log `file` if not inline). */
export function readValue(file: LogFile, value: IndexValue, name: string): Uint8Array {
  if (typeof value === 'string') return keyBytes(value)
  const out = new Uint8Array(value.length)
  if (file.readAt(out, 0, value.length, value.offset) !== value.length) {
    throw new StorageCorruptError(`${name}: the log ends inside a value at offset ${value.offset}`)
  }
  return out
}
