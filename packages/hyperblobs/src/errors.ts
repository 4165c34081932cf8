/**
 * Typed errors. Everything Orchard's hyperblobs raises itself is a {@link HyperblobsError} with a
 * stable `code`, so callers branch on `err.code` or `instanceof`, never on messages. A block that is
 * not available (`wait: false`, or cleared) raises the core's own `BlockNotAvailableError`
 * (`BLOCK_NOT_AVAILABLE`, re-exported here) — the code hyperblobs and hyperdrive already test for.
 * Other errors of the core underneath (timeouts, closed sessions) pass through as they are.
 */
export { BlockNotAvailableError } from '@orchard/hypercore'

/** The codes a {@link HyperblobsError} carries. */
export type HyperblobsErrorCode =
  | 'BAD_ARGUMENT'
  | 'INVALID_BLOB_ID'
  | 'INVALID_RANGE'
  | 'INVALID_BLOCK_MAP'
  | 'STREAM_DESTROYED'

/** Base class of every error hyperblobs raises itself. */
export class HyperblobsError extends Error {
  /** A stable code to branch on. */
  readonly code: HyperblobsErrorCode

  /** An error of kind `code`; the message is prefixed with the code. */
  constructor(code: HyperblobsErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'HyperblobsError'
    this.code = code
  }
}

/** An argument has the wrong type or value (a block size of 0, a blob that is not bytes). */
export class BadArgumentError extends HyperblobsError {
  /** A `BAD_ARGUMENT` error with `message`. */
  constructor(message: string) {
    super('BAD_ARGUMENT', message)
    this.name = 'BadArgumentError'
  }
}

/**
 * A blob id is malformed (a field missing, negative, fractional or past 2^53), self-contradictory
 * (bytes without blocks), or does not match the core it is read from (its byte offset lands outside
 * its blocks, its blocks hold a different number of bytes).
 */
export class InvalidBlobIdError extends HyperblobsError {
  /** An `INVALID_BLOB_ID` error with `message`. */
  constructor(message: string) {
    super('INVALID_BLOB_ID', message)
    this.name = 'InvalidBlobIdError'
  }
}

/**
 * A read range is malformed or leaves the blob: a negative or fractional bound, `start` past the
 * blob's end, `end`/`length` reaching past it, or `end` before `start`. (The real hyperblobs reads
 * on into the next blob's bytes, or waits forever past the core's end; we refuse.)
 */
export class InvalidRangeError extends HyperblobsError {
  /** An `INVALID_RANGE` error with `message`. */
  constructor(message: string) {
    super('INVALID_RANGE', message)
    this.name = 'InvalidRangeError'
  }
}

/** A block map (the index of a `blockMap`/`dedup` blob) does not decode, or is too large. */
export class InvalidBlockMapError extends HyperblobsError {
  /** An `INVALID_BLOCK_MAP` error with `message`. */
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_BLOCK_MAP', message, options)
    this.name = 'InvalidBlockMapError'
  }
}

/** A stream was destroyed before it finished: a write stream's `done()` rejects with this. */
export class StreamDestroyedError extends HyperblobsError {
  /** A `STREAM_DESTROYED` error with `message`. */
  constructor(message = 'the stream was destroyed before it finished') {
    super('STREAM_DESTROYED', message)
    this.name = 'StreamDestroyedError'
  }
}
