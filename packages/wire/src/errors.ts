/**
 * Typed wire errors. Every failure caused by the remote (a bad frame, a failed handshake, a forged
 * message, a protocol violation) is a `WireError` with a stable `code`, and destroys the stream.
 */
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

export class WireError extends Error {
  readonly code: WireErrorCode

  constructor(code: WireErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options)
    this.name = 'WireError'
    this.code = code
  }
}
