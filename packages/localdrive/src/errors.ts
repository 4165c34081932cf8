/**
 * Typed errors. What Orchard's localdrive raises itself is a {@link LocaldriveError} with a stable
 * `code`. File-system failures keep the POSIX codes Node uses (`ENOENT`, `EISDIR`, `ENOTDIR`, ...):
 * the Node adapter lets Node's own errors through, and the browser adapter raises a
 * {@link FileSystemError} with the same code, so callers branch on `err.code` on both.
 *
 * Messages that localdrive 2 has (`Recursive symlink`) are kept word for word.
 */

/** The codes a {@link LocaldriveError} carries. */
export type LocaldriveErrorCode =
  | 'INVALID_PATH'
  | 'PATH_TRAVERSAL'
  | 'RECURSIVE_SYMLINK'
  | 'NOT_SUPPORTED'
  | 'ENOENT'
  | 'EISDIR'
  | 'ENOTDIR'
  | 'EEXIST'
  | 'EACCES'
  | 'EIO'

/** Base class of every error localdrive raises itself. */
export class LocaldriveError extends Error {
  /** A stable code to branch on. */
  readonly code: LocaldriveErrorCode

  /** An error of kind `code` with `message`. */
  constructor(code: LocaldriveErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'LocaldriveError'
    this.code = code
  }
}

/** A key that is not a usable path: not a string, or containing a NUL character. */
export class InvalidPathError extends LocaldriveError {
  /** The offending key, as given. */
  readonly key: unknown

  /** An `INVALID_PATH` error about `key`. */
  constructor(key: unknown, reason: string) {
    super('INVALID_PATH', `Invalid path ${JSON.stringify(String(key))}: ${reason}`)
    this.name = 'InvalidPathError'
    this.key = key
  }
}

/** A key whose `..` segments climb above the drive's root. */
export class PathTraversalError extends LocaldriveError {
  /** The offending key, as given. */
  readonly key: string

  /** A `PATH_TRAVERSAL` error about `key` (unix-path-resolve's message). */
  constructor(key: string) {
    super('PATH_TRAVERSAL', "Path cannot be resolved, too many '..'")
    this.name = 'PathTraversalError'
    this.key = key
  }
}

/** `entry(key, { follow: true })` met more than 16 links in a row. */
export class SymlinkLoopError extends LocaldriveError {
  /** A `RECURSIVE_SYMLINK` error (localdrive's message). */
  constructor() {
    super('RECURSIVE_SYMLINK', 'Recursive symlink')
    this.name = 'SymlinkLoopError'
  }
}

/** The file system underneath cannot do this (a symlink in a browser directory). */
export class NotSupportedError extends LocaldriveError {
  /** A `NOT_SUPPORTED` error saying what is missing. */
  constructor(message: string) {
    super('NOT_SUPPORTED', message)
    this.name = 'NotSupportedError'
  }
}

/** A file-system failure with Node's POSIX code, raised by adapters that are not Node's. */
export class FileSystemError extends LocaldriveError {
  /** The key the operation was on. */
  readonly key: string

  /** An error of POSIX `code` on `key`, as `${code}: ${message}, '${key}'` like Node's. */
  constructor(
    code: 'ENOENT' | 'EISDIR' | 'ENOTDIR' | 'EEXIST' | 'EACCES' | 'EIO',
    message: string,
    key: string,
    options?: { cause?: unknown }
  ) {
    super(code, `${code}: ${message}, '${key}'`, options)
    this.name = 'FileSystemError'
    this.key = key
  }
}
