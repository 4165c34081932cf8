/**
 * Typed failures of the direct path. Every way an upgrade can fail, and every way an open direct
 * path can die, is a `WebRtcError` with a stable `code`; the relayed connection is never touched
 * by them, so the caller stays on it.
 */

/** What went wrong with the direct path, as a stable string for programs to test. */
export type WebRtcErrorCode =
  /** No WebRTC here: no `RTCPeerConnection` global, and no `wrtc` implementation given. */
  | 'NO_WEBRTC'
  /** The remote did not open the signalling channel (it is not upgrading), or abandoned it. */
  | 'REFUSED'
  /** An upgrade of this connection is already running. */
  | 'BUSY'
  /** The relayed connection closed while the upgrade ran. */
  | 'RELAY_CLOSED'
  /** ICE found no working path between the peers (or the peer connection failed). */
  | 'ICE_FAILED'
  /** The direct path did not open within the upgrade's timeout. */
  | 'TIMEOUT'
  /** The data channel failed or closed before it could be used. */
  | 'CHANNEL_FAILED'
  /** A signal was malformed, or WebRTC refused one of them (bad SDP, a rejected candidate). */
  | 'SIGNALLING_FAILED'
  /** The secret-stream handshake on the direct path failed. */
  | 'HANDSHAKE_FAILED'
  /** A key pair differs from the relayed connection's: ours, or the one the remote proved on the direct path. */
  | 'KEY_MISMATCH'
  /** The caller's `AbortSignal` aborted the upgrade. */
  | 'ABORTED'

/** A failure of the direct path; the relayed connection it was upgrading stays as it was. */
export class WebRtcError extends Error {
  /** Which kind of failure this is. */
  readonly code: WebRtcErrorCode

  /** An error of kind `code`; the message is prefixed with the code. */
  constructor(code: WebRtcErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options)
    this.name = 'WebRtcError'
    this.code = code
  }
}

/**
 * The `WebRtcError` for a failure simple-peer reported (its errors carry an `ERR_*` code), keeping the
 * original as `cause`.
 */
export function fromPeerError(err: Error & { code?: unknown }): WebRtcError {
  if (err instanceof WebRtcError) return err
  const code = typeof err.code === 'string' ? err.code : ''
  const detail = `${code || 'error'}: ${err.message}`
  switch (code) {
    case 'ERR_WEBRTC_SUPPORT':
    case 'ERR_PC_CONSTRUCTOR':
      return new WebRtcError('NO_WEBRTC', detail, { cause: err })
    case 'ERR_ICE_CONNECTION_FAILURE':
    case 'ERR_CONNECTION_FAILURE':
      return new WebRtcError('ICE_FAILED', detail, { cause: err })
    case 'ERR_SIGNALING':
    case 'ERR_SET_REMOTE_DESCRIPTION':
    case 'ERR_SET_LOCAL_DESCRIPTION':
    case 'ERR_CREATE_OFFER':
    case 'ERR_CREATE_ANSWER':
    case 'ERR_ADD_ICE_CANDIDATE':
      return new WebRtcError('SIGNALLING_FAILED', detail, { cause: err })
    default:
      // ERR_DATA_CHANNEL, ERR_ICE_CONNECTION_CLOSED, ERR_DESTROYED and anything newer
      return new WebRtcError('CHANNEL_FAILED', detail, { cause: err })
  }
}
