/**
 * Typed errors of the drive. Each has a stable `code` (and a class, for `instanceof`), so callers
 * branch on `err.code`, never on messages. Errors of the layers underneath — hypercore's
 * `HypercoreError`s (`BLOCK_NOT_AVAILABLE`, `REQUEST_TIMEOUT`, `SESSION_NOT_WRITABLE`, ...) and
 * hyperbee's `HyperbeeError`s — pass through as they are, with the codes hyperdrive's users know.
 */

/** The codes a {@link HyperdriveError} carries. */
export type HyperdriveErrorCode =
  | 'INVALID_PATH'
  | 'MALFORMED_ENTRY'
  | 'RECURSIVE_SYMLINK'
  | 'FILE_NOT_FOUND'
  | 'INVALID_BLOBS_KEY'
  | 'BAD_ARGUMENT'
  | 'INVALID_OPERATION'
  | 'DRIVE_CLOSED'

/** Base class of every error the drive raises itself. */
export class HyperdriveError extends Error {
  /** A stable code to branch on. */
  readonly code: HyperdriveErrorCode

  /** An error of kind `code`; the message is prefixed with the code. */
  constructor(code: HyperdriveErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'HyperdriveError'
    this.code = code
  }
}

/**
 * A path the drive refuses: it climbs above the root (`/a/../../b`), names the root itself as a
 * file, contains a NUL byte, or is too long (see `MAX_PATH_BYTES`, `MAX_NAME_BYTES`). hyperdrive
 * throws a plain `Error` for the first two and accepts the others; we refuse them all, typed.
 */
export class InvalidPathError extends HyperdriveError {
  /** The path as given (truncated in the message when long). */
  readonly path: unknown

  /** An `INVALID_PATH` error about `path`. */
  constructor(message: string, path: unknown) {
    super('INVALID_PATH', message)
    this.name = 'InvalidPathError'
    this.path = path
  }
}

/**
 * An entry of the metadata bee that is not a hyperdrive entry: a value that is not the JSON object
 * hyperdrive writes, a blob pointer that is not four non-negative integers, or a key that is not a
 * normalised path. The writer of the drive signed garbage; nothing is returned for it.
 */
export class MalformedEntryError extends HyperdriveError {
  /** The bee block the entry came from, when known. */
  readonly seq: number | null

  /** A `MALFORMED_ENTRY` error. */
  constructor(message: string, options: { seq?: number | null; cause?: unknown } = {}) {
    const seq = options.seq ?? null
    super('MALFORMED_ENTRY', seq === null ? message : `block ${seq}: ${message}`, options)
    this.name = 'MalformedEntryError'
    this.seq = seq
  }
}

/** `entry(path, { follow: true })` went through more than 16 symlinks (hyperdrive's limit). */
export class RecursiveSymlinkError extends HyperdriveError {
  /** A `RECURSIVE_SYMLINK` error. */
  constructor(path: string) {
    super('RECURSIVE_SYMLINK', `Recursive symlink: ${path}`)
    this.name = 'RecursiveSymlinkError'
  }
}

/** `createReadStream` of a path with no entry (hyperdrive: `Blob does not exist`). */
export class FileNotFoundError extends HyperdriveError {
  /** The path read. */
  readonly path: string

  /** A `FILE_NOT_FOUND` error about `path`. */
  constructor(path: string) {
    super('FILE_NOT_FOUND', `Blob does not exist: ${path}`)
    this.name = 'FileNotFoundError'
    this.path = path
  }
}

/** The blobs core key in the drive's header is missing or not 32 bytes, and none can be derived. */
export class InvalidBlobsKeyError extends HyperdriveError {
  /** An `INVALID_BLOBS_KEY` error. */
  constructor(message = 'Invalid or no Blob store key set') {
    super('INVALID_BLOBS_KEY', message)
    this.name = 'InvalidBlobsKeyError'
  }
}

/** An argument has the wrong type or is out of range. */
export class BadArgumentError extends HyperdriveError {
  /** A `BAD_ARGUMENT` error. */
  constructor(message: string) {
    super('BAD_ARGUMENT', message)
    this.name = 'BadArgumentError'
  }
}

/** The operation is not possible on this drive (e.g. `purge` of a checkout). */
export class InvalidOperationError extends HyperdriveError {
  /** An `INVALID_OPERATION` error. */
  constructor(message: string) {
    super('INVALID_OPERATION', message)
    this.name = 'InvalidOperationError'
  }
}

/** The drive was closed before or while the operation ran. */
export class DriveClosedError extends HyperdriveError {
  /** A `DRIVE_CLOSED` error. */
  constructor(message = 'Closed') {
    super('DRIVE_CLOSED', message)
    this.name = 'DriveClosedError'
  }
}
