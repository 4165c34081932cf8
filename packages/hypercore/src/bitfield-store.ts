/**
 * The local bitfield with its persistence rule: the core's head records the contiguous prefix,
 * and a page is stored only while it holds a set bit past that prefix — so appending to (or
 * downloading in order into) a complete core writes no bitfield bytes at all.
 */
import type { BatchOp } from '@orchard/storage'
import { BITS_PER_PAGE, Bitfield } from './bitfield.ts'
import type { CoreStorage } from './storage-layout.ts'

export class BitfieldStore {
  readonly bits = new Bitfield()
  /** Pages currently in storage. */
  readonly #stored = new Set<number>()

  /** Loads the prefix `[0, contiguous)` and the stored pages; returns the real contiguous length. */
  static async load(
    storage: CoreStorage,
    contiguous: number,
    length: number
  ): Promise<{ store: BitfieldStore; contiguous: number }> {
    const store = new BitfieldStore()
    const bits = store.bits
    bits.setRange(0, contiguous, true)
    for await (const [page, bytes] of storage.bitfieldPages()) {
      const stored = new Bitfield()
      stored.loadPage(page, bytes)
      const end = (page + 1) * BITS_PER_PAGE
      for (let i = stored.findFirst(true, page * BITS_PER_PAGE); i !== -1 && i < end; ) {
        const stop = Math.min(stored.findFirst(false, i), end)
        bits.setRange(i, stop, true)
        i = stored.findFirst(true, stop)
      }
      store.#stored.add(page)
    }
    bits.clearDirty()
    return { store, contiguous: Math.min(length, bits.findFirst(false, contiguous)) }
  }

  /** Clears `[start, end)`; returns the ranges that were set (to restore if the write fails). */
  clear(start: number, end: number): Array<[number, number]> {
    const ranges: Array<[number, number]> = []
    const bits = this.bits
    for (let i = bits.findFirst(true, start); i !== -1 && i < end; ) {
      const stop = Math.min(end, bits.findFirst(false, i))
      ranges.push([i, stop])
      i = bits.findFirst(true, stop)
    }
    bits.setRange(start, end, false)
    return ranges
  }

  /** Undoes `clear` (or a set) after a failed write. */
  restore(set: Array<[number, number]>, unset: Array<[number, number]> = []): void {
    for (const [s, e] of set) this.bits.setRange(s, e, true)
    for (const [s, e] of unset) this.bits.setRange(s, e, false)
    this.bits.clearDirty()
  }

  /** Marks pages `[from, to)` for rewriting (the prefix the head implies shrank below them). */
  touch(from: number, to: number): void {
    const pages: number[] = []
    for (let p = Math.floor(from / BITS_PER_PAGE); p * BITS_PER_PAGE < to; p++) pages.push(p)
    this.bits.markDirty(pages)
  }

  /** Storage ops for the dirty pages, given the contiguous prefix the head will record. */
  ops(storage: CoreStorage, contiguous: number): BatchOp[] {
    const ops: BatchOp[] = []
    for (const page of this.bits.takeDirtyPages()) {
      const pageStart = page * BITS_PER_PAGE
      const firstSet = this.bits.findFirst(true, Math.max(pageStart, contiguous))
      if (firstSet !== -1 && firstSet < pageStart + BITS_PER_PAGE) {
        ops.push(storage.putBitfieldPage(page, this.bits.pageBytes(page)!))
        this.#stored.add(page)
      } else if (this.#stored.delete(page)) {
        ops.push(storage.deleteBitfieldPage(page))
      }
    }
    return ops
  }
}
