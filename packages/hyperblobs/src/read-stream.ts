/**
 * The blob read stream: a byte range of a blob, yielded block by block, fetching only the blocks
 * that cover the range. The first block comes from a seek (the core's Merkle tree locates a byte
 * without downloading blocks), the last one too when the range stops before the blob's end, and a
 * prefetcher keeps a window of blocks requested ahead of the reader — never past the range.
 *
 * Consume it as an async iterable (`for await`), with `read()`, as a WHATWG `ReadableStream`
 * (`toWeb()`), or in streamx/Node style: `on('data')` (flowing), `pause()`/`resume()`, `'end'`,
 * `'error'`, `'close'`, `destroy()`.
 */
import { Emitter, type Listener } from '@orchard/events'
import type { Hypercore } from '@orchard/hypercore'
import { type CoreReadOptions, getBlockMap, mapByteLength } from './block-map.ts'
import {
  BlockNotAvailableError,
  InvalidBlobIdError,
  InvalidBlockMapError,
  StreamDestroyedError
} from './errors.ts'
import { type BlobId, type ByteRange, type RangeOptions, resolveRange, validateId } from './id.ts'

/** Blocks the prefetcher keeps requested ahead of the reader, by default. */
export const DEFAULT_PREFETCH = 64

/** Options of `createReadStream` (and of a ranged `get`). */
export interface BlobReadStreamOptions extends RangeOptions {
  /** Read from this core instead of the store's. */
  core?: Hypercore
  /** Wait for missing blocks from peers (default true); with false a missing block is an error. */
  wait?: boolean
  /** Milliseconds to wait for each missing block (0 = the core's default, no limit). */
  timeout?: number
  /** Blocks to request ahead of the reader (default 64); false requests one block at a time. */
  prefetch?: number | false
}

/** The events of a {@link BlobReadStream}. */
export interface BlobReadStreamEvents {
  /** A chunk, in flowing mode (a `'data'` listener, or `resume()`). */
  data: [chunk: Uint8Array]
  /** The range was read to its end. */
  end: []
  /** Reading failed (the stream is destroyed; `close` follows). */
  error: [err: Error]
  /** The stream is done: ended, failed or destroyed. */
  close: []
}

/**
 * One blob's byte range as chunks (one per block touched). Create it with
 * `blobs.createReadStream(id, opts)`; an invalid id or range throws right there.
 */
export class BlobReadStream extends Emitter<BlobReadStreamEvents> implements AsyncIterable<Uint8Array> {
  /** The blob read. */
  readonly id: BlobId
  /** The core read from. */
  readonly core: Hypercore
  /** True once ended, failed or destroyed. */
  destroyed = false

  readonly #opts: BlobReadStreamOptions
  readonly #abort = new AbortController()
  readonly #range: ByteRange | null
  #source: AsyncGenerator<Uint8Array> | null = null
  #reading: Promise<unknown> = Promise.resolve()
  #prefetcher: Prefetcher | null = null
  #ended = false
  #paused = false
  #flowing = false
  #held: Uint8Array | null = null

  /** A stream of `id` (validated) from `core`. */
  constructor(core: Hypercore, id: BlobId, opts: BlobReadStreamOptions = {}) {
    super()
    validateId(id)
    this.core = core
    this.id = id
    this.#opts = opts
    // a plain blob's range is checked now; a block map's once the map is read
    this.#range = id.blockMap ? null : resolveRange(id.byteLength, opts)
  }

  /** The next chunk, or null at the end (or once destroyed); rejects if reading fails. */
  read(): Promise<Uint8Array | null> {
    const next = this.#reading.then(() => this.#pull())
    this.#reading = next.catch(() => {})
    return next
  }

  /** Iterates the chunks; breaking out of the loop destroys the stream. */
  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array> {
    const self = this
    return {
      async next(): Promise<IteratorResult<Uint8Array>> {
        const value = await self.read()
        return value === null ? { done: true, value: undefined } : { done: false, value }
      },
      async return(): Promise<IteratorResult<Uint8Array>> {
        self.destroy()
        return { done: true, value: undefined }
      },
      [Symbol.asyncIterator]() {
        return this
      }
    }
  }

  /** The stream as a WHATWG `ReadableStream` (for `new Response(...)`, `pipeTo`, ...). */
  toWeb(): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        const chunk = await this.read()
        if (chunk === null) controller.close()
        else controller.enqueue(chunk)
      },
      cancel: () => this.destroy()
    })
  }

  /** Adds a listener; a `'data'` listener switches to flowing mode (unless `pause()` was called). */
  override on<K extends keyof BlobReadStreamEvents>(
    event: K,
    listener: Listener<BlobReadStreamEvents[K]>
  ): this {
    super.on(event, listener)
    if (event === 'data' && !this.#paused) this.resume()
    return this
  }

  /** Stops emitting `'data'` until `resume()`. */
  pause(): this {
    this.#paused = true
    return this
  }

  /** Emits the chunks as `'data'` events (flowing mode). */
  resume(): this {
    this.#paused = false
    if (!this.#flowing) void this.#flow()
    return this
  }

  /** Whether `pause()` holds the stream. */
  isPaused(): boolean {
    return this.#paused
  }

  /** Stops reading: pending waits are cancelled; with `err`, `'error'` is emitted; then `'close'`. */
  destroy(err?: Error | null): void {
    if (this.destroyed) return
    this.destroyed = true
    this.#abort.abort(err ?? new StreamDestroyedError())
    this.#prefetcher?.destroy()
    if (err) this.emit('error', err)
    this.emit('close')
  }

  async #pull(): Promise<Uint8Array | null> {
    if (this.destroyed || this.#ended) return null
    this.#source ??= this.id.blockMap ? this.#mapChunks() : this.#plainChunks()
    try {
      const r = await this.#source.next()
      if (this.destroyed) return null
      if (!r.done) return r.value
      this.#ended = true
      this.emit('end')
      this.destroy()
      return null
    } catch (err) {
      if (this.destroyed) return null // destroyed by the user: the cancelled wait is no failure
      const error = err instanceof Error ? err : new Error(String(err))
      this.destroy(error)
      throw error
    }
  }

  async #flow(): Promise<void> {
    this.#flowing = true
    try {
      while (!this.#paused && !this.destroyed) {
        let chunk = this.#held
        this.#held = null
        if (chunk === null) {
          try {
            chunk = await this.read()
          } catch {
            return // already emitted as 'error'
          }
          if (chunk === null) return
          // paused while the chunk was on its way: keep it for resume()
          if (this.#paused) {
            this.#held = chunk
            return
          }
        }
        this.emit('data', chunk)
      }
    } finally {
      this.#flowing = false
    }
  }

  #readOptions(): CoreReadOptions {
    const { wait, timeout } = this.#opts
    return { wait, timeout, signal: this.#abort.signal }
  }

  #core(): Hypercore {
    return this.#opts.core ?? this.core
  }

  /** Whether blocks `[first, end)` should be prefetched: waiting allowed, and not all held already. */
  #shouldPrefetch(end: number): boolean {
    const core = this.#core()
    if (this.#opts.wait === false || this.#opts.prefetch === false) return false
    if (typeof core.download !== 'function') return false
    return core.contiguousLength < end
  }

  async #seek(pos: number): Promise<[number, number]> {
    const found = await this.#core().seek(pos, this.#readOptions())
    if (found === null) throw new BlockNotAvailableError(`the block holding byte ${pos} is not available`)
    const { blockOffset, blockLength } = this.id
    if (found[0] < blockOffset || found[0] >= blockOffset + blockLength) {
      throw new InvalidBlobIdError(
        `byte ${pos} is in block ${found[0]}, outside the blob's blocks [${blockOffset}, ${blockOffset + blockLength})`
      )
    }
    return found
  }

  async *#plainChunks(): AsyncGenerator<Uint8Array> {
    const id = this.id
    const core = this.#core()
    const { start, end } = this.#range!
    if (start >= end) return
    const blobEnd = id.blockOffset + id.blockLength
    let pos = id.byteOffset + start
    const stop = id.byteOffset + end
    const read = this.#readOptions()
    // both ends are located up front (in parallel) so the prefetcher never asks past the range
    const first = pos === id.byteOffset ? ([id.blockOffset, 0] as [number, number]) : this.#seek(pos)
    const last = stop === id.byteOffset + id.byteLength ? blobEnd : this.#seek(stop - 1).then(([i]) => i + 1)
    let [[index, offset], rangeEnd] = await Promise.all([first, last])
    if (this.#shouldPrefetch(rangeEnd)) {
      const window = typeof this.#opts.prefetch === 'number' ? this.#opts.prefetch : DEFAULT_PREFETCH
      this.#prefetcher = new Prefetcher(index, rangeEnd, window, (from, to) =>
        core.download({ start: from, end: to, linear: true })
      )
    }
    while (pos < stop) {
      if (index >= blobEnd)
        throw new InvalidBlobIdError(`the blob's blocks hold fewer than ${id.byteLength} bytes`)
      this.#prefetcher?.update(index)
      const block = await core.get(index, read)
      if (block === null) throw new BlockNotAvailableError(`block ${index} is not available`)
      const remaining = stop - pos
      const chunk =
        offset > 0 || remaining < block.byteLength ? block.subarray(offset, offset + remaining) : block
      index++
      offset = 0
      pos += chunk.byteLength
      yield chunk
    }
  }

  async *#mapChunks(): AsyncGenerator<Uint8Array> {
    const core = this.#core()
    const read = this.#readOptions()
    const map = await getBlockMap(core, this.id, read)
    if (map === null) throw new BlockNotAvailableError('a block of the block map is not available')
    const blocks = map.blocks
    const { start, end } = resolveRange(mapByteLength(map), this.#opts)
    if (start >= end) return
    // skip whole entries before `start` (empty ones at `start` too, as hyperblobs does)
    let i = 0
    let pos = 0
    while (pos + blocks[i]!.byteLength <= start) pos += blocks[i++]!.byteLength
    let offset = start - pos
    pos = start
    // the entry holding byte `end - 1`: the prefetcher stops there
    let last = i
    for (let p = pos - offset; p + blocks[last]!.byteLength < end; last++) p += blocks[last]!.byteLength
    let highest = 0
    for (let k = i; k <= last; k++) highest = Math.max(highest, blocks[k]!.index)
    if (this.#shouldPrefetch(highest + 1)) {
      const window = typeof this.#opts.prefetch === 'number' ? this.#opts.prefetch : DEFAULT_PREFETCH
      this.#prefetcher = new Prefetcher(i, last + 1, window, (from, to) =>
        core.download({ blocks: blocks.slice(from, to).map((b) => b.index) })
      )
    }
    while (pos < end) {
      const entry = blocks[i]!
      this.#prefetcher?.update(i)
      const block = await core.get(entry.index, read)
      if (block === null) throw new BlockNotAvailableError(`block ${entry.index} is not available`)
      if (block.byteLength !== entry.byteLength) {
        throw new InvalidBlockMapError(
          `block ${entry.index} holds ${block.byteLength} bytes, the map says ${entry.byteLength}`
        )
      }
      const chunk =
        offset > 0 || end - pos < block.byteLength ? block.subarray(offset, offset + (end - pos)) : block
      i++
      offset = 0
      pos += chunk.byteLength
      yield chunk
    }
  }
}

/** A running download (what `Hypercore#download` returns). */
interface Download {
  destroy(): void
}

/**
 * Keeps positions `[reader, reader + window)` of `[start, end)` requested, topping up in half
 * windows so a slow reader does not cost a request per block. Positions are block indexes for a
 * plain blob and entry numbers for a block map; `request` turns a run of them into a download.
 */
export class Prefetcher {
  readonly #end: number
  readonly #window: number
  readonly #request: (from: number, to: number) => Download
  #next: number
  #downloads: Array<{ to: number; download: Download }> = []

  /** A prefetcher of `[start, end)`, `window` positions ahead (at least 1). */
  constructor(start: number, end: number, window: number, request: (from: number, to: number) => Download) {
    this.#next = start
    this.#end = end
    this.#window = Math.max(1, window)
    this.#request = request
  }

  /** The reader is at `position`: request what the window needs, drop downloads it has passed. */
  update(position: number): void {
    if (this.#downloads.length > 0 && this.#downloads[0]!.to <= position) {
      this.#downloads = this.#downloads.filter((d) => {
        if (d.to > position) return true
        d.download.destroy()
        return false
      })
    }
    if (this.#next >= this.#end || this.#next - position > this.#window / 2) return
    const to = Math.min(this.#end, position + this.#window)
    if (to <= this.#next) return
    this.#downloads.push({ to, download: this.#request(this.#next, to) })
    this.#next = to
  }

  /** Cancels every download still running. */
  destroy(): void {
    for (const d of this.#downloads) d.download.destroy()
    this.#downloads = []
    this.#next = this.#end
  }
}
