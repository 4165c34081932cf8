/**
 * Which core holds a drive's file contents (its blobs core), as hyperdrive 13 decides:
 *
 * - a drive whose metadata core has a manifest (hypercore 11 cores: version ≥ 1) does not store the
 *   blobs key anywhere. The blobs core's manifest is the metadata core's with each signer's
 *   namespace replaced by `BLAKE2b-256(BLOBS ‖ driveKey ‖ namespace)`, where `BLOBS` is
 *   hypercore-crypto's `namespace('hyperdrive', 1)[0]`; the same key pair signs both cores, and
 *   anyone holding the drive's manifest derives the content key;
 * - an older (compat, manifest version 0) drive writes the blobs key into the bee header
 *   (`metadata.contentFeed`), and readers take it from there.
 */
import { hash, namespace } from '@orchard/crypto'
import { createManifest, Hypercore, type Manifest } from '@orchard/hypercore'

let blobsNamespace: Uint8Array | null = null

/** `namespace('hyperdrive', 1)[0]` (computed once crypto is ready). */
export function blobsNamespaceKey(): Uint8Array {
  if (blobsNamespace === null) blobsNamespace = namespace('hyperdrive', 1)[0]!
  return blobsNamespace
}

/**
 * The manifest of the blobs core of the drive whose metadata core has `manifest` (and key `key`,
 * derived from the manifest when absent), or null for a manifest of version 0.
 */
export function contentManifest(manifest: Manifest, key?: Uint8Array | null): Manifest | null {
  if (manifest.version < 1) return null
  const driveKey = key ?? Hypercore.key(manifest)
  const ns = blobsNamespaceKey()
  return createManifest({
    version: manifest.version,
    hash: 'blake2b',
    allowPatch: manifest.allowPatch,
    quorum: manifest.quorum,
    signers: manifest.signers.map((s) => ({
      signature: s.signature,
      publicKey: s.publicKey,
      namespace: hash([ns, driveKey, s.namespace])
    })),
    prologue: null
  })
}

/**
 * The blobs core key of a drive, from its metadata core (an open session) or from its manifest and
 * key; null when the drive is a compat one (the key is then in its header).
 */
export function contentKeyOf(
  source: Hypercore<unknown> | Manifest,
  key?: Uint8Array | null
): Uint8Array | null {
  if (source instanceof Hypercore) {
    if (source.core.compat || source.manifest === null) return null
    return contentKeyOf(source.manifest, source.key)
  }
  const m = contentManifest(source, key)
  return m === null ? null : Hypercore.key(m)
}
