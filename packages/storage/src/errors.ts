/**
 * Typed failures. Every storage failure is a `StorageError` with a stable `code`, so callers can
 * branch on the kind (`err instanceof StorageLockedError` or `err.code === 'STORAGE_LOCKED'`)
 * instead of parsing messages. Underlying platform errors ride along as `cause`.
 */

/** Base class of every error this package throws. */
export class StorageError extends Error {
  /** Stable machine-readable kind, e.g. `'STORAGE_LOCKED'`. */
  readonly code: string

  /** An error of kind `code`; `options.cause` keeps the platform error behind it. */
  constructor(message: string, code = 'STORAGE_ERROR', options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

/** Another opener holds the exclusive writer lock of this storage root. */
export class StorageLockedError extends StorageError {
  /** A lock conflict explained by `message`. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'STORAGE_LOCKED', options)
  }
}

/** The platform refused the write for lack of space; the whole batch was rolled back. */
export class StorageQuotaError extends StorageError {
  /** A quota failure; `options.cause` is the platform's error (e.g. `QuotaExceededError`, `ENOSPC`). */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'STORAGE_QUOTA', options)
  }
}

/** The storage was closed (or destroyed, or closed from elsewhere) before or during the call. */
export class StorageClosedError extends StorageError {
  /** A call on a closed root. */
  constructor(message = 'Storage is closed', options?: { cause?: unknown }) {
    super(message, 'STORAGE_CLOSED', options)
  }
}

/** A write (or destroy) was attempted through a read-only opener. */
export class StorageReadOnlyError extends StorageError {
  /** A write through a read-only opener. */
  constructor(message = 'Storage is opened read-only', options?: { cause?: unknown }) {
    super(message, 'STORAGE_READ_ONLY', options)
  }
}

/** Stored bytes failed their checks in a way that is not a torn tail of the last write. */
export class StorageCorruptError extends StorageError {
  /** Corruption described by `message` (which file or store, at what offset). */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'STORAGE_CORRUPT', options)
  }
}

/** A caller passed a malformed argument (unknown store, non-byte key, conflicting bounds...). */
export class StorageArgumentError extends StorageError {
  /** A malformed argument explained by `message`. */
  constructor(message: string) {
    super(message, 'STORAGE_ARGUMENT')
  }
}
