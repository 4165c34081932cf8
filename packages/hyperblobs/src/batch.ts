/**
 * A batch of puts appended at once (hyperblobs' `blobs.batch()`): blobs are cut into blocks as
 * `put` cuts them and held until `flush()` appends them all in one atomic append, so a set of
 * blobs lands together or not at all.
 */
import type { Hypercore } from '@orchard/hypercore'
import { type BlobInput, concat, toBytes } from './bytes.ts'
import { type BlobId, validateId } from './id.ts'

/** What a batch needs of its store. */
export interface BatchOwner {
  /** The store's core. */
  readonly core: Hypercore
  /** The store's block size. */
  readonly blockSize: number
  /** Opens the store. */
  ready(): Promise<void>
  /** Reads a blob already in the core. */
  get(id: BlobId): Promise<Uint8Array | null>
}

/** Blobs put but not yet appended; `flush()` appends them. */
export class HyperblobsBatch {
  /** The store the batch writes to. */
  readonly blobs: BatchOwner
  #blocks: Uint8Array[] = []
  #bytes = 0

  /** A batch on `blobs` (use `Hyperblobs#batch`). */
  constructor(blobs: BatchOwner) {
    this.blobs = blobs
  }

  /** Opens the store. */
  ready(): Promise<void> {
    return this.blobs.ready()
  }

  /** Adds a blob; its id is final, its blocks are appended by `flush()`. */
  async put(blob: BlobInput): Promise<BlobId> {
    const bytes = toBytes(blob)
    const core = this.blobs.core
    if (!core.opened) await core.ready()
    const blockSize = this.blobs.blockSize
    const id: BlobId = {
      blockOffset: core.length + this.#blocks.length,
      blockLength: 0,
      byteOffset: core.byteLength + this.#bytes,
      byteLength: 0
    }
    for (let offset = 0; offset < bytes.byteLength; offset += blockSize) {
      const block = bytes.subarray(offset, offset + blockSize)
      id.blockLength++
      id.byteLength += block.byteLength
      this.#bytes += block.byteLength
      this.#blocks.push(block)
    }
    return id
  }

  /** A blob of the core, or one put in this batch and not flushed yet (null if neither). */
  async get(id: BlobId): Promise<Uint8Array | null> {
    validateId(id)
    const core = this.blobs.core
    if (id.blockOffset < core.length) return this.blobs.get(id)
    const first = id.blockOffset - core.length
    if (first + id.blockLength > this.#blocks.length) return null
    const blocks = this.#blocks.slice(first, first + id.blockLength)
    return blocks.length === 1 ? blocks[0]! : concat(blocks)
  }

  /** Appends every pending block in one append. */
  async flush(): Promise<void> {
    if (this.#blocks.length === 0) return
    const blocks = this.#blocks
    await this.blobs.core.append(blocks)
    this.#blocks = []
    this.#bytes = 0
  }

  /** Drops nothing (as hyperblobs); pending blocks stay until `flush()`. */
  close(): void {}
}
