/**
 * Typed errors. Everything Orchard's hyperbee raises itself is a {@link HyperbeeError} with a
 * stable `code` (hyperbee's own codes where it has one, such as `DECODING_ERROR` and
 * `BLOCK_NOT_AVAILABLE`), so callers branch on `err.code` or `instanceof`, never on messages.
 * Errors from the core underneath (`@orchard/hypercore`'s `HypercoreError`s) pass through as they are.
 */

/** The codes a {@link HyperbeeError} carries. */
export type HyperbeeErrorCode =
  | 'DECODING_ERROR'
  | 'BAD_ARGUMENT'
  | 'READ_ONLY'
  | 'BEE_CLOSED'
  | 'BLOCK_NOT_AVAILABLE'
  | 'INVALID_OPERATION'

/** Base class of every error hyperbee raises itself. */
export class HyperbeeError extends Error {
  /** A stable code to branch on. */
  readonly code: HyperbeeErrorCode

  /** An error of kind `code`; the message is prefixed with the code. */
  constructor(code: HyperbeeErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'HyperbeeError'
    this.code = code
  }
}

/**
 * A block does not decode as a hyperbee node or header, or its tree pointers are impossible
 * (pointing forward, to itself, or past the core): the bee's owner wrote garbage.
 */
export class DecodingError extends HyperbeeError {
  /** The block the bad bytes came from, when known. */
  readonly seq: number | null

  /** A decoding failure, naming block `options.seq` in the message when given. */
  constructor(message: string, options: { seq?: number | null; cause?: unknown } = {}) {
    const seq = options.seq ?? null
    super('DECODING_ERROR', seq === null ? message : `block ${seq}: ${message}`, options)
    this.name = 'DecodingError'
    this.seq = seq
  }
}

/** An argument has the wrong type or is out of range (a key that does not encode, a bad range). */
export class BadArgumentError extends HyperbeeError {
  /** A `BAD_ARGUMENT` error with `message`. */
  constructor(message: string, options?: { cause?: unknown }) {
    super('BAD_ARGUMENT', message, options)
    this.name = 'BadArgumentError'
  }
}

/** A write on a bee opened with `readonly: true` (or on a checkout, which is read-only). */
export class ReadOnlyError extends HyperbeeError {
  /** A `READ_ONLY` error (hyperbee's message by default). */
  constructor(message = 'Hyperbee is marked as read-only') {
    super('READ_ONLY', message)
    this.name = 'ReadOnlyError'
  }
}

/** The bee (or the watcher) was closed while the operation was pending, or before it started. */
export class BeeClosedError extends HyperbeeError {
  /** A `BEE_CLOSED` error (hyperbee's message by default). */
  constructor(message = 'Bee closed') {
    super('BEE_CLOSED', message)
    this.name = 'BeeClosedError'
  }
}

/** A block the tree needs is not available (not stored locally and not waited for). */
export class BlockNotAvailableError extends HyperbeeError {
  /** A `BLOCK_NOT_AVAILABLE` error with `message`. */
  constructor(message: string) {
    super('BLOCK_NOT_AVAILABLE', message)
    this.name = 'BlockNotAvailableError'
  }
}

/** The operation is not possible in this state (watching a checkout, live + reverse history). */
export class InvalidOperationError extends HyperbeeError {
  /** An `INVALID_OPERATION` error with `message`. */
  constructor(message: string) {
    super('INVALID_OPERATION', message)
    this.name = 'InvalidOperationError'
  }
}
