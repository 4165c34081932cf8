/**
 * The drive shape a mirror needs: what hyperdrive 13, localdrive 2 (and Orchard's versions of
 * them) have in common. Streams may be async iterables (Orchard, streamx, Node) or WHATWG
 * streams; write streams may be WHATWG `WritableStream`s or Node/streamx-style writables.
 */

/** Where a file's bytes are (hyperdrive's blob id; a localdrive describes the file the same way). */
export interface DriveBlob {
  /** Where the blob starts in the blobs core, in bytes. */
  byteOffset: number
  /** Its first block. */
  blockOffset: number
  /** How many blocks it spans. */
  blockLength: number
  /** Its size in bytes (what the diffs count, unless `blockMap`). */
  byteLength: number
  /** Set on a deduplicated hyperblobs blob: its byte length comes from the blobs store. */
  blockMap?: boolean
}

/** The value of an entry. */
export interface DriveEntryValue {
  /** The file is executable. */
  executable: boolean
  /** For a link, its target; null for a file. */
  linkname: string | null
  /** For a file, where its bytes are; null for a link. */
  blob: DriveBlob | null
  /** Application metadata (null for none). */
  metadata: unknown
}

/** A file or link of a drive (hyperdrive adds `seq`, localdrive `mtime`). */
export interface DriveEntry {
  /** The normal key (`/a/b.txt`). */
  key: string
  /** What is there. */
  value: DriveEntryValue
}

/** Bytes to read: an async iterable of chunks, or a WHATWG `ReadableStream`. */
export type ByteSource = AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>

/** A Node/streamx-style writable: `write`/`end`, and `drain`/`finish`/`close`/`error` events. */
export interface EventWritable {
  /** Queues a chunk; `false` asks the writer to wait for `drain`. */
  write(chunk: Uint8Array): unknown
  /** No more chunks: finish (then emit `finish`). */
  end(): unknown
  /** Listens to `drain`, `finish`, `close` or `error`. */
  on(event: string, listener: (...args: unknown[]) => void): unknown
  /** Stops listening (or {@link removeListener}, Node's older name). */
  off?(event: string, listener: (...args: unknown[]) => void): unknown
  /** Stops listening. */
  removeListener?(event: string, listener: (...args: unknown[]) => void): unknown
  /** Aborts: nothing written is committed. */
  destroy?(err?: Error): unknown
}

/** Where bytes go: a WHATWG `WritableStream` or an {@link EventWritable}. */
export type ByteSink = WritableStream<Uint8Array> | EventWritable

/** The blobs store of a hyperdrive (only consulted for deduplicated blobs). */
export interface BlobsLike {
  /** The real size of a deduplicated blob. */
  getByteLength(blob: DriveBlob): number | Promise<number>
}

/** What a mirror reads from. */
export interface SourceDrive {
  /** Opens the drive (awaited first, when present). */
  ready?(): Promise<unknown>
  /** The entries under `prefix`, skipping what `ignore` says (hyperdrive and localdrive agree). */
  list(
    prefix: string,
    opts: { ignore?: (key: string) => boolean }
  ): AsyncIterable<DriveEntry | string> | ReadableStream<DriveEntry | string>
  /** The entry at `key`; given an entry, a hyperdrive returns it and a localdrive re-reads it. */
  entry(key: string | DriveEntry): Promise<DriveEntry | null>
  /** The bytes of an entry. */
  createReadStream(entry: DriveEntry): ByteSource
  /** Metadata is compared only when both drives support it. */
  readonly supportsMetadata?: boolean
  /** A hyperdrive's blobs store. */
  getBlobs?(): Promise<BlobsLike | null>
  /** A hyperdrive's core: a mirror refuses a destination whose core is not writable. */
  readonly core?: DriveCore | null
}

/** The part of a hyperdrive's core a mirror looks at. */
export interface DriveCore {
  /** Whether this peer can append. */
  readonly writable: boolean
}

/** Options mirror-drive passes when it writes a file. */
export interface MirrorWriteOptions {
  /** Deduplicate against the blob already at the key (hyperdrive only). */
  dedup?: boolean
  /** The source file's executable bit. */
  executable: boolean
  /** The source file's metadata. */
  metadata: unknown
}

/** What a mirror writes to. */
export interface TargetDrive extends SourceDrive {
  /** Removes the file or link at `key`. */
  del(key: string): Promise<unknown>
  /** Makes `key` a link to `linkname`. */
  symlink(key: string, linkname: string): Promise<unknown>
  /** Writes the file at `key`; committed when the stream finishes. */
  createWriteStream(key: string, opts: MirrorWriteOptions): ByteSink
  /** A hyperdrive writes an entry directly: a metadata-only change then copies no bytes. */
  putEntry?(key: string, value: DriveEntryValue): Promise<unknown>
  /** With `batch: true` the mirror writes into `batch()` and calls its `flush()` at the end. */
  batch?(): TargetDrive
  /** Commits a batch. */
  flush?(): Promise<unknown>
}

/** A transform for a file's bytes: a WHATWG `TransformStream` or a Node/streamx duplex. */
export type Transformer = WebTransformer | (EventWritable & AsyncIterable<Uint8Array>)

/** A WHATWG transform (`TransformStream`, or any readable/writable pair). */
export interface WebTransformer {
  /** What comes out. */
  readable: ReadableStream<Uint8Array>
  /** What goes in. */
  writable: WritableStream<Uint8Array>
}

/** Options of a mirror (mirror-drive 1.14's). */
export interface MirrorOptions {
  /** Only mirror under this folder (or these folders); a prefix that is a file is mirrored too. */
  prefix?: string | string[]
  /** Report what would change, change nothing. */
  dryRun?: boolean
  /** Remove from the destination what the source lacks (default true). */
  prune?: boolean
  /** Also yield `equal` diffs for files that are the same. */
  includeEquals?: boolean
  /** Only mirror source keys for which this returns true (pruning ignores it, as mirror-drive). */
  filter?: ((key: string) => boolean) | null
  /** Decides whether two entries' metadata is the same (default: deep equality). */
  metadataEquals?: ((srcMetadata: unknown, dstMetadata: unknown) => boolean) | null
  /** Write into `dst.batch()` and flush it once at the end. */
  batch?: boolean
  /** Mirror exactly these keys (or entries) rather than listing the source; `prefix` is ignored. */
  entries?: Iterable<string | DriveEntry> | AsyncIterable<string | DriveEntry> | null
  /** Skip these keys and everything under them (or what a predicate says), on both sides. */
  ignore?: string | string[] | ((key: string) => boolean) | null
  /** Ask a hyperdrive destination to deduplicate blobs against the previous version. */
  dedup?: boolean
  /**
   * Factories of byte transforms, `(key) => transform | null`, applied in order to every file
   * copied. With any, files are always copied (sameness cannot be known before transforming).
   */
  transformers?: Array<(key: string) => Transformer | null>
}

/** What a mirror did (or, with `dryRun`, would do) to one key. */
export interface MirrorDiff {
  /** `add` (new in the destination), `remove` (pruned), `change` (rewritten), `equal` (untouched). */
  op: 'add' | 'remove' | 'change' | 'equal'
  /** The key. */
  key: string
  /** Bytes of the destination's old file dropped (0 for a metadata-only change). */
  bytesRemoved: number
  /** Bytes of the source's file copied (0 for a metadata-only change or a link). */
  bytesAdded: number
}

/** The running totals of a mirror. */
export interface MirrorCount {
  /** Source files considered. */
  files: number
  /** Files added. */
  add: number
  /** Files removed. */
  remove: number
  /** Files changed. */
  change: number
}
