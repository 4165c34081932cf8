/**
 * The IndexedDB schema and its upgrades.
 *
 * - Version 1: one object store per logical store, one record per key.
 * - Version 2: the same, plus one object store of packed groups per packing store (see
 *   `idb-packed.ts`). Upgrading from 1 moves every packable record into its group inside the
 *   upgrade transaction, so a killed tab leaves the database at version 1, untouched.
 */
import {
  ABSENT_GROUP,
  EXTERNAL,
  Group,
  groupKeyOf,
  isPacked,
  PACKED_LAYOUTS,
  type PackedLayout,
  slotOf
} from './idb-packed.ts'
import { keyBytes } from './idb-reads.ts'
import { compareKeys } from './keys.ts'
import { STORE_NAMES } from './types.ts'

/** Bumped when the layout changes; {@link upgradeSchema} brings older databases up to it. */
export const SCHEMA_VERSION = 2

/** Every object store of the current schema. */
export const OBJECT_STORES: readonly string[] = [...STORE_NAMES, ...PACKED_LAYOUTS.map((l) => l.idbStore)]

/** Runs in the `upgradeneeded` transaction: creates what is missing, migrates version 1 data. */
export function upgradeSchema(db: IDBDatabase, tx: IDBTransaction, oldVersion: number): void {
  for (const name of OBJECT_STORES) {
    if (!db.objectStoreNames.contains(name)) db.createObjectStore(name)
  }
  if (oldVersion === 1) for (const layout of PACKED_LAYOUTS) packRecords(tx, layout)
}

/**
 * Moves the packable records of `layout`'s store into groups, walking the store in key order (a
 * group's keys are adjacent among the packable ones). Values too long for a group stay where they
 * are, marked external.
 */
function packRecords(tx: IDBTransaction, layout: PackedLayout): void {
  const groups = tx.objectStore(layout.idbStore)
  let group: Group | null = null
  const flush = () => {
    if (group?.dirty) groups.put(group.encode(), group.key as Uint8Array<ArrayBuffer>)
    group = null
  }
  const walk = tx.objectStore(layout.store).openCursor()
  walk.onsuccess = () => {
    const cursor = walk.result
    if (cursor === null) {
      flush()
      return
    }
    const key = keyBytes(cursor.key)
    if (isPacked(layout, key)) {
      const groupKey = groupKeyOf(layout, key)
      if (group === null || compareKeys(group.key, groupKey) !== 0) {
        flush()
        group = new Group(layout, groupKey, ABSENT_GROUP)
      }
      const value = cursor.value as Uint8Array
      group.dirty = true
      if (value.length > layout.inlineMax) {
        group.slots[slotOf(layout, key)] = EXTERNAL
      } else {
        group.slots[slotOf(layout, key)] = value
        cursor.delete()
      }
    }
    cursor.continue()
  }
}
