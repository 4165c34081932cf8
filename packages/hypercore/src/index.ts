/**
 * `@orchard/hypercore`: the append-only log, byte-compatible with hypercore 11.
 *
 * A core is a signed Merkle tree over a sequence of blocks. Its key is the hash of a manifest
 * naming who may sign (by default one Ed25519 key); every length it reaches is signed over the
 * tree's root hash, so anyone holding the key can verify any block a peer sends.
 *
 * - {@link Hypercore}: the API (`append`, `get`, `truncate`, `session`, `snapshot`, streams, ...),
 *   on any `@orchard/storage` adapter — memory, IndexedDB, files.
 * - Underneath: `flat-tree` index math, the Merkle tree with its proofs, manifests and their
 *   verifier, the local bitfield, hypercore's default block encryption, and the storage layout.
 * - Errors are typed {@link HypercoreError}s with hypercore's codes.
 *
 * @module \@orchard/hypercore
 */

/**
 * hypercore's domain-separation constants and the signable and capability builders, byte-identical
 * to hypercore 11 (for interop and custom signers).
 */
export * as caps from './caps.ts'
export { Core } from './core.ts'
export {
  type BlockEncryption,
  DefaultEncryption,
  type DefaultEncryptionOptions,
  type HypercoreEncryptionProvider
} from './encryption.ts'
export * from './errors.ts'
/** Flat-tree index math (the `flat-tree` package's functions): how blocks and Merkle nodes are numbered. */
export * as flat from './flat-tree.ts'
export {
  type GetOptions,
  Hypercore,
  type HypercoreEvents,
  type HypercoreInfo,
  type HypercoreOptions,
  MAX_SUGGESTED_BLOCK_SIZE
} from './hypercore.ts'
export {
  createManifest,
  decodeManifest,
  encodeManifest,
  type Manifest,
  type ManifestInput,
  manifestHash,
  type Prologue,
  type Signer
} from './manifest.ts'
export type { EncryptionOption, KeyInput } from './options.ts'
export type { Download, DownloadRange } from './replication/download.ts'
export type { ExtensionOptions, SessionExtension } from './replication/extensions.ts'
export type { HypercorePeer } from './replication/peer.ts'
export type {
  EncryptedConnection,
  ProtocolStream,
  ReplicateOptions,
  ReplicationTarget
} from './replication/protocol.ts'
export type {
  ByteStream,
  ByteStreamOptions,
  ReadStream,
  ReadStreamOptions,
  WriteStream,
  WriteStreamEvents
} from './streams.ts'
export type { PlainEncoding, ValueEncoding } from './value-encoding.ts'
