/**
 * Typed wire errors. Every failure caused by the remote (a bad frame, a failed handshake, a forged
 * message, a protocol violation) is a `WireError` with a stable `code`, and destroys the stream.
 */

/** What went wrong on the wire, as a stable string for programs to test. */
export type WireErrorCode =
  | 'HANDSHAKE_FAILED'
  | 'INVALID_FRAME'
  | 'FRAME_TOO_LARGE'
  | 'INVALID_HEADER'
  | 'DECRYPTION_FAILED'
  | 'TIMEOUT'
  | 'STREAM_CLOSED'
  | 'FIREWALLED'
  | 'PROTOCOL_ERROR'
  | 'MESSAGE_TOO_LARGE'

/** A failure on the wire; the stream it happened on is destroyed with it. */
export class WireError extends Error {
  /** Which kind of failure this is. */
  readonly code: WireErrorCode

  /** An error of kind `code`; the message is prefixed with the code. */
  constructor(code: WireErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options)
    this.name = 'WireError'
    this.code = code
  }
}
