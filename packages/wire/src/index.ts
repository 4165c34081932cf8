/**
 * `@orchard/wire`: the Holepunch wire, wire-compatible with `@hyperswarm/secret-stream` 6 and
 * `protomux` 3, over any ordered byte transport.
 *
 * - {@link Duplex}: the small transport contract; adapters for in-memory pipes
 *   ({@link memoryPair}), WebSockets ({@link fromWebSocket}, browser or `ws`), and TCP in Node
 *   (`@orchard/wire/tcp`), WebRTC data channels ({@link fromDataChannel}), and Node or streamx
 *   streams — hyperdht's encrypted connections above all — in Node (`@orchard/wire/node-stream`).
 * - {@link SecretStream}: Noise XX with Ed25519 keys, then libsodium secretstream frames; one write
 *   is one message. A pre-negotiated handshake (HyperDHT's) skips Noise.
 * - {@link Protomux}: channels by protocol + id over one secret stream, typed messages, batching.
 * Every remote failure is a typed {@link WireError} and destroys the stream.
 *
 * @module \@orchard/wire
 */

export {
  DataChannelDuplex,
  type DataChannelLike,
  fromDataChannel,
  MAX_DATACHANNEL_MESSAGE
} from './datachannel.ts'
export { Duplex, type DuplexEvents } from './duplex.ts'
export { WireError, type WireErrorCode } from './errors.ts'
export { FrameDecoder, frame, MAX_FRAME } from './framing.ts'
export { memoryPair } from './memory.ts'
export { type HandshakeResult, NoiseHandshake, type NoiseOptions, type Pattern } from './noise.ts'
export { Channel, type ChannelMessage, type ChannelOptions, type MessageOptions } from './protomux/channel.ts'
export { MAX_BUFFERED, MAX_REMOTE_CHANNELS, type PairHandler, Protomux } from './protomux/mux.ts'
export { MAX_MESSAGE, SecretStream, type SecretStreamOptions, streamId } from './secret-stream.ts'
export { fromWebSocket, WebSocketDuplex, type WebSocketLike } from './websocket.ts'
