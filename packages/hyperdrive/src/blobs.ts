/**
 * The drive's content store: `@orchard/hyperblobs` on the blobs core — which core that is (as
 * hyperdrive 13 picks it), how it is opened, and what the drive asks of the blobs beyond
 * hyperblobs' API. This is the only module that constructs a `Hyperblobs`.
 */
import type { Corestore } from '@orchard/corestore'
import type { Hyperbee } from '@orchard/hyperbee'
import { type BlockMap, Hyperblobs } from '@orchard/hyperblobs'
import { Hypercore, type Manifest } from '@orchard/hypercore'
import { contentManifest } from './content-key.ts'
import type { Hyperdrive } from './drive.ts'
import { type BlobId, ENTRY_ENCODINGS, type Entry } from './entry.ts'
import { BadArgumentError, InvalidBlobsKeyError } from './errors.ts'
import { prefixRange } from './paths.ts'

/** The content store of a drive (hyperblobs 2's API, as `@orchard/hyperblobs` implements it). */
export type Blobs = Hyperblobs

/** Opens the content store on `core` (hyperblobs' default 64 KiB blocks, as hyperdrive uses). */
export function openBlobs(core: Hypercore): Blobs {
  return new Hyperblobs(core)
}

/** The block map of a blob (the blocks holding its data), null if not available. */
export function blockMapOf(
  blobs: Blobs,
  blob: BlobId,
  opts: { wait?: boolean } = {}
): Promise<BlockMap | null> {
  return blobs.getBlockMap(blob, opts)
}

/** Whether every block of a blob's data is stored locally (for a block map: the map and its blocks). */
export async function hasBlob(blobs: Blobs, blob: BlobId): Promise<boolean> {
  if (blob.blockLength === 0) return true
  const own = await blobs.core.has(blob.blockOffset, blob.blockOffset + blob.blockLength)
  if (!own || !blob.blockMap) return own
  const map = await blobs.getBlockMap(blob, { wait: false })
  if (map === null) return false
  for (const b of map.blocks) if (!(await blobs.core.has(b.index))) return false
  return true
}

/** Options every blobs core session of a drive is opened with. */
export interface BlobsCoreOptions {
  /** Called whenever a read has to wait for a block from peers. */
  onwait?: (index: number, core: unknown) => void
  /** Block encryption key (the drive's). */
  encryptionKey?: Uint8Array
}

/** The blobs core's manifest, derived from the metadata core's (null for compat drives). */
function blobsManifest(db: Hypercore): Manifest | null {
  const m = db.manifest
  if (m === null || db.core.compat) return null
  return contentManifest(m, db.key)
}

/**
 * The blobs core of a new writable drive: signed by the metadata core's key pair under the derived
 * manifest; for a drive without manifests, the store's core named `<drive id>/blobs`, whose key
 * then goes into the header the bee has yet to write.
 */
export function createBlobsCore(
  corestore: Corestore,
  bee: Hyperbee<unknown, unknown>,
  opts: BlobsCoreOptions
): Hypercore {
  const db = bee.core
  const manifest = blobsManifest(db)
  if (manifest) return corestore.get({ ...opts, manifest, keyPair: db.keyPair ?? undefined })
  const core = corestore.get({ ...opts, name: `${db.id}/blobs` })
  // a drive without manifests records its blobs key in the header it has yet to write
  if (bee.metadata) bee.metadata.contentFeed = core.key
  return core
}

/**
 * The blobs core a drive's header names: the key in its metadata (`contentFeed`, compat drives),
 * or the one derived from the metadata core's manifest. A writer opens it with its key pair.
 */
export function blobsCoreFromHeader(
  corestore: Corestore,
  db: Hypercore,
  header: { metadata: { contentFeed?: Uint8Array | null } | null },
  opts: BlobsCoreOptions
): Hypercore {
  const feed = header.metadata?.contentFeed ?? null
  let key: Uint8Array
  let manifest: Manifest | null = null
  if (feed) key = feed.subarray(0, 32)
  else {
    manifest = blobsManifest(db)
    if (manifest === null) throw new InvalidBlobsKeyError()
    key = Hypercore.key(manifest)
  }
  if (key.byteLength < 32) throw new InvalidBlobsKeyError()
  return corestore.get({
    ...opts,
    key,
    manifest: manifest ?? undefined,
    keyPair: !feed && db.writable ? (db.keyPair ?? undefined) : undefined
  })
}

/**
 * How long the blobs core was at `version` of the drive: the end of its furthest blob (the
 * metadata core is downloaded first, as hyperdrive does).
 */
export async function blobsLengthAt(bee: Hyperbee<unknown, unknown>, version: number): Promise<number> {
  const c = bee.checkout(version)
  try {
    await c.ready()
    if (c.core.length > 0) await c.core.download({ start: 0, end: c.core.length }).done()
    let length = 0
    for await (const node of c.createReadStream(prefixRange(''), ENTRY_ENCODINGS)) {
      const b = (node as Entry).value.blob
      if (b && b.blockOffset + b.blockLength > length) length = b.blockOffset + b.blockLength
    }
    return length
  } finally {
    await c.close()
  }
}

/**
 * Truncates `drive`'s metadata core to `version` and its blobs core to `blobsLength` blocks (-1:
 * the length the blobs core had at that version), checking both first.
 */
export async function truncateDrive(drive: Hyperdrive, version: number, blobsLength: number): Promise<void> {
  if (version > drive.core.length) throw new BadArgumentError('Bad truncation length')
  const length = blobsLength === -1 ? await drive.getBlobsLength(version) : blobsLength
  const blobs = await drive.getBlobs()
  if (length > blobs.core.length) throw new BadArgumentError('Bad truncation length')
  await drive.core.truncate(version)
  await blobs.core.truncate(length)
}
