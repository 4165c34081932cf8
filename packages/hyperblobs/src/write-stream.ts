/**
 * The blob write stream: every chunk written becomes one block (as hyperblobs: `put` cuts the blob
 * into `blockSize` chunks and writes them here), appended in batches of 16 blocks, so the same
 * writes produce the same blocks, offsets and tree hash as hyperblobs 2.9. With `blockMap` (or
 * `dedup`) a block map is appended after the data and the id points at it.
 *
 * Its shape is streamx's `Writable` as hyperdrive drives it: `write()` returns false past the high
 * water mark and `'drain'` follows, `end()`, then `'finish'`, then `'close'` (after the lock is
 * released); a failure emits `'error'` then `'close'`. `done()` is the awaitable form.
 */
import { Emitter } from '@orchard/events'
import type { Hypercore } from '@orchard/hypercore'
import { type BlockMapEntry, DedupIndex, decodeBlockMap, encodeBlockMap } from './block-map.ts'
import { type BlobInput, toBytes } from './bytes.ts'
import { StreamDestroyedError } from './errors.ts'
import { type BlobId, validateId } from './id.ts'
import type { Mutex } from './lock.ts'

/** hyperblobs appends a batch once it holds this many blocks. */
export const APPEND_BATCH = 16

/** Options of `createWriteStream` (and of `put`). */
export interface BlobWriteStreamOptions {
  /** Write to this core instead of the store's. */
  core?: Hypercore
  /** Append a block map after the data; the id then points at the map (`blockMap: true`). */
  blockMap?: boolean
  /**
   * Reuse blocks equal to blocks already written — of `blob`, and earlier in this same blob —
   * instead of appending them again (implies `blockMap`).
   */
  dedup?: boolean
  /** With `dedup`: the blob's previous version, whose blocks may be reused. */
  blob?: BlobId | null
  /** Buffered bytes past which `write()` returns false (default 16384, as streamx). */
  highWaterMark?: number
}

/** The events of a {@link BlobWriteStream}. */
export interface BlobWriteStreamEvents {
  /** The buffer emptied after a `write()` returned false. */
  drain: []
  /** Everything written is appended and `id` is final. */
  finish: []
  /** The stream is done (after `finish`, or after being destroyed) and released the store's lock. */
  close: []
  /** A write failed (or `destroy(err)`); `close` follows. */
  error: [err: Error]
}

/**
 * Writes one blob; `id` is complete once `'finish'` fires (or `done()` resolves). Create it with
 * `blobs.createWriteStream()`.
 */
export class BlobWriteStream extends Emitter<BlobWriteStreamEvents> {
  /** The blob's id: offsets set at the first write, lengths at `finish`. */
  readonly id: BlobId
  /** The core written to. */
  readonly core: Hypercore
  /** True once `end()` was called. */
  ended = false
  /** True once everything was appended (`'finish'`). */
  finished = false
  /** True once destroyed (which `finish` does too). */
  destroyed = false
  /** True once `'close'` was emitted. */
  closed = false

  readonly #lock: Mutex
  readonly #highWaterMark: number
  readonly #previous: BlobId | null
  readonly #map: BlockMapEntry[] | null
  #dedup: DedupIndex | null = null
  #queue: Uint8Array[] = []
  #buffered = 0
  #needDrain = false
  #batch: Uint8Array[] = []
  #opened = false
  #busy = false
  #running: Promise<void> | null = null
  #release: (() => void) | null = null
  #settle!: { resolve: (id: BlobId) => void; reject: (err: Error) => void }
  readonly #done: Promise<BlobId>

  /**
   * A stream writing to `core` under the store's `lock`; use `Hyperblobs#createWriteStream`.
   *
   * @internal
   */
  constructor(core: Hypercore, lock: Mutex, opts: BlobWriteStreamOptions = {}) {
    super()
    this.core = core
    this.#lock = lock
    this.#highWaterMark = opts.highWaterMark ?? 16384
    if (opts.blob !== undefined && opts.blob !== null) validateId(opts.blob)
    this.#previous = opts.dedup ? (opts.blob ?? null) : null
    const withMap = !!opts.blockMap || !!opts.dedup
    this.#map = withMap ? [] : null
    if (opts.dedup) this.#dedup = new DedupIndex((entry) => this.#load(entry))
    // same field order as hyperblobs, so ids print (and deep-compare) alike
    this.id = { blockOffset: 0, byteOffset: 0, blockLength: 0, byteLength: 0 }
    if (withMap) this.id.blockMap = true
    this.#done = new Promise<BlobId>((resolve, reject) => {
      this.#settle = { resolve, reject }
    })
    this.#done.catch(() => {})
  }

  /**
   * Queues `chunk` as the blob's next block. Returns false once the buffer holds `highWaterMark`
   * bytes (wait for `'drain'`), and — dropping the chunk — after `end()` or `destroy()`.
   */
  write(chunk: BlobInput): boolean {
    if (this.ended || this.destroyed) return false
    const bytes = toBytes(chunk, 'a chunk')
    this.#queue.push(bytes)
    this.#buffered += bytes.byteLength
    this.#kick()
    if (this.#buffered < this.#highWaterMark) return true
    this.#needDrain = true
    return false
  }

  /** Writes `chunk` if given, then finishes the blob once everything is appended. */
  end(chunk?: BlobInput | (() => void)): this {
    if (typeof chunk === 'function') this.once('finish', chunk)
    else if (chunk !== undefined && chunk !== null) this.write(chunk)
    if (this.ended || this.destroyed) return this
    this.ended = true
    this.#kick()
    return this
  }

  /**
   * Stops the stream: queued chunks are dropped; once an append in flight lands, the lock is
   * released, `'error'` (with `err`) and `'close'` are emitted.
   */
  destroy(err?: Error | null): void {
    if (this.destroyed) return
    this.destroyed = true
    this.#queue = []
    this.#buffered = 0
    void this.#close(err ?? null)
  }

  /**
   * Resolves with the id once the blob is finished and the stream closed; rejects with the
   * stream's error, or `STREAM_DESTROYED` if it was destroyed before finishing.
   */
  done(): Promise<BlobId> {
    return this.#done
  }

  #kick(): void {
    if (this.#busy || this.destroyed) return
    this.#busy = true
    this.#running = this.#run()
  }

  // One loop does all the work in order: open, write each queued chunk, then finish. Its last
  // check for work and clearing `#busy` happen in one synchronous step, so no write is stranded.
  async #run(): Promise<void> {
    try {
      if (!this.#opened) await this.#open()
      while (!this.destroyed) {
        const chunk = this.#queue.shift()
        if (chunk !== undefined) {
          await this.#write(chunk)
          this.#buffered -= chunk.byteLength
          if (this.#needDrain && this.#buffered === 0 && !this.destroyed) {
            this.#needDrain = false
            this.emit('drain')
          }
          continue
        }
        if (this.ended && !this.finished) {
          await this.#final()
          if (this.destroyed) break
          this.finished = true
          this.emit('finish')
          this.#busy = false
          this.destroy()
          return
        }
        break
      }
    } catch (err) {
      this.#busy = false
      this.destroy(err instanceof Error ? err : new Error(String(err)))
      return
    }
    this.#busy = false
  }

  async #open(): Promise<void> {
    await this.core.ready()
    this.#release = await this.#lock.acquire()
    if (this.destroyed) return
    // read under the lock: no other blob of this store can append between here and our end
    this.id.byteOffset = this.core.byteLength
    this.id.blockOffset = this.core.length
    this.#opened = true
    if (this.#dedup && this.#previous) await this.#indexPrevious(this.#dedup, this.#previous)
  }

  async #write(data: Uint8Array): Promise<void> {
    if (this.#map) {
      const entry: BlockMapEntry = {
        index: this.core.length + this.#batch.length,
        byteLength: data.byteLength
      }
      const existing = this.#dedup ? await this.#dedup.findOrAdd(data, entry) : null
      this.#map.push(existing ?? entry)
      if (existing) return
    }
    this.#batch.push(data)
    if (this.#batch.length >= APPEND_BATCH) await this.#append()
  }

  async #append(): Promise<void> {
    if (this.#batch.length === 0) return
    const batch = this.#batch
    this.#batch = []
    await this.core.append(batch)
  }

  async #final(): Promise<void> {
    await this.#append()
    if (this.#map) {
      const buffers = encodeBlockMap(this.#map)
      this.id.blockOffset = this.core.length
      this.id.byteOffset = this.core.byteLength
      if (buffers.length > 0) await this.core.append(buffers)
    }
    this.id.blockLength = this.core.length - this.id.blockOffset
    this.id.byteLength = this.core.byteLength - this.id.byteOffset
  }

  async #close(err: Error | null): Promise<void> {
    // the lock passes on only after an append in flight has landed, or the next blob's offsets lie
    await this.#running
    this.#release?.()
    this.#release = null
    if (err) this.emit('error', err)
    this.closed = true
    this.emit('close')
    if (this.finished) this.#settle.resolve(this.id)
    else this.#settle.reject(err ?? new StreamDestroyedError())
  }

  /** The bytes of an indexed block: still in the pending batch, or already in the core. */
  #load(entry: BlockMapEntry): Promise<Uint8Array | null> {
    const pending = entry.index - this.core.length
    if (pending >= 0) return Promise.resolve(this.#batch[pending] ?? null)
    return this.core.get(entry.index, { wait: false })
  }

  /**
   * Indexes the blocks of the previous version (hyperblobs hashes every one of them, fetching any
   * it lacks). Read 16 at a time, so a large file is never all in memory.
   */
  async #indexPrevious(index: DedupIndex, blob: BlobId): Promise<void> {
    let entries: Array<{ index: number; byteLength: number | null }>
    if (blob.blockMap) {
      const gets: Promise<Uint8Array | null>[] = []
      for (let i = 0; i < blob.blockLength; i++) gets.push(this.core.get(blob.blockOffset + i))
      const buffers = await Promise.all(gets)
      // a map we cannot read just means nothing to reuse: every block is written anew
      if (buffers.some((b) => b === null)) return
      entries = decodeBlockMap(buffers as Uint8Array[]).blocks
    } else {
      entries = []
      for (let i = 0; i < blob.blockLength; i++)
        entries.push({ index: blob.blockOffset + i, byteLength: null })
    }
    for (let i = 0; i < entries.length && !this.destroyed; i += APPEND_BATCH) {
      const group = entries.slice(i, i + APPEND_BATCH)
      const blocks = await Promise.all(group.map((e) => this.core.get(e.index)))
      for (let j = 0; j < group.length; j++) {
        const bytes = blocks[j]
        if (!bytes) continue
        const e = group[j]!
        await index.set(bytes, { index: e.index, byteLength: e.byteLength ?? bytes.byteLength })
      }
    }
  }
}
