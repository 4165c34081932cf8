/**
 * What a peer says it has: a contiguous prefix (from `range{start: 0}`) plus sparse bits from
 * other `range` and `bitfield` announcements. Announcements are untrusted and bounded: a peer
 * cannot make us allocate more than {@link MAX_REMOTE_PAGES} pages of its claims.
 */
import { BITS_PER_PAGE, Bitfield } from '../bitfield.ts'
import { ProtocolError } from '../errors.ts'

/** 4 096 pages × 32 768 bits: 128 Mi sparse blocks tracked per peer at most. */
export const MAX_REMOTE_PAGES = 4096

export class RemoteBitfield {
  contiguous = 0
  readonly #bits = new Bitfield()

  has(index: number): boolean {
    return index < this.contiguous || this.#bits.get(index)
  }

  /** Whether the peer has every block of `[start, end)`. */
  hasAll(start: number, end: number): boolean {
    if (end <= this.contiguous) return true
    const gap = this.#bits.findFirst(false, Math.max(start, this.contiguous))
    return gap === -1 || gap >= end
  }

  /** First index ≥ `from` the peer has, or -1. */
  firstHave(from: number): number {
    if (from < this.contiguous) return from
    return this.#bits.findFirst(true, from)
  }

  /** Applies a `range` announcement. */
  range(start: number, length: number, drop: boolean): void {
    if (!drop && start <= this.contiguous) {
      // extends (or restates) the contiguous prefix: no sparse bits needed
      this.contiguous = Math.max(this.contiguous, start + length)
      return
    }
    if (drop && start < this.contiguous) {
      const end = this.contiguous
      this.contiguous = start
      // what was contiguous past the dropped range is still there
      if (start + length < end) this.#set(start + length, end, true)
    }
    this.#set(start, start + length, !drop)
  }

  /** Applies a `bitfield` message (words from `start`, a multiple of 32). */
  words(start: number, words: Uint32Array): void {
    if (start < this.contiguous) this.contiguous = start // a bitfield is the truth from its start
    this.#check(start, start + 32 * words.length)
    this.#bits.setWords(start, words)
  }

  /** Forgets everything past `length` (the peer truncated). */
  truncate(length: number): void {
    this.contiguous = Math.min(this.contiguous, length)
    const nextPage = Math.ceil(length / BITS_PER_PAGE)
    this.#bits.setRange(length, nextPage * BITS_PER_PAGE, false)
    this.#bits.dropPagesFrom(nextPage)
    this.#bits.clearDirty()
  }

  #set(start: number, end: number, value: boolean): void {
    if (value) this.#check(start, end)
    this.#bits.setRange(start, end, value)
    this.#bits.clearDirty()
  }

  #check(start: number, end: number): void {
    const pages = Math.ceil(end / BITS_PER_PAGE) - Math.floor(start / BITS_PER_PAGE)
    if (pages + this.#bits.pages.size > MAX_REMOTE_PAGES) {
      throw new ProtocolError(
        `the peer announced blocks ${start}..${end}, more sparse state than we keep for a peer`
      )
    }
  }
}
