/**
 * `@orchard/blind-peering`: the client side of Holepunch's blind peers, speaking `blind-peering`
 * 2's protocol, for tabs, workers and Node.
 *
 * A blind peer is an always-on node that keeps other people's cores available while their
 * writers are offline. It never needs their keys to read them: with an `encryptionKey` the blocks
 * it downloads, stores and serves are ciphertext. A client asks it to keep cores with
 * {@link BlindPeering.addCore}: one connection per blind peer (through the DHT, or a relay in a
 * tab), the store replicating on it, and a `blind-peer` protomux channel carrying the asks
 * ({@link coresRequest}). Readers later find the cores at the blind peer like at any peer.
 *
 * @example
 * ```ts
 * const peering = new BlindPeering(swarm.dht, store, { keys: [blindPeerKey], keyPair: swarm.keyPair })
 * await peering.addCore(core)
 * await peering.synced(core) // the blind peer holds every block: the writer may go offline
 * ```
 */
export { type AddCoreOptions, BlindPeering, type BlindPeeringOptions } from './blind-peering.ts'
export { BlindPeeringError, type BlindPeeringErrorCode } from './errors.ts'
export { closestKeys, decodeKey } from './keys.ts'
export { BlindPeerLink, RECONNECT_BACKOFF_MS } from './link.ts'
export { BLIND_PEER_PROTOCOL, type CoreEntry, type CoresRequest, coresRequest } from './messages.ts'
