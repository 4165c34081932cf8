/**
 * Exactly-once writes across owner changes. A client re-sends every write the owner did not
 * acknowledge; the owner that gets it must know whether an earlier owner already applied it (the
 * append committed but the owner tab died before the acknowledgement went out). So each write
 * records "client C applied up to write N" in the core's user data — in the same storage
 * transaction as the append itself. The append and its record commit together or not at all, so
 * the record is exact whatever moment the owner died at.
 *
 * Hypercore builds its append transaction itself; this wrapper around the storage root adds the
 * record ops to it. The owner arms the wrapper with the key of the first block the append will
 * write (unique: no other transaction writes that block of that core) and the ops to add; the
 * wrapper adds them to the one write that carries that block.
 */
import type { BatchOp, KeyRange, Storage, StorageChange, StoreName, WriteOptions } from '@orchard/storage'

interface Armed {
  store: StoreName
  key: Uint8Array
  ops: BatchOp[]
}

/** A storage root that can add ops to the transaction writing a given block. */
export class RecordingStorage implements Storage {
  readonly #inner: Storage
  #armed: Armed | null = null

  /** Wraps `inner`; every call goes through to it. */
  constructor(inner: Storage) {
    this.#inner = inner
  }

  /** The root's name. */
  get name(): string {
    return this.#inner.name
  }

  /** Whether the root refuses writes. */
  get readOnly(): boolean {
    return this.#inner.readOnly
  }

  /** Whether the root is closed. */
  get closed(): boolean {
    return this.#inner.closed
  }

  /**
   * Adds `ops` to the next write that puts key `key` of store `store` (one write only). One arm
   * at a time: the owner applies writes one group after another.
   */
  arm(store: StoreName, key: Uint8Array, ops: BatchOp[]): void {
    this.#armed = { store, key, ops }
  }

  /** Takes the arm back; returns its ops if no write carried them. */
  disarm(): BatchOp[] | null {
    const armed = this.#armed
    this.#armed = null
    return armed === null ? null : armed.ops
  }

  get(store: StoreName, key: Uint8Array): Promise<Uint8Array | null> {
    return this.#inner.get(store, key)
  }

  getMany(store: StoreName, keys: readonly Uint8Array[]): Promise<(Uint8Array | null)[]> {
    return this.#inner.getMany(store, keys)
  }

  range(store: StoreName, range?: KeyRange): AsyncIterableIterator<[Uint8Array, Uint8Array]> {
    return this.#inner.range(store, range)
  }

  write(ops: readonly BatchOp[], opts?: WriteOptions): Promise<void> {
    const armed = this.#armed
    if (
      armed !== null &&
      ops.some((op) => op.type === 'put' && op.store === armed.store && same(op.key, armed.key))
    ) {
      this.#armed = null
      return this.#inner.write([...ops, ...armed.ops], opts)
    }
    return this.#inner.write(ops, opts)
  }

  onChange(listener: (change: StorageChange) => void): () => void {
    return this.#inner.onChange(listener)
  }

  close(): Promise<void> {
    return this.#inner.close()
  }

  destroy(): Promise<void> {
    return this.#inner.destroy()
  }
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = a.byteLength - 1; i >= 0; i--) if (a[i] !== b[i]) return false
  return true
}
