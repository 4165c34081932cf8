/**
 * `@orchard/hyperblobs`: blobs in a hypercore, laid out exactly as hyperblobs 2.9 lays them out —
 * a blob written here reads in unmodified Node/Pear peers (and hyperdrive 13), and the reverse.
 *
 * The story: a blob is cut into blocks (64 KiB by default) appended to the core; its id
 * `{ blockOffset, byteOffset, blockLength, byteLength }` says where they are. Reading a byte range
 * seeks through the core's Merkle tree to the first block and fetches only the blocks covering the
 * range, so a replica streams the middle of a large file without downloading the rest.
 *
 * - {@link Hyperblobs}: `put`, `get` (whole or ranged), `clear`, `createReadStream`,
 *   `createWriteStream`, `batch`, `monitor`, `getBlockMap`.
 * - {@link BlobReadStream}: an async iterable of `Uint8Array` chunks, also streamx-shaped
 *   (`on('data')`, `pause`/`resume`, `'end'`, `'close'`) and convertible to a WHATWG stream.
 * - {@link BlobWriteStream}: streamx-shaped (`write`/`end`, `'drain'`, `'finish'`, `'close'`), with
 *   `id` set at `'finish'` and an awaitable `done()`.
 * - Block maps and dedup (hyperblobs 2.9's `blockMap`/`dedup` options), same format.
 * - Typed errors ({@link HyperblobsError} and subclasses; `BLOCK_NOT_AVAILABLE` from the core).
 *
 * @module \@orchard/hyperblobs
 */
export { type BatchOwner, HyperblobsBatch } from './batch.ts'
export {
  type BlockMap,
  type BlockMapEntry,
  type CoreReadOptions,
  DedupIndex,
  decodeBlockMap,
  ENTRIES_PER_BLOCK,
  encodeBlockMap
} from './block-map.ts'
export type { BlobInput } from './bytes.ts'
export * from './errors.ts'
export {
  type ClearOptions,
  type ClearResult,
  DEFAULT_BLOCK_SIZE,
  type GetOptions,
  Hyperblobs,
  type HyperblobsOptions,
  type PutOptions
} from './hyperblobs.ts'
export {
  type BlobId,
  type ByteRange,
  MAX_BLOCK_MAP_BLOCKS,
  type RangeOptions,
  resolveRange,
  validateId
} from './id.ts'
export { Monitor, type MonitorEvents, type MonitorStats, speedometer } from './monitor.ts'
export {
  BlobReadStream,
  type BlobReadStreamEvents,
  type BlobReadStreamOptions,
  DEFAULT_PREFETCH
} from './read-stream.ts'
export {
  APPEND_BATCH,
  BlobWriteStream,
  type BlobWriteStreamEvents,
  type BlobWriteStreamOptions
} from './write-stream.ts'
