/**
 * The relay protocol (isomorphic): frames, message types, error codes, limits and what a tab signs.
 * See the package README for the protocol description.
 *
 * @module \@orchard/relay/protocol
 */
export {
  DEFAULT_LIMITS,
  dhtNamespaces,
  EARLY_DATA_MAX,
  type Limits,
  openNamespace,
  PROTOCOL_VERSION
} from './constants.ts'
export { closeCode, closeReason, ErrorCode, type ErrorCodeName, errorName, RelayError } from './errors.ts'
export {
  decodeMessage,
  encodeMessage,
  HandshakeOp,
  type Message,
  type MessageOf,
  MessageType,
  type MessageTypeName,
  type Peer,
  SignKind
} from './messages.ts'
export { type AnnounceFields, announceSignable, holepunchSecret, openSignable } from './signing.ts'
