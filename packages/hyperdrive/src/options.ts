/**
 * The option, result and event types of the drive's API (hyperdrive 13's, typed).
 */

import type { ReadOptions } from './bee.ts'
import type { Blobs } from './blobs.ts'
import type { Entry } from './entry.ts'
import type { Ignore } from './paths.ts'

/** Options of `new Hyperdrive(corestore, key?, opts)`. */
export interface HyperdriveOptions {
  /** Encrypts both cores' blocks with this key (hypercore's default block cipher). */
  encryptionKey?: Uint8Array | null
  /** Called whenever a read has to wait for a block from peers. */
  onwait?: (index: number, core: unknown) => void
}

/** Options of `get` and `entry`. */
export interface GetOptions extends ReadOptions {
  /** Follow symlinks (up to 16), as `entry(path, { follow: true })`. */
  follow?: boolean
  /** For `get`: first byte of the file to return. */
  start?: number
  /** For `get`: last byte (inclusive) to return. */
  end?: number
  /** For `get`: how many bytes from `start`. */
  length?: number
}

/** Options of `put`. */
export interface PutOptions<M = unknown> {
  /** The executable bit (default false). */
  executable?: boolean
  /** Application metadata stored with the entry (any JSON value; default null). */
  metadata?: M | null
}

/** Options of `list`. */
export interface ListOptions extends ReadOptions {
  /** List everything below the folder (default), or only its children (`false`). */
  recursive?: boolean
  /** Paths to leave out, with everything inside them, or a predicate on keys. */
  ignore?: Ignore
}

/** Options of `clear` and `clearAll`. */
export interface ClearOptions {
  /** Resolve with `{ blocks }`, how many stored blocks were freed (else null). */
  diff?: boolean
}

/** What `clear`/`clearAll` resolve with: null, or `{ blocks }` with `diff: true`. */
export type Cleared = {
  /** How many stored blocks were freed. */
  blocks: number
} | null

/** One entry of `diff`: the path's entry now (`left`) and at the other version (`right`). */
export interface DriveDiffEntry {
  /** The entry in this drive, or null if it has none at this path. */
  left: Entry | null
  /** The entry at the other version, or null if it had none. */
  right: Entry | null
}

/** Events of a drive. */
export interface HyperdriveEvents {
  /** The drive opened. */
  ready: []
  /** The drive closed. */
  close: []
  /** The blobs core opened (a reader opens it once it has the drive's header). */
  blobs: [blobs: Blobs]
  /** The key of the blobs core, as it opens. */
  'content-key': [key: Uint8Array]
}
