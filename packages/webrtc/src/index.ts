/**
 * `@orchard/webrtc`: peers connected through a relay upgrade to a direct WebRTC data channel
 * (simple-peer), in tabs, workers with WebRTC, and Node (with `@roamhq/wrtc`).
 *
 * - {@link upgrade}: signals over the existing encrypted connection, opens the data channel, runs a
 *   new `SecretStream` on it with the same key pairs and checks the remote's key; resolves
 *   with the direct stream, or fails with a typed {@link WebRtcError} while the relayed connection
 *   carries on.
 * - {@link SignalChannel}: the signalling itself, a protomux channel (`orchard/webrtc-signal`).
 * - {@link PeerDuplex}: a simple-peer data channel as a byte `Duplex`, with backpressure on
 *   `bufferedAmount`.
 *
 * @module \@orchard/webrtc
 */
export { fromPeerError, WebRtcError, type WebRtcErrorCode } from './errors.ts'
export {
  createPeer,
  type IceCandidate,
  type IceServer,
  type PeerDataChannel,
  type PeerError,
  type PeerOptions,
  type SignalData,
  type SimplePeerEvents,
  type SimplePeerLike,
  type WebRtcImplementation
} from './peer.ts'
export {
  MAX_SIGNAL_BYTES,
  MAX_SIGNALS,
  parseSignal,
  SIGNAL_PROTOCOL,
  SIGNAL_VERSION,
  SignalChannel,
  type SignalChannelEvents
} from './signal.ts'
export {
  fromSimplePeer,
  HIGH_WATER_MARK,
  PeerDuplex,
  type PeerDuplexOptions,
  POLLED_HIGH_WATER_MARK
} from './transport.ts'
export {
  type AuthenticatedConnection,
  DEFAULT_UPGRADE_TIMEOUT,
  type UpgradeOptions,
  upgrade
} from './upgrade.ts'
