/**
 * The local bitfield: which blocks this core holds. Kept in memory as sparse pages of 32 768 bits
 * (4 KiB, `Uint32Array(1024)`, little-endian words — the layout hypercore uses on the wire for
 * `bitfield` messages), persisted page by page. Pages that were never set are absent and read as
 * zeros; a page that becomes all zeros stays allocated until the core is reopened.
 */

export const BITS_PER_PAGE = 32768
export const WORDS_PER_PAGE = BITS_PER_PAGE / 32
export const BYTES_PER_PAGE = BITS_PER_PAGE / 8

export class Bitfield {
  /** Pages by page index. */
  readonly pages = new Map<number, Uint32Array>()
  /** Indexes of pages changed since the last `takeDirtyPages`. */
  #dirty = new Set<number>()

  /** Loads a persisted page (as stored by {@link encodePage}). */
  loadPage(pageIndex: number, bytes: Uint8Array): void {
    if (bytes.byteLength !== BYTES_PER_PAGE)
      throw new RangeError(`bitfield page must be ${BYTES_PER_PAGE} bytes`)
    const words = new Uint32Array(WORDS_PER_PAGE)
    new Uint8Array(words.buffer).set(bytes)
    if (!LITTLE_ENDIAN) swapWords(words)
    this.pages.set(pageIndex, words)
  }

  get(index: number): boolean {
    const page = this.pages.get(Math.floor(index / BITS_PER_PAGE))
    if (!page) return false
    const bit = index % BITS_PER_PAGE
    return (page[bit >>> 5]! & (1 << (bit & 31))) !== 0
  }

  set(index: number, value: boolean): void {
    this.setRange(index, index + 1, value)
  }

  /** Sets or clears bits `[start, end)`. */
  setRange(start: number, end: number, value: boolean): void {
    while (start < end) {
      const pageIndex = Math.floor(start / BITS_PER_PAGE)
      const pageStart = pageIndex * BITS_PER_PAGE
      const to = Math.min(end, pageStart + BITS_PER_PAGE)
      let page = this.pages.get(pageIndex)
      if (!page) {
        if (!value) {
          start = to
          continue
        }
        page = new Uint32Array(WORDS_PER_PAGE)
        this.pages.set(pageIndex, page)
      }
      fillBits(page, start - pageStart, to - pageStart, value)
      this.#dirty.add(pageIndex)
      start = to
    }
  }

  /**
   * The first index ≥ `from` whose bit equals `value`, or -1 when there is none (for `value`
   * false there always is one: bits past the last page are zero).
   */
  findFirst(value: boolean, from: number): number {
    let pageIndex = Math.floor(from / BITS_PER_PAGE)
    let bit = from % BITS_PER_PAGE
    const lastPage = this.#lastPageIndex()
    while (pageIndex <= lastPage) {
      const page = this.pages.get(pageIndex)
      if (!page) {
        if (!value) return pageIndex * BITS_PER_PAGE + bit
      } else {
        const i = scanForward(page, bit, value)
        if (i !== -1) return pageIndex * BITS_PER_PAGE + i
      }
      pageIndex++
      bit = 0
    }
    return value ? -1 : Math.max(from, (lastPage + 1) * BITS_PER_PAGE)
  }

  /** The last index ≤ `from` whose bit equals `value`, or -1. */
  findLast(value: boolean, from: number): number {
    if (from < 0) return -1
    let pageIndex = Math.floor(from / BITS_PER_PAGE)
    let bit = from % BITS_PER_PAGE
    const lastPage = this.#lastPageIndex()
    if (!value && pageIndex > lastPage) return from
    while (pageIndex >= 0) {
      const page = this.pages.get(pageIndex)
      if (!page) {
        if (!value) return pageIndex * BITS_PER_PAGE + bit
      } else {
        const i = scanBackward(page, bit, value)
        if (i !== -1) return pageIndex * BITS_PER_PAGE + i
      }
      pageIndex--
      bit = BITS_PER_PAGE - 1
    }
    return -1
  }

  /** Number of set bits in `[start, end)`. */
  count(start: number, end: number): number {
    let n = 0
    for (let i = this.findFirst(true, start); i !== -1 && i < end; ) {
      const stop = Math.min(end, this.findFirst(false, i))
      n += stop - i
      i = stop >= end ? -1 : this.findFirst(true, stop)
    }
    return n
  }

  /**
   * Sets bits from 32-bit words: bit `j` of `words[i]` is index `start + 32·i + j` (a remote's
   * `bitfield` message; `start` is a multiple of 32). Set bits are added, clear bits cleared.
   */
  setWords(start: number, words: Uint32Array): void {
    for (let i = 0; i < words.length; ) {
      const bit = start + 32 * i
      const pageIndex = Math.floor(bit / BITS_PER_PAGE)
      const first = (bit % BITS_PER_PAGE) >>> 5
      const take = Math.min(words.length - i, WORDS_PER_PAGE - first)
      let page = this.pages.get(pageIndex)
      if (!page) {
        page = new Uint32Array(WORDS_PER_PAGE)
        this.pages.set(pageIndex, page)
      }
      page.set(words.subarray(i, i + take), first)
      this.#dirty.add(pageIndex)
      i += take
    }
  }

  /** Drops every page at or past `pageIndex` (after a truncation cleared them). */
  dropPagesFrom(pageIndex: number): number[] {
    const dropped: number[] = []
    for (const p of this.pages.keys()) if (p >= pageIndex) dropped.push(p)
    for (const p of dropped) {
      this.pages.delete(p)
      this.#dirty.delete(p)
    }
    return dropped
  }

  /**
   * The indexes of the pages changed since the last call (or `clearDirty`), to persist: each
   * page's bytes are encoded by {@link pageBytes} only where it is written.
   */
  takeDirtyPages(): number[] {
    const out: number[] = []
    for (const p of this.#dirty) if (this.pages.has(p)) out.push(p)
    this.#dirty.clear()
    return out
  }

  /** Forgets which pages changed (they were persisted another way, or never are). */
  clearDirty(): void {
    this.#dirty.clear()
  }

  /** Page `pageIndex` as the bytes stored for it (a fresh copy), or null if it has no bits set yet. */
  pageBytes(pageIndex: number): Uint8Array | null {
    const page = this.pages.get(pageIndex)
    return page ? encodePage(page) : null
  }

  /** The dirty page indexes, without clearing them (to persist after a failed write). */
  markDirty(pageIndexes: Iterable<number>): void {
    for (const p of pageIndexes) this.#dirty.add(p)
  }

  /**
   * The words covering blocks `[start, start + 32·n)` (start a multiple of 32) as a fresh
   * `Uint32Array`, for `bitfield` messages.
   */
  words(start: number, wordCount: number): Uint32Array {
    const out = new Uint32Array(wordCount)
    for (let w = 0; w < wordCount; ) {
      const bit = start + w * 32
      const pageIndex = Math.floor(bit / BITS_PER_PAGE)
      const first = (bit % BITS_PER_PAGE) >>> 5
      const take = Math.min(wordCount - w, WORDS_PER_PAGE - first)
      const page = this.pages.get(pageIndex)
      if (page) out.set(page.subarray(first, first + take), w)
      w += take
    }
    return out
  }

  #lastPageIndex(): number {
    let last = -1
    for (const p of this.pages.keys()) if (p > last) last = p
    return last
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

function swapWords(words: Uint32Array): void {
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!
    words[i] = ((w & 0xff) << 24) | ((w & 0xff00) << 8) | ((w >>> 8) & 0xff00) | (w >>> 24)
  }
}

/** A page's bytes as stored: its words little-endian. */
export function encodePage(page: Uint32Array): Uint8Array {
  const copy = page.slice()
  if (!LITTLE_ENDIAN) swapWords(copy)
  return new Uint8Array(copy.buffer)
}

function fillBits(page: Uint32Array, start: number, end: number, value: boolean): void {
  while (start < end) {
    const w = start >>> 5
    const from = start & 31
    const to = Math.min(32, from + (end - start))
    const mask = to - from === 32 ? 0xffffffff : ((1 << (to - from)) - 1) << from
    page[w] = value ? page[w]! | mask : page[w]! & ~mask
    start += to - from
  }
}

/** First bit ≥ `from` in `page` equal to `value`, or -1. */
function scanForward(page: Uint32Array, from: number, value: boolean): number {
  let w = from >>> 5
  let word = value ? page[w]! : ~page[w]!
  word &= ~0 << (from & 31) // ignore bits below `from`
  for (;;) {
    if (word !== 0) return w * 32 + (31 - Math.clz32(word & -word))
    if (++w === WORDS_PER_PAGE) return -1
    word = value ? page[w]! : ~page[w]!
  }
}

/** Last bit ≤ `from` in `page` equal to `value`, or -1. */
function scanBackward(page: Uint32Array, from: number, value: boolean): number {
  let w = from >>> 5
  let word = value ? page[w]! : ~page[w]!
  const keep = from & 31
  if (keep !== 31) word &= (1 << (keep + 1)) - 1 // ignore bits above `from`
  for (;;) {
    if (word !== 0) return w * 32 + (31 - Math.clz32(word))
    if (--w < 0) return -1
    word = value ? page[w]! : ~page[w]!
  }
}
