/**
 * Version, namespaces and default limits of the relay protocol.
 */
import { namespace } from '@orchard/crypto'

/** The relay protocol version this code speaks. */
export const PROTOCOL_VERSION = 1

/** Default limits a relay enforces per session (a relay announces its own in `CHALLENGE`/`OPENED`). */
export const DEFAULT_LIMITS = {
  /** Largest frame (one WebSocket message), bytes. */
  maxFrame: 128 * 1024,
  /** Sessions one relay holds. */
  maxSessions: 1000,
  /** Streams (connections, incoming or outgoing) open at once per session. */
  maxStreams: 64,
  /** DHT requests (lookup, announce, unannounce, listen) in flight per session. */
  maxRequests: 64,
  /** Sustained bytes per second a session may send (every frame counts at least 64 bytes). */
  bytesPerSecond: 4 * 1024 * 1024,
  /** Milliseconds the tab has to answer a signing or handshake request. */
  signTimeout: 10_000,
  /** Milliseconds a new session has to answer the challenge. */
  openTimeout: 10_000,
  /** Largest secret-stream frame the relay reassembles before writing it to the DHT stream. */
  maxStreamFrame: 4 * 1024 * 1024
} as const

/**
 * Bytes of an outgoing stream the tab may send once its handshake is complete but before
 * `STREAM_OPEN` (its secret-stream header and first messages). The relay holds them and writes them
 * the moment the DHT stream connects, as a native peer's secret-stream does: a holepunching server
 * only accepts the connection once the first packet arrives, and gives up if it comes too late.
 */
export const EARLY_DATA_MAX = 64 * 1024

/** The limits a relay runs with. */
export type Limits = { -readonly [K in keyof typeof DEFAULT_LIMITS]: number }

let relayNs: Uint8Array[] | null = null
let dhtNs: Uint8Array[] | null = null

/** `BLAKE2b-256(BLAKE2b-256("orchard/relay") ‖ 0x01)`: prefix of the session-open signable. */
export function openNamespace(): Uint8Array {
  relayNs ??= namespace('orchard/relay', [PROTOCOL_VERSION])
  return relayNs[0]!
}

/**
 * hyperdht's namespaces (`hypercore-crypto`'s `namespace('hyperswarm/dht', ids)` with the command
 * numbers as ids): the announce/unannounce signable prefixes, the IK handshake prologue and the
 * holepunch-secret key.
 */
export function dhtNamespaces(): {
  ANNOUNCE: Uint8Array
  UNANNOUNCE: Uint8Array
  PEER_HANDSHAKE: Uint8Array
  PEER_HOLEPUNCH: Uint8Array
} {
  dhtNs ??= namespace('hyperswarm/dht', [4, 5, 0, 1])
  return { ANNOUNCE: dhtNs[0]!, UNANNOUNCE: dhtNs[1]!, PEER_HANDSHAKE: dhtNs[2]!, PEER_HOLEPUNCH: dhtNs[3]! }
}
