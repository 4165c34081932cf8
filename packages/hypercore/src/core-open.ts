/**
 * Opening a core from storage: find it (by key, or the root's default core), or create it (a new
 * key pair and default manifest, or a remote key to replicate), then load its head, tree, bitfield
 * and encryption, checking the encryption key against the one the core was written with.
 */
import { blake2b, discoveryKey, keyPair as generateKeyPair, type KeyPair } from '@orchard/crypto'
import type { BatchOp, Storage } from '@orchard/storage'
import { BitfieldStore } from './bitfield-store.ts'
import { equal } from './bytes.ts'
import { type BlockEncryption, DefaultEncryption } from './encryption.ts'
import {
  BadArgumentError,
  InvalidEncryptionKeyError,
  InvalidManifestError,
  StorageConflictError,
  StorageEmptyError
} from './errors.ts'
import {
  createManifest,
  decodeManifest,
  encodeManifest,
  isCompat,
  type Manifest,
  manifestHash
} from './manifest.ts'
import { MerkleTree } from './merkle/index.ts'
import { type CoreAuth, type CoreHead, CoreStorage } from './storage-layout.ts'

export interface CoreOpenOptions {
  key: Uint8Array | null
  keyPair: KeyPair | null
  manifest: Manifest | null
  compat: boolean
  encryptionKey: Uint8Array | null
  encryption: BlockEncryption | null
  /** With `encryptionKey`: it is the block key itself. */
  isBlockKey?: boolean
  createIfMissing: boolean
  /** Replace the stored core with a new one. */
  overwrite?: boolean
  sparse: boolean
  /** Follow longer lengths as peers announce them (false: only when asked). Default true. */
  eagerUpgrade?: boolean
  closeStorage: boolean
}

export const RECORD_VERSION = 1

/** Everything a `Core` is built from. */
export interface LoadedCore {
  storage: CoreStorage
  auth: CoreAuth
  manifest: Manifest | null
  compat: boolean
  keyPair: KeyPair | null
  encryption: BlockEncryption | null
  tree: MerkleTree
  bitfield: BitfieldStore
  contiguousLength: number
  remoteContiguousLength: number
}

export async function loadCore(storage: Storage, opts: CoreOpenOptions): Promise<LoadedCore> {
  let found = await findCore(storage, opts.key)
  let replacing: { ops: BatchOp[]; wasDefault: boolean } | null = null
  if (found && opts.overwrite) {
    // a fresh core in place of the stored one (hypercore's `overwrite`), written in one batch
    const old = await found.getAuth()
    const oldDk = discoveryKey(old?.key ?? new Uint8Array(32))
    const defaultDk = await CoreStorage.defaultDiscoveryKey(storage)
    replacing = { ops: found.deleteAll(oldDk), wasDefault: defaultDk !== null && equal(defaultDk, oldDk) }
    found = null
  }
  let cs: CoreStorage
  let auth: CoreAuth
  let head: CoreHead
  if (found) {
    cs = found
    const [a, h] = await Promise.all([cs.getAuth(), cs.getHead()])
    if (!a || !h) throw new StorageEmptyError('the core records are missing from storage')
    auth = a
    head = h
    if (opts.key && !equal(auth.key, opts.key))
      throw new StorageConflictError('storage holds a different core')
  } else {
    if (!opts.createIfMissing) throw new StorageEmptyError('no core in storage and createIfMissing is false')
    ;({ cs, auth, head } = await createCore(storage, opts, replacing))
  }

  const manifest = auth.manifest ? decodeManifest(auth.manifest) : null
  const compat = opts.compat || isCompat(auth.key, manifest)
  const stored =
    auth.publicKey && auth.secretKey
      ? { publicKey: auth.publicKey.slice(), secretKey: auth.secretKey.slice() }
      : null
  const keyPair = opts.keyPair ?? stored

  const encryption =
    opts.encryption ??
    (opts.encryptionKey
      ? new DefaultEncryption(opts.encryptionKey, auth.key, { compat, isBlockKey: opts.isBlockKey })
      : null)
  if (encryption instanceof DefaultEncryption) {
    const check = blake2b(encryption.blockKey, 32)
    if (auth.encryptionCheck && !equal(auth.encryptionCheck, check)) {
      throw new InvalidEncryptionKeyError(
        'the encryption key does not match the one this core was written with'
      )
    }
    if (!auth.encryptionCheck && !cs.storage.readOnly) {
      auth = { ...auth, encryptionCheck: check }
      await cs.storage.write([cs.putAuth(auth)])
    }
  }

  const tree = await MerkleTree.open(
    { getNode: (i) => cs.getTreeNode(i), getNodes: (is) => cs.getTreeNodes(is) },
    { length: head.length, fork: head.fork, signature: head.signature }
  )
  const { store, contiguous } = await BitfieldStore.load(
    cs,
    Math.min(head.contiguousLength, head.length),
    head.length
  )
  return {
    storage: cs,
    auth,
    manifest,
    compat,
    keyPair,
    encryption,
    tree,
    bitfield: store,
    contiguousLength: contiguous,
    remoteContiguousLength: (await cs.getHints())?.remoteContiguousLength ?? 0
  }
}

async function findCore(storage: Storage, key: Uint8Array | null): Promise<CoreStorage | null> {
  if (key) {
    if (!(key instanceof Uint8Array) || key.byteLength !== 32)
      throw new BadArgumentError('key must be 32 bytes')
    return CoreStorage.find(storage, discoveryKey(key))
  }
  const dk = await CoreStorage.defaultDiscoveryKey(storage)
  return dk ? CoreStorage.find(storage, dk) : null
}

async function createCore(
  storage: Storage,
  opts: CoreOpenOptions,
  replacing: { ops: BatchOp[]; wasDefault: boolean } | null
) {
  let key: Uint8Array
  let manifest: Manifest | null = opts.manifest ? createManifest(opts.manifest) : null
  let keyPair = opts.keyPair
  if (opts.key) {
    // a remote core: we learn its manifest from peers unless given one
    key = opts.key
    if (manifest && !opts.compat && !equal(manifestHash(manifest), key)) {
      throw new InvalidManifestError('the manifest does not hash to the key')
    }
  } else {
    if (!keyPair && !manifest) keyPair = generateKeyPair()
    if (!manifest) manifest = createManifest({ signers: [{ publicKey: keyPair!.publicKey }] })
    key = opts.compat ? manifest.signers[0]!.publicKey : manifestHash(manifest)
  }
  const auth: CoreAuth = {
    version: RECORD_VERSION,
    key,
    manifest: manifest ? encodeManifest(manifest) : null,
    publicKey: keyPair?.publicKey ?? null,
    secretKey: keyPair?.secretKey ?? null,
    encryptionCheck: null
  }
  const head: CoreHead = { version: RECORD_VERSION, fork: 0, length: 0, contiguousLength: 0, signature: null }
  const cs = await CoreStorage.create(storage, discoveryKey(key), auth, head, {
    makeDefault: replacing?.wasDefault === true ? true : 'if-none',
    replacing: replacing?.ops
  })
  return { cs, auth, head }
}
