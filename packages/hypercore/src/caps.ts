/**
 * hypercore's capabilities and signables: the namespaces every core key, signature and
 * replication handshake is domain-separated with (BLAKE2b-256 of `hypercore` ‖ id byte).
 */
import { blake2bBatch } from '@orchard/crypto'

// `namespace('hypercore', 6)`, spelled out so the constants exist before the crypto backend is
// ready (test/caps.test.ts recomputes them).
const hex = (s: string) => Uint8Array.from(s.match(/../g)!, (b) => Number.parseInt(b, 16))

/** Prefix of every tree signable. */
export const TREE = hex('9fac70b50ca14efc4e91c833b204e75b8b5aad8b5881bfc0adb5ef38a3275b9c')
/** Namespace of the initiator's replication capability (proof that it knows the core's key). */
export const REPLICATE_INITIATOR = hex('51812a2a359b50369536775df89e18e47740f3db72ac0ae70b29594c194dc316')
/** Namespace of the responder's replication capability. */
export const REPLICATE_RESPONDER = hex('0438492d02970cc13528ac0262bca0074e0926260256865accc0bf15bd79127d')
/** Prefix of the manifest hash (= core key). */
export const MANIFEST = hex('e64b7108eacce47cfc61ac850568f55f8b15b82ec5ed78c4ec597b036e2a1498')
/** The signer namespace of default manifests. */
export const DEFAULT_NAMESPACE = hex('4144eea531e483d54e0c14f4ca68e0644f355343ff6fcb0f005200e12cd747cb')
/** Prefix of the default block-encryption key derivation. */
export const DEFAULT_ENCRYPTION = hex('9aedb6f1dea8487cc1e1698f97eb2f063f6db4c649695622e7b675e2ceafa6e9')

function putUint64LE(buf: Uint8Array, offset: number, n: number): void {
  const lo = n >>> 0
  const hi = Math.floor(n / 0x100000000)
  for (let i = 0; i < 4; i++) {
    buf[offset + i] = (lo >>> (8 * i)) & 0xff
    buf[offset + 4 + i] = (hi >>> (8 * i)) & 0xff
  }
}

/**
 * What a v1+ signer signs: `TREE ‖ manifestHash ‖ treeHash ‖ u64le(length) ‖ u64le(fork)`
 * (112 bytes). Version-0 manifests put the signer's namespace where the manifest hash goes.
 */
export function treeSignable(
  context: Uint8Array,
  treeHash: Uint8Array,
  length: number,
  fork: number
): Uint8Array {
  const out = new Uint8Array(112)
  out.set(TREE, 0)
  out.set(context, 32)
  out.set(treeHash, 64)
  putUint64LE(out, 96, length)
  putUint64LE(out, 104, fork)
  return out
}

/** What a compat (key = public key) core signs: `[TREE ‖] treeHash ‖ u64le(length) ‖ u64le(fork)`. */
export function treeSignableCompat(
  treeHash: Uint8Array,
  length: number,
  fork: number,
  noHeader = false
): Uint8Array {
  const at = noHeader ? 0 : 32
  const out = new Uint8Array(at + 48)
  if (!noHeader) out.set(TREE, 0)
  out.set(treeHash, at)
  putUint64LE(out, at + 32, length)
  putUint64LE(out, at + 40, fork)
  return out
}

/**
 * The replication capability a peer sends in its channel handshake: proof that it knows the core
 * key, bound to this Noise session (`BLAKE2b-256[handshakeHash](REPLICATE_* ‖ key)`).
 */
export function replicationCapability(
  isInitiator: boolean,
  key: Uint8Array,
  handshakeHash: Uint8Array
): Uint8Array {
  return blake2bBatch([isInitiator ? REPLICATE_INITIATOR : REPLICATE_RESPONDER, key], 32, handshakeHash)
}
