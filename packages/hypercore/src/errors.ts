/**
 * Typed errors. Every error Orchard's hypercore raises is a `HypercoreError` with a stable `code`
 * (the same codes as the real hypercore's `hypercore-errors`, plus a few of ours), so callers can
 * branch on `err.code` or `instanceof` without parsing messages.
 */

import { toZBase32 } from '@orchard/codec'

/**
 * Every error code a {@link HypercoreError} can carry: hypercore's `hypercore-errors` codes plus a few of
 * ours.
 */
export type HypercoreErrorCode =
  | 'ERR_ASSERTION'
  | 'BAD_ARGUMENT'
  | 'STORAGE_EMPTY'
  | 'STORAGE_CONFLICT'
  | 'INVALID_SIGNATURE'
  | 'INVALID_CAPABILITY'
  | 'INVALID_CHECKSUM'
  | 'INVALID_OPERATION'
  | 'INVALID_PROOF'
  | 'BLOCK_NOT_AVAILABLE'
  | 'SNAPSHOT_NOT_AVAILABLE'
  | 'REQUEST_CANCELLED'
  | 'REQUEST_TIMEOUT'
  | 'SESSION_NOT_WRITABLE'
  | 'SESSION_CLOSED'
  | 'WRITE_FAILED'
  | 'DECODING_ERROR'
  | 'BLOCK_TOO_LARGE'
  | 'INVALID_MANIFEST'
  | 'INVALID_ENCRYPTION_KEY'
  | 'PROTOCOL_ERROR'

/** Options of a {@link HypercoreError}. */
export interface HypercoreErrorOptions {
  /** The underlying failure, kept as the error's `cause`. */
  cause?: unknown
  /** The core the error is about: named in the message (z-base-32), as hypercore does. */
  discoveryKey?: Uint8Array | null
}

/** Base class of every hypercore error. */
export class HypercoreError extends Error {
  /** Which kind of failure this is (hypercore's code). */
  readonly code: HypercoreErrorCode
  /** The discovery key of the core the error is about, when known. */
  readonly discoveryKey: Uint8Array | null

  /** An error of kind `code`; the message gets the code in front and the core's discovery key behind. */
  constructor(code: HypercoreErrorCode, message: string, options: HypercoreErrorOptions = {}) {
    const dk = options.discoveryKey ?? null
    const where = dk ? ` (discovery key: ${toZBase32(dk)})` : ''
    super(`${code}: ${message}${where}`, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'HypercoreError'
    this.code = code
    this.discoveryKey = dk
  }
}

/**
 * The constructor of one kind of {@link HypercoreError} (its type is spelled out so declarations do
 * not inline the runtime's `ErrorConstructor`, which differs between Node and browsers).
 */
export interface HypercoreErrorClass {
  /** An error of this kind with `message`. */
  new (message: string, options?: HypercoreErrorOptions): HypercoreError
  /** The errors' prototype: `instanceof` works as with any class. */
  readonly prototype: HypercoreError
}

function define<C extends HypercoreErrorCode>(code: C, name: string): HypercoreErrorClass {
  const cls = class extends HypercoreError {
    /** An error of this class's code with `message`. */
    constructor(message: string, options?: HypercoreErrorOptions) {
      super(code, message, options)
      this.name = name
    }
  }
  Object.defineProperty(cls, 'name', { value: name })
  return cls
}

/**
 * A precondition failed (invalid index or range), with hypercore's `ERR_ASSERTION` code.
 *
 * @class
 */
export const AssertionError = define('ERR_ASSERTION', 'AssertionError')
/**
 * An argument is missing, of the wrong type or out of range.
 *
 * @class
 */
export const BadArgumentError = define('BAD_ARGUMENT', 'BadArgumentError')
/**
 * The operation is not allowed in the current state (e.g. truncating past the length).
 *
 * @class
 */
export const InvalidOperationError = define('INVALID_OPERATION', 'InvalidOperationError')
/**
 * A signature does not verify against the core's manifest.
 *
 * @class
 */
export const InvalidSignatureError = define('INVALID_SIGNATURE', 'InvalidSignatureError')
/**
 * A peer's replication capability does not prove knowledge of the key.
 *
 * @class
 */
export const InvalidCapabilityError = define('INVALID_CAPABILITY', 'InvalidCapabilityError')
/**
 * A block or node does not hash to what the tree says.
 *
 * @class
 */
export const InvalidChecksumError = define('INVALID_CHECKSUM', 'InvalidChecksumError')
/**
 * A proof is malformed or inconsistent with the tree.
 *
 * @class
 */
export const InvalidProofError = define('INVALID_PROOF', 'InvalidProofError')
/**
 * The block is not stored locally and cannot be fetched (no wait, or cleared).
 *
 * @class
 */
export const BlockNotAvailableError = define('BLOCK_NOT_AVAILABLE', 'BlockNotAvailableError')
/**
 * A snapshot was invalidated by a truncation below its length.
 *
 * @class
 */
export const SnapshotNotAvailableError = define('SNAPSHOT_NOT_AVAILABLE', 'SnapshotNotAvailableError')
/**
 * A pending request was cancelled (session closed, download destroyed, ...).
 *
 * @class
 */
export const RequestCancelledError = define('REQUEST_CANCELLED', 'RequestCancelledError')
/**
 * A pending request timed out.
 *
 * @class
 */
export const RequestTimeoutError = define('REQUEST_TIMEOUT', 'RequestTimeoutError')
/**
 * A write on a core or session that cannot sign.
 *
 * @class
 */
export const SessionNotWritableError = define('SESSION_NOT_WRITABLE', 'SessionNotWritableError')
/**
 * Use of a closed session.
 *
 * @class
 */
export const SessionClosedError = define('SESSION_CLOSED', 'SessionClosedError')
/**
 * Storage holds a different core than the one asked for.
 *
 * @class
 */
export const StorageConflictError = define('STORAGE_CONFLICT', 'StorageConflictError')
/**
 * Opening an empty storage without a key, when creating is not allowed.
 *
 * @class
 */
export const StorageEmptyError = define('STORAGE_EMPTY', 'StorageEmptyError')
/**
 * Bytes that should decode (a block under its value encoding, a stored record) do not.
 *
 * @class
 */
export const DecodingError = define('DECODING_ERROR', 'DecodingError')
/**
 * A block over the configured maximum size.
 *
 * @class
 */
export const BlockTooLargeError = define('BLOCK_TOO_LARGE', 'BlockTooLargeError')
/**
 * A manifest that is malformed or does not hash to the core's key.
 *
 * @class
 */
export const InvalidManifestError = define('INVALID_MANIFEST', 'InvalidManifestError')
/**
 * The encryption key cannot decrypt this core's blocks.
 *
 * @class
 */
export const InvalidEncryptionKeyError = define('INVALID_ENCRYPTION_KEY', 'InvalidEncryptionKeyError')
/**
 * A storage write failed; nothing of the operation was stored.
 *
 * @class
 */
export const WriteFailedError = define('WRITE_FAILED', 'WriteFailedError')
/**
 * A peer broke the replication protocol (request storm, impossible announcement, bad message).
 *
 * @class
 */
export const ProtocolError = define('PROTOCOL_ERROR', 'ProtocolError')
