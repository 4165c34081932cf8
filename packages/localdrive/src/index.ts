/**
 * `@orchard/localdrive` — a folder with hyperdrive's API, as localdrive 2 has it: `entry`, `get`,
 * `put`, `del`, `exists`, `list`, `readdir`, `symlink`, `compare`, `createReadStream`,
 * `createWriteStream`, and the no-op `ready`/`close`/`flush`/`batch`/`checkout`. The drive runs on
 * a small {@link FileSystem} adapter; `@orchard/localdrive/node` (Node's file system) and
 * `@orchard/localdrive/browser` (a `FileSystemDirectoryHandle`: OPFS or a picked folder) ship one
 * each. This entry imports nothing from Node.
 *
 * @module \@orchard/localdrive
 */

export {
  type EntryOptions,
  type IgnoreOption,
  type ListOptions,
  type LocalBlob,
  Localdrive,
  type LocaldriveOptions,
  type LocalEntry,
  type LocalEntryValue,
  type MetadataHooks
} from './drive.ts'
export {
  FileSystemError,
  InvalidPathError,
  LocaldriveError,
  type LocaldriveErrorCode,
  NotSupportedError,
  PathTraversalError,
  SymlinkLoopError
} from './errors.ts'
export type {
  DirEntry,
  FileReader,
  FileStat,
  FileSystem,
  FileType,
  FileWriter,
  FollowMode,
  OpenWriteOptions
} from './fs.ts'
export { keyNames, normalizeKey, parentKey, resolveKey } from './path.ts'
export {
  type Listener,
  LocalReadStream,
  LocalWriteStream,
  type ReadStreamOptions,
  type WriteContext,
  type WriteStreamEvents,
  type WriteStreamOptions
} from './streams.ts'
