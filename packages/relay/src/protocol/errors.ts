/**
 * Typed errors of the relay protocol. Every error a relay reports has a stable numeric code on the
 * wire (in an `ERROR` or `CLOSE` message, and as the WebSocket close code `4000 + code`) and a
 * stable name for programs to test.
 */

/** The error codes of relay protocol version 1, name → wire number. */
export const ErrorCode = {
  /** A frame that does not decode (truncated, trailing bytes, bad field). */
  BAD_FRAME: 1,
  /** A frame over the negotiated maximum size. */
  FRAME_TOO_LARGE: 2,
  /** A message type this version does not know. */
  UNKNOWN_TYPE: 3,
  /** The tab asked for a protocol version the relay does not speak. */
  BAD_VERSION: 4,
  /** The session-open signature does not verify for the claimed public key. */
  AUTH_FAILED: 5,
  /** The session sent more than its byte/message budget allows. */
  RATE_LIMITED: 6,
  /** The relay already holds its maximum number of sessions. */
  TOO_MANY_SESSIONS: 7,
  /** The tab did not answer a signing or handshake request in time. */
  SIGN_TIMEOUT: 8,
  /** The session has too many open streams or requests. */
  TOO_MANY_STREAMS: 9,
  /** A message that is valid but not allowed now (before OPEN, duplicate id, unknown stream ...). */
  PROTOCOL: 10,
  /** The DHT operation failed. */
  DHT_ERROR: 11,
  /** A connection could not be established (peer not found, handshake or holepunch failed). */
  CONNECT_FAILED: 12,
  /** The relay is shutting down. */
  SHUTDOWN: 13,
  /** The tab refused to sign, or its handshake step failed. */
  REFUSED: 14,
  /** The session did not open in time. */
  OPEN_TIMEOUT: 15,
  /** The operation was cancelled by the tab. */
  CANCELLED: 16,
  /** The stream was closed normally. */
  CLOSED: 17,
  /** An unexpected failure inside the relay. */
  INTERNAL: 18
} as const

/** The name of a relay error code. */
export type ErrorCodeName = keyof typeof ErrorCode

const NAMES = new Map<number, ErrorCodeName>(
  Object.entries(ErrorCode).map(([k, v]) => [v, k as ErrorCodeName])
)

/** The name of wire error code `code` (`'INTERNAL'` for numbers this version does not know). */
export function errorName(code: number): ErrorCodeName {
  return NAMES.get(code) ?? 'INTERNAL'
}

/** A relay protocol failure: a bad frame, a refused operation, a closed session or stream. */
export class RelayError extends Error {
  /** The stable name of what went wrong. */
  readonly code: ErrorCodeName

  /** An error of kind `code`; the message is prefixed with the code. */
  constructor(code: ErrorCodeName, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options)
    this.name = 'RelayError'
    this.code = code
  }

  /** The wire number of {@link code}. */
  get wireCode(): number {
    return ErrorCode[this.code]
  }

  /** An error from a wire code and reason, as received. */
  static fromWire(code: number, message: string): RelayError {
    const err = new RelayError(errorName(code), message)
    // keep the received text as is: it already names its code
    err.message = message.startsWith(`${err.code}:`) ? message : `${err.code}: ${message}`
    return err
  }
}

/** The WebSocket close code a relay uses for a session closed with `code`. */
export function closeCode(code: ErrorCodeName): number {
  return 4000 + ErrorCode[code]
}

/** The WebSocket close reason for `code`: `CODE: message`, cut to the 123 bytes of UTF-8 allowed. */
export function closeReason(code: ErrorCodeName, message: string): string {
  const reason = `${code}: ${message}`
  const bytes = new TextEncoder().encode(reason)
  return bytes.byteLength <= 123 ? reason : new TextDecoder().decode(bytes.subarray(0, 120))
}
