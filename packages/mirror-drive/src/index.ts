/**
 * `@orchard/mirror-drive` — mirror one drive into another, as mirror-drive 1.14 does: between
 * hyperdrives, localdrives (Orchard's or the real packages), or any object of the same shape.
 * Isomorphic: no Node built-ins, no dependencies.
 *
 * ```ts
 * import { MirrorDrive } from '@orchard/mirror-drive'
 * const mirror = new MirrorDrive(localdrive, hyperdrive, { prune: true })
 * for await (const diff of mirror) console.log(diff) // { op: 'add', key: '/a.txt', bytesRemoved: 0, bytesAdded: 4 }
 * console.log(mirror.count) // { files: 1, add: 1, remove: 0, change: 0 }
 * ```
 *
 * @module \@orchard/mirror-drive
 */

export { MirrorDriveError, type MirrorDriveErrorCode } from './errors.ts'
export { MirrorDrive } from './mirror.ts'
export { isTransformer, iterate, streamsEqual, through, writeAll } from './streams.ts'
export type {
  BlobsLike,
  ByteSink,
  ByteSource,
  DriveBlob,
  DriveCore,
  DriveEntry,
  DriveEntryValue,
  EventWritable,
  MirrorCount,
  MirrorDiff,
  MirrorOptions,
  MirrorWriteOptions,
  SourceDrive,
  TargetDrive,
  Transformer,
  WebTransformer
} from './types.ts'
export { normalizeKey, sameData } from './util.ts'
