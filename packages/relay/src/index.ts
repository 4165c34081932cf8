/**
 * `@orchard/relay` (Node): the relay node. A real HyperDHT node that browser tabs borrow over a
 * WebSocket, announcing, looking up, listening and connecting with each tab's public key while
 * every secret-key operation (announce signatures, Noise IK handshakes) runs in the tab and every
 * connection is relayed as ciphertext. The tab side is `@orchard/relay/client`.
 *
 * @module \@orchard/relay
 */

export { Metrics } from './node/metrics.ts'
export type { TapDirection } from './node/session.ts'
export * from './protocol/index.ts'
export { RelayServer, type RelayServerOptions } from './server.ts'
