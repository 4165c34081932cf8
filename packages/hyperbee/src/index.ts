/**
 * `@orchard/hyperbee`: a sorted key-value database on a hypercore, byte-compatible with
 * hyperbee 2 — a bee written here is read by unmodified Node/Pear peers and the reverse.
 *
 * The story: a bee is an append-only B-tree. Block 0 of the core is a header; every write appends
 * one block holding the key, the value and the tree nodes the write changed (an "index" of levels
 * of block pointers), so any version of the tree is readable from its last block, and a reader of a
 * sparse replica fetches only the blocks on the paths it walks.
 *
 * - {@link Hyperbee}: `get`/`put`/`del` (with `cas`), `batch()` (atomic appends), ordered range
 *   streams, history and diff streams, `sub`, `checkout`/`snapshot`, `watch`/`getAndWatch`.
 * - Formats ({@link encodeNode}, {@link decodeNode}, {@link encodeYoloIndex}, ...): hyperbee's
 *   protobuf messages, with our own small protobuf reader and writer.
 * - Every block is untrusted even when signed: malformed nodes and impossible pointers raise a
 *   typed {@link DecodingError}; bad arguments raise {@link BadArgumentError}.
 *
 * @module \@orchard/hyperbee
 */
export { Batch, type BatchOptions, type GetOptions, type WriteOptions } from './batch.ts'
export { compare as compareKeys } from './bytes.ts'
export {
  type Codec,
  type CompactCodec,
  type CompactState,
  type Encoding,
  type RangeBounds,
  resolveEncoding
} from './encodings.ts'
export * from './errors.ts'
export {
  type CheckoutOptions,
  Hyperbee,
  type HyperbeeEvents,
  type HyperbeeOptions,
  type SubOptions
} from './hyperbee.ts'
export type { DiffEntry } from './iterators/diff.ts'
export type { HistoryEntry, HistoryOptions } from './iterators/history.ts'
export { BeeStream, type Source } from './iterators/stream.ts'
export {
  decodeHeader,
  decodeNode,
  decodeYoloIndex,
  encodeHeader,
  encodeNode,
  encodeYoloIndex,
  type Header,
  type HeaderMetadata,
  type Level,
  type NodeMessage,
  type YoloIndex
} from './messages.ts'
export { prefixEncoding, type RangeOptions } from './range.ts'
export { type BeeNode, type CasFn, MAX_CHILDREN, MIN_KEYS } from './tree.ts'
export {
  EntryWatcher,
  type EntryWatcherEvents,
  type EntryWatcherOptions,
  type EntryWatcherSource,
  Watcher,
  type WatcherEvents,
  type WatcherOptions
} from './watch.ts'
