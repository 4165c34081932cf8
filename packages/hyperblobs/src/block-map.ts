/**
 * Block maps: the index hyperblobs 2.9 appends after a blob written with `blockMap` or `dedup`.
 * It lists, in order, the `{ index, byteLength }` of every block holding the blob — blocks of this
 * blob, or (deduplicated) equal blocks already in the core. The blob's id then points at the map,
 * not at the data. Wire format, per map block: compact-encoding `uint(version = 0)`,
 * `uint(count)`, then `count` × (`uint(index)`, `uint(byteLength)`); at most 8192 entries per block.
 */
import { CodecError, type State, uint } from '@orchard/codec'
import type { Hypercore } from '@orchard/hypercore'
import { equals, fingerprint } from './bytes.ts'
import { InvalidBlockMapError } from './errors.ts'
import type { BlobId } from './id.ts'

/** One block of a blob, as a block map lists it. */
export interface BlockMapEntry {
  /** The block's index in the core. */
  index: number
  /** The block's size in bytes. */
  byteLength: number
}

/** A decoded block map. */
export interface BlockMap {
  /** Format version (0: the only one). */
  version: number
  /** The blob's blocks, in order. */
  blocks: BlockMapEntry[]
}

/** Options of a read from the core: hypercore's `wait`, `timeout` and an abort signal. */
export interface CoreReadOptions {
  /** Wait for missing blocks from peers (default: the core's, true). */
  wait?: boolean
  /** Milliseconds to wait for a missing block (0 = no limit). */
  timeout?: number
  /** Cancels the waits. */
  signal?: AbortSignal
}

/** hyperblobs' entries per map block. */
export const ENTRIES_PER_BLOCK = 8192

/** Encodes `entries` as map blocks (none for an empty map, as hyperblobs). */
export function encodeBlockMap(entries: readonly BlockMapEntry[]): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let i = 0; i < entries.length; i += ENTRIES_PER_BLOCK) {
    const chunk = entries.slice(i, i + ENTRIES_PER_BLOCK)
    const s: State = { start: 0, end: 0, buffer: new Uint8Array(0) }
    uint.preencode(s, 0)
    uint.preencode(s, chunk.length)
    for (const e of chunk) {
      uint.preencode(s, e.index)
      uint.preencode(s, e.byteLength)
    }
    s.buffer = new Uint8Array(s.end)
    uint.encode(s, 0)
    uint.encode(s, chunk.length)
    for (const e of chunk) {
      uint.encode(s, e.index)
      uint.encode(s, e.byteLength)
    }
    out.push(s.buffer)
  }
  return out
}

/**
 * Decodes map blocks (in order) into one map. Bytes after a block's list are ignored, as
 * hyperblobs does; an unknown version or a truncated list raises {@link InvalidBlockMapError}.
 */
export function decodeBlockMap(buffers: readonly Uint8Array[]): BlockMap {
  const blocks: BlockMapEntry[] = []
  for (const buffer of buffers) {
    const s: State = { start: 0, end: buffer.byteLength, buffer }
    try {
      const version = uint.decode(s)
      if (version > 0) throw new InvalidBlockMapError(`Unsupported block map version ${version}`)
      const n = uint.decode(s)
      // every entry takes at least two bytes: refuse impossible counts before looping
      if (n > (s.end - s.start) / 2) throw new InvalidBlockMapError(`${n} entries cannot fit in the block`)
      for (let i = 0; i < n; i++) blocks.push({ index: uint.decode(s), byteLength: uint.decode(s) })
    } catch (err) {
      if (err instanceof CodecError)
        throw new InvalidBlockMapError('a block map does not decode', { cause: err })
      throw err
    }
  }
  return { version: 0, blocks }
}

/**
 * The block map of `id`: decoded from its map blocks (a `blockMap` id), or inferred from its
 * blocks (a plain id; this reads every block). Null if a block is not available (`wait: false`).
 */
export async function getBlockMap(
  core: Hypercore,
  id: BlobId,
  opts: CoreReadOptions = {}
): Promise<BlockMap | null> {
  const gets: Promise<Uint8Array | null>[] = []
  for (let i = 0; i < id.blockLength; i++) gets.push(core.get(id.blockOffset + i, opts))
  const blocks = await Promise.all(gets)
  if (blocks.some((b) => b === null)) return null
  if (id.blockMap) return decodeBlockMap(blocks as Uint8Array[])
  return {
    version: 0,
    blocks: (blocks as Uint8Array[]).map((b, i) => ({ index: id.blockOffset + i, byteLength: b.byteLength }))
  }
}

/** The total data bytes a map lists. */
export function mapByteLength(map: BlockMap): number {
  let n = 0
  for (const b of map.blocks) n += b.byteLength
  return n
}

/**
 * Finds blocks equal to a given one among blocks already written (dedup's index). hyperblobs keys
 * them by their BLAKE2b hash; we key them by a fast fingerprint and confirm with the bytes, which
 * finds exactly the same blocks without a crypto dependency and cannot be fooled by collisions.
 */
export class DedupIndex {
  readonly #buckets = new Map<string, BlockMapEntry[]>()
  readonly #load: (entry: BlockMapEntry) => Promise<Uint8Array | null>

  /** An empty index; `load` reads back the bytes of an entry it holds. */
  constructor(load: (entry: BlockMapEntry) => Promise<Uint8Array | null>) {
    this.#load = load
  }

  /**
   * Records `entry` (holding `bytes`) from an earlier blob. As hyperblobs' hash map, a later block
   * with the same bytes replaces an earlier one, so dedup points at the last copy.
   */
  async set(bytes: Uint8Array, entry: BlockMapEntry): Promise<void> {
    const key = fingerprint(bytes)
    const bucket = this.#buckets.get(key)
    if (!bucket) {
      this.#buckets.set(key, [entry])
      return
    }
    const i = await this.#indexOf(bucket, bytes)
    if (i === -1) bucket.push(entry)
    else bucket[i] = entry
  }

  /** The recorded block equal to `bytes`, or null after recording `entry` for it. */
  async findOrAdd(bytes: Uint8Array, entry: BlockMapEntry): Promise<BlockMapEntry | null> {
    const key = fingerprint(bytes)
    const bucket = this.#buckets.get(key)
    if (!bucket) {
      this.#buckets.set(key, [entry])
      return null
    }
    const i = await this.#indexOf(bucket, bytes)
    if (i !== -1) return bucket[i]!
    bucket.push(entry)
    return null
  }

  async #indexOf(bucket: BlockMapEntry[], bytes: Uint8Array): Promise<number> {
    for (let i = 0; i < bucket.length; i++) {
      const other = await this.#load(bucket[i]!)
      if (other !== null && equals(other, bytes)) return i
    }
    return -1
  }
}
