/**
 * The `Hyperblobs` class: hyperblobs 2.9's API over a core — `put`/`get`/`clear` of whole blobs,
 * ranged read streams, write streams, batches, monitors — with typed options and errors.
 */
import type { Hypercore } from '@orchard/hypercore'
import { HyperblobsBatch } from './batch.ts'
import { type BlockMap, type CoreReadOptions, getBlockMap } from './block-map.ts'
import { type BlobInput, concat, toBytes } from './bytes.ts'
import { BadArgumentError, InvalidBlobIdError } from './errors.ts'
import { type BlobId, checkBlockSize, isWholeBlob, resolveRange, validateId } from './id.ts'
import { Mutex } from './lock.ts'
import { Monitor } from './monitor.ts'
import { BlobReadStream, type BlobReadStreamOptions } from './read-stream.ts'
import { BlobWriteStream, type BlobWriteStreamOptions } from './write-stream.ts'

/** hyperblobs' default block size: 64 KiB. */
export const DEFAULT_BLOCK_SIZE = 2 ** 16

/** Options of `new Hyperblobs(core, opts)`. */
export interface HyperblobsOptions {
  /** Bytes per block when `put` cuts a blob (default 64 KiB, as hyperblobs). */
  blockSize?: number
}

/** Options of `put`: the write stream's, plus the block size. */
export interface PutOptions extends BlobWriteStreamOptions {
  /** Bytes per block for this blob (default: the store's). */
  blockSize?: number
}

/** Options of `get`: a byte range and how to wait, as `createReadStream`. */
export type GetOptions = BlobReadStreamOptions

/** Options of `clear`: hypercore's `clear` options. */
export interface ClearOptions {
  /** Resolve with how many stored blocks were freed (else null). */
  diff?: boolean
}

/** What `clear(id, { diff: true })` resolves with. */
export interface ClearResult {
  /** How many stored blocks were freed. */
  blocks: number
}

/**
 * A blob store on one core: blobs are cut into blocks and appended; a blob's id says where its
 * blocks and bytes are. Byte-compatible with hyperblobs 2.9: the same puts append the same blocks.
 */
export class Hyperblobs {
  /** The core the blobs live in. */
  readonly core: Hypercore
  /** Bytes per block when `put` cuts a blob. */
  readonly blockSize: number
  readonly #lock = new Mutex()
  readonly #monitors = new Set<Monitor>()
  #unlisten: Array<() => void> = []

  /** A store on `core` (any binary core: writable to put, a replica to read). */
  constructor(core: Hypercore, opts: HyperblobsOptions = {}) {
    if (!core || typeof core.get !== 'function' || typeof core.append !== 'function') {
      throw new BadArgumentError('Hyperblobs needs a Hypercore')
    }
    this.core = core
    this.blockSize =
      opts.blockSize === undefined || opts.blockSize === null
        ? DEFAULT_BLOCK_SIZE
        : checkBlockSize(opts.blockSize)
  }

  /** The core's key. */
  get key(): Uint8Array | null {
    return this.core.key
  }

  /** The core's discovery key. */
  get discoveryKey(): Uint8Array | null {
    return this.core.discoveryKey
  }

  /** The core (hyperblobs' older name). */
  get feed(): Hypercore {
    return this.core
  }

  /** Whether a write stream holds the store (a blob is being written). */
  get locked(): boolean {
    return this.#lock.locked
  }

  /** Replicates the core (see `Hypercore#replicate`). */
  replicate(...args: Parameters<Hypercore['replicate']>): ReturnType<Hypercore['replicate']> {
    return this.core.replicate(...args)
  }

  /** Opens the core. */
  async ready(): Promise<void> {
    await this.core.ready()
  }

  /** Closes the core. */
  async close(): Promise<void> {
    await this.core.close()
  }

  /** A batch: puts held until `flush()` appends them at once. */
  batch(): HyperblobsBatch {
    return new HyperblobsBatch(this)
  }

  /** A store on a snapshot of the core (a frozen view for reading). */
  snapshot(): Hyperblobs {
    return new Hyperblobs(this.core.snapshot(), { blockSize: this.blockSize })
  }

  /**
   * Stores `blob` (bytes, or a string as UTF-8), cut into `blockSize` blocks, and resolves with its
   * id once appended. Puts of one store are serialized, so each blob's blocks are contiguous.
   */
  async put(blob: BlobInput, opts: PutOptions = {}): Promise<BlobId> {
    const bytes = toBytes(blob)
    const blockSize =
      opts.blockSize === undefined || opts.blockSize === null
        ? this.blockSize
        : checkBlockSize(opts.blockSize)
    const stream = this.createWriteStream(opts)
    for (let i = 0; i < bytes.byteLength; i += blockSize) stream.write(bytes.subarray(i, i + blockSize))
    stream.end()
    return stream.done()
  }

  /**
   * The blob `id`, or the byte range `start`/`end` (inclusive)/`length` of it. Missing blocks are
   * waited for (from peers) unless `wait: false`, which resolves null instead, as does a block
   * that is not available (cleared). Bad ids and ranges throw typed errors.
   */
  async get(id: BlobId, opts?: GetOptions): Promise<Uint8Array | null> {
    validateId(id)
    if (!id.blockMap) resolveRange(id.byteLength, opts)
    if (isWholeBlob(id, opts)) return this.#getAll(id, opts ?? {})
    const chunks: Uint8Array[] = []
    try {
      for await (const chunk of this.createReadStream(id, opts)) chunks.push(chunk)
    } catch (err) {
      if ((err as { code?: unknown }).code === 'BLOCK_NOT_AVAILABLE') return null
      throw err
    }
    return chunks.length === 1 ? chunks[0]! : concat(chunks)
  }

  /**
   * The block map of `id` (the blocks holding the blob, in order): decoded for a `blockMap` id,
   * inferred from the blocks (all read) for a plain one. Null if unavailable with `wait: false`.
   */
  async getBlockMap(id: BlobId, opts: CoreReadOptions = {}): Promise<BlockMap | null> {
    validateId(id)
    return getBlockMap(this.core, id, opts)
  }

  /**
   * Deletes the local copy of the blob's blocks (the core keeps its length and proofs; peers can
   * serve them again). For a block map, the blocks it lists go too — including blocks it shares
   * with other blobs through dedup, as in hyperblobs. With `diff`, resolves with the blocks freed.
   */
  async clear(id: BlobId, opts: ClearOptions = {}): Promise<ClearResult | null> {
    validateId(id)
    let freed = 0
    if (id.blockMap) {
      const map = await getBlockMap(this.core, id, { wait: false }).catch(() => null)
      for (const b of map?.blocks ?? []) {
        freed += (await this.core.clear(b.index, b.index + 1, { diff: true }))?.blocks ?? 0
      }
    }
    const own = await this.core.clear(id.blockOffset, id.blockOffset + id.blockLength, { diff: true })
    return opts.diff ? { blocks: freed + (own?.blocks ?? 0) } : null
  }

  /** A stream of the blob's bytes (or a range of them); see {@link BlobReadStream}. */
  createReadStream(id: BlobId, opts: BlobReadStreamOptions = {}): BlobReadStream {
    return new BlobReadStream(opts.core ?? this.core, id, opts)
  }

  /** A stream writing one blob, each chunk one block; see {@link BlobWriteStream}. */
  createWriteStream(opts: BlobWriteStreamOptions = {}): BlobWriteStream {
    return new BlobWriteStream(opts.core ?? this.core, this.#lock, opts)
  }

  /** Watches the upload and download of the blob's blocks. */
  monitor(id: BlobId): Monitor {
    const monitor = new Monitor(this, id)
    if (this.#monitors.size === 0) this.#listen()
    this.#monitors.add(monitor)
    return monitor
  }

  /** @internal */
  _removeMonitor(monitor: Monitor): void {
    if (!this.#monitors.delete(monitor)) return
    if (this.#monitors.size === 0) {
      for (const off of this.#unlisten) off()
      this.#unlisten = []
    }
  }

  async #getAll(id: BlobId, opts: GetOptions): Promise<Uint8Array | null> {
    if (id.blockLength === 0) return new Uint8Array(0)
    const read = { wait: opts.wait, timeout: opts.timeout }
    // every block asked for at once, as hyperblobs: a replica requests them in parallel
    const gets: Promise<Uint8Array | null>[] = []
    for (let i = 0; i < id.blockLength; i++) gets.push(this.core.get(id.blockOffset + i, read))
    const blocks = await Promise.all(gets)
    if (blocks.some((b) => b === null)) return null
    const out = blocks.length === 1 ? blocks[0]! : concat(blocks as Uint8Array[])
    if (out.byteLength !== id.byteLength) {
      throw new InvalidBlobIdError(
        `the blob's blocks hold ${out.byteLength} bytes, the id says ${id.byteLength}`
      )
    }
    return out
  }

  #listen(): void {
    const core = this.core
    const peers = () => {
      for (const m of this.#monitors) m._updatePeers()
    }
    const upload = (index: number, bytes: number) => {
      for (const m of this.#monitors) m._onUpload(index, bytes)
    }
    const download = (index: number, bytes: number) => {
      for (const m of this.#monitors) m._onDownload(index, bytes)
    }
    core.on('peer-add', peers)
    core.on('peer-remove', peers)
    core.on('upload', upload)
    core.on('download', download)
    this.#unlisten = [
      () => core.off('peer-add', peers),
      () => core.off('peer-remove', peers),
      () => core.off('upload', upload),
      () => core.off('download', download)
    ]
  }
}
