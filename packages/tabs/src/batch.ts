/** `SharedBatch`: a shared bee's batch, sent to the owner as one write. */
import { BeeClosedError, type BeeNode, ReadOnlyError } from '@orchard/hyperbee'
import type { SharedBee, SharedBeeGetOptions, SharedBeeWriteOptions } from './bee.ts'
import { codecOf, decodeWith, encodeKey } from './codec.ts'
import { type BeeOp, toHex } from './protocol.ts'

/**
 * Writes collected here and applied by `flush()` in one request: atomically, in order, once. Reads
 * see the batch's own pending writes first.
 */
export class SharedBatch<K = unknown, V = unknown> {
  readonly #bee: SharedBee<K, V>
  #ops: BeeOp[] = []
  readonly #pending = new Map<string, BeeOp>()
  #closed = false

  /** Use `SharedBee#batch`. */
  constructor(bee: SharedBee<K, V>) {
    this.#bee = bee
  }

  /** How many writes are pending. */
  get length(): number {
    return this.#ops.length
  }

  /** Queues a put. */
  async put(key: K, value?: V, opts: SharedBeeWriteOptions<K, V> = {}): Promise<void> {
    this.#push(this.#bee._put(key, value, opts))
  }

  /** Queues a delete. */
  async del(key: K, opts: SharedBeeWriteOptions<K, V> = {}): Promise<void> {
    this.#push(this.#bee._del(key, opts))
  }

  #push(op: BeeOp): void {
    if (this.#closed) throw new BeeClosedError('Batch is closed')
    if (this.#bee.readonly) throw new ReadOnlyError()
    this.#ops.push(op)
    this.#pending.set(toHex(op.key), op)
  }

  /** The entry of `key`: this batch's pending write of it, else the bee's. */
  async get(key: K, opts: SharedBeeGetOptions = {}): Promise<BeeNode<K, V> | null> {
    const encoded = encodeKey(
      opts.keyEncoding !== undefined ? codecOf(opts.keyEncoding) : this.#bee.keyEncoding,
      key
    )
    const op = this.#pending.get(toHex(encoded))
    if (op === undefined) return this.#bee.get(key, opts)
    if (op.type === 'del') return null
    const codec = opts.valueEncoding !== undefined ? codecOf(opts.valueEncoding) : this.#bee.valueEncoding
    // a pending write has no block yet: its seq is where it lands when flushed
    const seq = this.#bee.version + this.#ops.indexOf(op)
    return { seq, key, value: (op.value === null ? null : decodeWith(codec, op.value)) as V }
  }

  /** Applies the pending writes atomically. */
  async flush(): Promise<void> {
    if (this.#closed) throw new BeeClosedError('Batch is closed')
    const ops = this.#ops
    this.#ops = []
    this.#pending.clear()
    this.#closed = true
    await this.#bee._write(ops)
  }

  /** Drops the pending writes. */
  async close(): Promise<void> {
    this.#ops = []
    this.#pending.clear()
    this.#closed = true
  }
}
