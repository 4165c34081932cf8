/**
 * Typed errors. What Orchard's mirror-drive raises itself is a {@link MirrorDriveError} with a
 * stable `code`; its messages are mirror-drive's own where it has one (`Destination must be
 * writable`, `transformer must be a function`, `transformer must return a stream`). Errors of the
 * drives pass through as they are.
 */

/** The codes a {@link MirrorDriveError} carries. */
export type MirrorDriveErrorCode =
  | 'NOT_WRITABLE'
  | 'BAD_TRANSFORMER'
  | 'BAD_STREAM'
  | 'STREAM_CLOSED'
  | 'INVALID_PATH'

/** An error raised by a mirror itself. */
export class MirrorDriveError extends Error {
  /** A stable code to branch on. */
  readonly code: MirrorDriveErrorCode

  /** An error of kind `code` with `message`. */
  constructor(code: MirrorDriveErrorCode, message: string) {
    super(message)
    this.name = 'MirrorDriveError'
    this.code = code
  }
}
