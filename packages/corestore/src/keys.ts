/**
 * How corestore 7 derives namespaces and key pairs, byte for byte:
 *
 * - a namespace is 32 bytes; the root's is 32 zero bytes, and `namespace(name)` of namespace `ns`
 *   is `BLAKE2b-256(ns ‖ name)`;
 * - the key pair of core `name` in namespace `ns` is the Ed25519 key pair of the seed
 *   `BLAKE2b-256[primaryKey](NS ‖ ns ‖ name)`, where `NS = namespace('corestore', 1)[0]` in
 *   hypercore-crypto's sense (`BLAKE2b-256(BLAKE2b-256('corestore') ‖ 0x00)`);
 * - the core's manifest is `{ version, signers: [{ publicKey }] }` (version 1 by default), and its
 *   key the manifest hash, as hypercore computes it.
 */
import { blake2b, blake2bBatch, type KeyPair, keyPair as seedKeyPair } from '@orchard/crypto'
import { BadArgumentError, createManifest, Hypercore, type Manifest } from '@orchard/hypercore'

/** The root namespace: 32 zero bytes. */
export const DEFAULT_NAMESPACE: Uint8Array = new Uint8Array(32)

/** A core or namespace name: a string (UTF-8) or bytes. */
export type Name = string | Uint8Array

let corestoreNs: Uint8Array | null = null

/** `hypercore-crypto.namespace('corestore', 1)[0]` (computed once crypto is ready). */
export function corestoreNamespace(): Uint8Array {
  if (corestoreNs === null) {
    const ns = new Uint8Array(33)
    ns.set(blake2b(new TextEncoder().encode('corestore'), 32), 0)
    ns[32] = 0
    corestoreNs = blake2b(ns, 32)
  }
  return corestoreNs
}

/** The bytes of a name (UTF-8 for strings); a typed error for anything else. */
export function nameBytes(name: Name): Uint8Array {
  if (typeof name === 'string') return new TextEncoder().encode(name)
  if (name instanceof Uint8Array) return name
  throw new BadArgumentError('a name must be a string or a Uint8Array')
}

function checkNamespace(ns: Uint8Array): void {
  if (!(ns instanceof Uint8Array) || ns.byteLength !== 32)
    throw new BadArgumentError('a namespace is 32 bytes')
}

/** The namespace `name` opens inside namespace `ns` (corestore's `generateNamespace`). */
export function childNamespace(ns: Uint8Array, name: Name): Uint8Array {
  checkNamespace(ns)
  return blake2bBatch([ns, nameBytes(name)], 32)
}

/** The 32-byte Ed25519 seed of core `name` in namespace `ns` under `primaryKey`. */
export function deriveSeed(primaryKey: Uint8Array, ns: Uint8Array, name: Name): Uint8Array {
  if (!(primaryKey instanceof Uint8Array) || primaryKey.byteLength !== 32)
    throw new BadArgumentError('a primary key is 32 bytes')
  checkNamespace(ns)
  return blake2bBatch([corestoreNamespace(), ns, nameBytes(name)], 32, primaryKey)
}

/** The key pair of core `name` in namespace `ns` under `primaryKey` (corestore's `createKeyPair`). */
export function deriveKeyPair(primaryKey: Uint8Array, ns: Uint8Array, name: Name): KeyPair {
  return seedKeyPair(deriveSeed(primaryKey, ns, name))
}

/** The manifest corestore gives a core signed by `publicKey` alone. */
export function signerManifest(publicKey: Uint8Array, version = 1): Manifest {
  return createManifest({ version, signers: [{ publicKey }] })
}

/** The key of the core corestore creates for `publicKey` (the hash of its signer manifest). */
export function signerCoreKey(publicKey: Uint8Array, version = 1): Uint8Array {
  return Hypercore.key(signerManifest(publicKey, version))
}
