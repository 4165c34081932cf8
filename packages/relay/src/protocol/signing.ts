/**
 * What a tab signs, computed by the tab itself from the fields the relay sends, so a relay can
 * never make a tab sign arbitrary bytes: the session-open signable, and hyperdht's announce and
 * unannounce signables (`NS ‖ BLAKE2b-256(target ‖ nodeId ‖ token ‖ peer ‖ refresh)`).
 */
import { blake2b, blake2bBatch } from '@orchard/crypto'
import { dhtNamespaces, openNamespace } from './constants.ts'
import { SignKind } from './messages.ts'

/** The bytes a tab signs to open a session: `NS_OPEN ‖ nonce` (64 bytes). */
export function openSignable(nonce: Uint8Array): Uint8Array {
  const out = new Uint8Array(64)
  out.set(openNamespace(), 0)
  out.set(nonce, 32)
  return out
}

/** The fields of a hyperdht announce/unannounce a tab is asked to sign. */
export interface AnnounceFields {
  /** {@link SignKind}: announce (0) or unannounce (1). */
  kind: number
  /** The topic (or `hash(publicKey)` for a server's own record). */
  target: Uint8Array
  /** The id of the DHT node that will store the record. */
  nodeId: Uint8Array
  /** That node's round-trip token. */
  token: Uint8Array
  /** The encoded peer record (`fixed32 publicKey ‖ relayAddresses`). */
  peer: Uint8Array
  /** The refresh token, or empty. */
  refresh: Uint8Array
}

/** hyperdht's announce/unannounce signable (`annSignable` in hyperdht's `lib/persistent.js`). */
export function announceSignable(f: AnnounceFields): Uint8Array {
  const ns = dhtNamespaces()
  const out = new Uint8Array(64)
  out.set(f.kind === SignKind.ANNOUNCE ? ns.ANNOUNCE : ns.UNANNOUNCE, 0)
  blake2bBatch([f.target, f.nodeId, f.token, f.peer, f.refresh], 32, undefined, out.subarray(32))
  return out
}

/** hyperdht's holepunch secret: `BLAKE2b-256(NS_PEER_HOLEPUNCH, key = handshakeHash)`. */
export function holepunchSecret(handshakeHash: Uint8Array): Uint8Array {
  return blake2b(dhtNamespaces().PEER_HOLEPUNCH, 32, handshakeHash)
}
