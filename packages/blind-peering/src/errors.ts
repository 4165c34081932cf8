/** The codes a {@link BlindPeeringError} carries. */
export type BlindPeeringErrorCode = 'INVALID_KEY' | 'CLOSED' | 'NO_BLIND_PEERS' | 'TIMEOUT'

/** An error this package raises; `code` says which. */
export class BlindPeeringError extends Error {
  /** A stable code to branch on. */
  readonly code: BlindPeeringErrorCode

  /** An error of kind `code`; the message is prefixed with the code. */
  constructor(code: BlindPeeringErrorCode, message: string) {
    super(`${code}: ${message}`)
    this.name = 'BlindPeeringError'
    this.code = code
  }
}
