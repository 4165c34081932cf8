/**
 * A least-recently-used cache bounded by bytes: the IndexedDB adapter keeps the group records it
 * last wrote or read here, so an append finds the group it extends without a read, and hot reads
 * skip IndexedDB.
 */

/** Bookkeeping per entry beyond its bytes (map slot, key string), so empty entries count too. */
const ENTRY_OVERHEAD = 64

export class ByteLru {
  readonly maxBytes: number
  #bytes = 0
  // A Map iterates in insertion order: re-inserting on use keeps the least recent first.
  readonly #entries = new Map<string, Uint8Array>()

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes
  }

  /** Bytes held now. */
  get bytes(): number {
    return this.#bytes
  }

  get(key: string): Uint8Array | undefined {
    const v = this.#entries.get(key)
    if (v !== undefined) {
      this.#entries.delete(key)
      this.#entries.set(key, v)
    }
    return v
  }

  set(key: string, value: Uint8Array): void {
    this.delete(key)
    const size = value.byteLength + ENTRY_OVERHEAD
    if (size > this.maxBytes) return
    this.#entries.set(key, value)
    this.#bytes += size
    for (const [k, v] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break
      this.#entries.delete(k)
      this.#bytes -= v.byteLength + ENTRY_OVERHEAD
    }
  }

  delete(key: string): void {
    const old = this.#entries.get(key)
    if (old === undefined) return
    this.#entries.delete(key)
    this.#bytes -= old.byteLength + ENTRY_OVERHEAD
  }

  /** Drops every entry whose key `drop` accepts. */
  deleteWhere(drop: (key: string) => boolean): void {
    for (const [k, v] of this.#entries) {
      if (!drop(k)) continue
      this.#entries.delete(k)
      this.#bytes -= v.byteLength + ENTRY_OVERHEAD
    }
  }

  clear(): void {
    this.#entries.clear()
    this.#bytes = 0
  }
}
