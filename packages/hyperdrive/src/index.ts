/**
 * `@orchard/hyperdrive`: a peer-to-peer file system, compatible with hyperdrive 13 — a drive
 * written in a browser tab is read by unmodified Node/Pear peers, and the reverse.
 *
 * The story: a drive is two cores in a corestore. The metadata core is a hyperbee mapping each
 * normalised path (`/docs/a.txt`) to an entry — the executable bit, a symlink target, application
 * metadata and a pointer into the blobs core, where hyperblobs keeps the file contents in 64 KiB
 * blocks. The blobs core's key derives from the metadata core's manifest, so the drive key is all
 * a reader needs; it then fetches only the metadata blocks on the paths it reads and only the
 * content blocks of the byte ranges it reads, each verified against the writer's signed tree.
 *
 * - {@link Hyperdrive}: `put`/`get`/`del`/`symlink`/`entry`, `list`/`readdir`, file streams,
 *   `checkout`, `diff`, `watch`, `batch`, downloads, `clear`, `replicate`.
 * - Paths ({@link normalizePath}): hyperdrive's `unix-path-resolve` rules; a path that climbs
 *   above the root, holds a NUL byte or is too long raises {@link InvalidPathError}.
 * - Entries ({@link encodeEntryValue}, {@link decodeEntryValue}): hyperdrive's JSON, byte for byte;
 *   a malformed entry from a peer raises {@link MalformedEntryError}.
 *
 * @module \@orchard/hyperdrive
 */

export type { DriveBee, DriveStream, ReadOptions } from './bee.ts'
export type { Blobs } from './blobs.ts'
export { blobsNamespaceKey, contentKeyOf, contentManifest } from './content-key.ts'
export { Download, type DownloadInit, type DownloadOptions } from './download.ts'
export { Hyperdrive, MAX_SYMLINK_DEPTH } from './drive.ts'
export {
  type BlobId,
  decodeEntryValue,
  ENTRY_ENCODINGS,
  type Entry,
  type EntryEncodings,
  type EntryValue,
  encodeEntryValue,
  entryValue,
  entryValueEncoding,
  filesKeyEncoding
} from './entry.ts'
export * from './errors.ts'
export {
  DriveMonitor,
  type DriveMonitorEvents,
  type MonitorOptions,
  type TransferStats
} from './monitor.ts'
export type {
  Cleared,
  ClearOptions,
  DriveDiffEntry,
  GetOptions,
  HyperdriveEvents,
  HyperdriveOptions,
  ListOptions,
  PutOptions
} from './options.ts'
export {
  checkLinkTarget,
  type Ignore,
  isNormalPath,
  MAX_NAME_BYTES,
  MAX_PATH_BYTES,
  normalizeFolder,
  normalizePath,
  resolvePath
} from './paths.ts'
export {
  type FileReadOptions,
  FileReadStream,
  FileWriteStream,
  type FileWriteStreamEvents,
  type FileWriteStreamOptions
} from './streams.ts'
export { DriveWatcher } from './watch.ts'
