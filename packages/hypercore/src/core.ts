/**
 * A core: the state every session of one hypercore shares — identity (key, manifest, signer),
 * the Merkle tree, the local bitfield, storage and pending waits. Every mutation (append,
 * truncate, clear, verified download) runs under one mutex and lands as one atomic storage batch;
 * in-memory state moves only after the batch is acknowledged, so a failed write changes nothing.
 */
import {
  blake2b,
  ready as cryptoReady,
  discoveryKey,
  keyPair as generateKeyPair,
  type KeyPair
} from '@orchard/crypto'
import { Emitter } from '@orchard/events'
import type { BatchOp, Storage } from '@orchard/storage'
import { BITS_PER_PAGE, Bitfield } from './bitfield.ts'
import { type BlockEncryption, DefaultEncryption } from './encryption.ts'
import {
  BadArgumentError,
  BlockNotAvailableError,
  InvalidEncryptionKeyError,
  InvalidManifestError,
  SessionClosedError,
  StorageConflictError,
  StorageEmptyError,
  WriteFailedError
} from './errors.ts'
import type { HypercoreEvents } from './hypercore.ts'
import { createManifest, decodeManifest, encodeManifest, type Manifest, manifestHash } from './manifest.ts'
import { MerkleTree } from './merkle/index.ts'
import { Mutex } from './mutex.ts'
import { type CoreAuth, type CoreHead, CoreStorage } from './storage-layout.ts'
import { Verifier } from './verifier.ts'
import { BlockWaiters } from './waiters.ts'

export interface CoreOpenOptions {
  key: Uint8Array | null
  keyPair: KeyPair | null
  manifest: Manifest | null
  compat: boolean
  encryptionKey: Uint8Array | null
  encryption: BlockEncryption | null
  createIfMissing: boolean
  sparse: boolean
  closeStorage: boolean
}

const RECORD_VERSION = 1

export class Core extends Emitter<HypercoreEvents> {
  readonly storage: CoreStorage
  readonly key: Uint8Array
  readonly discoveryKey: Uint8Array
  readonly compat: boolean
  readonly sparse: boolean
  manifest: Manifest | null
  verifier: Verifier | null
  /** The key pair stored with the core (the creator's), if any. */
  readonly keyPair: KeyPair | null
  readonly encryption: BlockEncryption | null
  readonly tree: MerkleTree
  readonly bitfield: Bitfield
  contiguousLength: number
  readonly peers: unknown[] = []
  readonly waiters = new BlockWaiters()
  readonly mutex = new Mutex()
  closed = false
  #sessions = 1
  #closing: Promise<void> | null = null
  readonly #closeStorage: boolean
  /** Bitfield pages currently in storage (pages with bits past the contiguous prefix). */
  readonly #storedPages: Set<number>

  private constructor(init: {
    storage: CoreStorage
    auth: CoreAuth
    manifest: Manifest | null
    compat: boolean
    keyPair: KeyPair | null
    encryption: BlockEncryption | null
    tree: MerkleTree
    bitfield: Bitfield
    storedPages: Set<number>
    contiguousLength: number
    opts: CoreOpenOptions
  }) {
    super()
    this.storage = init.storage
    this.key = init.auth.key.slice()
    this.discoveryKey = discoveryKey(this.key)
    this.compat = init.compat
    this.manifest = init.manifest
    this.verifier = init.manifest ? new Verifier(this.key, init.manifest, { compat: init.compat }) : null
    this.keyPair = init.keyPair
    this.encryption = init.encryption
    this.tree = init.tree
    this.bitfield = init.bitfield
    this.#storedPages = init.storedPages
    this.contiguousLength = init.contiguousLength
    this.sparse = init.opts.sparse
    this.#closeStorage = init.opts.closeStorage
  }

  /**
   * Opens the core in `storage` (creating it if allowed), per `opts`. On failure the storage is
   * closed too when the core owns it (`closeStorage`).
   */
  static async open(storage: Storage, opts: CoreOpenOptions): Promise<Core> {
    try {
      return await Core.#open(storage, opts)
    } catch (err) {
      if (opts.closeStorage) await storage.close().catch(() => {})
      throw err
    }
  }

  static async #open(storage: Storage, opts: CoreOpenOptions): Promise<Core> {
    await cryptoReady()
    const found = await findCore(storage, opts.key)
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
      if (!opts.createIfMissing)
        throw new StorageEmptyError('no core in storage and createIfMissing is false')
      ;({ cs, auth, head } = await createCore(storage, opts))
    }

    const manifest = auth.manifest ? decodeManifest(auth.manifest) : null
    const compat = opts.compat || (manifest !== null && isCompatKey(auth.key, manifest))
    const storedKeyPair =
      auth.publicKey && auth.secretKey
        ? { publicKey: auth.publicKey.slice(), secretKey: auth.secretKey.slice() }
        : null
    const keyPair = opts.keyPair ?? storedKeyPair

    const encryption =
      opts.encryption ??
      (opts.encryptionKey ? new DefaultEncryption(opts.encryptionKey, auth.key, { compat }) : null)
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

    const bitfield = new Bitfield()
    const contiguous = Math.min(head.contiguousLength, head.length)
    bitfield.setRange(0, contiguous, true)
    const storedPages = new Set<number>()
    for await (const [page, bytes] of cs.bitfieldPages()) {
      const words = new Bitfield()
      words.loadPage(page, bytes)
      // OR the stored page into what the contiguous prefix already set
      for (
        let i = words.findFirst(true, page * BITS_PER_PAGE);
        i !== -1 && i < (page + 1) * BITS_PER_PAGE;
      ) {
        const stop = Math.min(words.findFirst(false, i), (page + 1) * BITS_PER_PAGE)
        bitfield.setRange(i, stop, true)
        i = words.findFirst(true, stop)
      }
      storedPages.add(page)
    }
    bitfield.takeDirtyPages()
    const contiguousLength = Math.min(head.length, bitfield.findFirst(false, contiguous))

    return new Core({
      storage: cs,
      auth,
      manifest,
      compat,
      keyPair,
      encryption,
      tree,
      bitfield,
      storedPages,
      contiguousLength,
      opts
    })
  }

  // --- state --------------------------------------------------------------------------------------

  get length(): number {
    return this.tree.length
  }

  /** Stored bytes (encryption padding included). */
  get byteLength(): number {
    return this.tree.byteLength
  }

  get fork(): number {
    return this.tree.fork
  }

  get signature(): Uint8Array | null {
    return this.tree.signature
  }

  get padding(): number {
    return this.encryption?.padding ?? 0
  }

  async ready(): Promise<void> {}

  /** Whether `keyPair` can sign this core (single-signer manifests). */
  canSign(keyPair: KeyPair | null): boolean {
    if (!keyPair?.secretKey || !this.verifier) return false
    return this.verifier.canSign(keyPair.publicKey)
  }

  has(index: number): boolean {
    return this.bitfield.get(index)
  }

  hasRange(start: number, end: number): boolean {
    if (end <= start) return true
    if (end > this.length) return false
    const firstMissing = this.bitfield.findFirst(false, start)
    return firstMissing >= end
  }

  getStoredBlock(index: number): Promise<Uint8Array | null> {
    return this.storage.getBlock(index)
  }

  decryptBlock(index: number, stored: Uint8Array): Uint8Array {
    return this.encryption ? this.encryption.decrypt(index, stored) : stored
  }

  /** Resolves with the stored block once it arrives (e.g. from a peer). */
  waitForBlock(index: number, opts: { signal?: AbortSignal; timeout?: number }): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new SessionClosedError('the core is closed'))
    return this.waiters.wait(index, opts)
  }

  async treeHash(length: number): Promise<Uint8Array> {
    return length === this.tree.length ? this.tree.hash() : this.tree.hashAt(length)
  }

  /** The block holding plaintext byte `bytes`, and the offset inside it. */
  async seek(bytes: number): Promise<[number, number]> {
    const found = await this.tree.seek(bytes, this.padding)
    if (found === null)
      throw new BlockNotAvailableError(`the tree nodes to seek byte ${bytes} are not stored locally`)
    return found
  }

  async getUserData(name: string): Promise<Uint8Array | null> {
    return this.storage.getUserData(name)
  }

  async setUserData(name: string, value: Uint8Array | null): Promise<void> {
    await this.mutex.run(() => this.#write([this.storage.putUserData(name, value)]))
  }

  // --- mutations ----------------------------------------------------------------------------------

  /** Appends encoded (plaintext) blocks, signed by `keyPair`. */
  append(blocks: Uint8Array[], keyPair: KeyPair): Promise<{ length: number; byteLength: number }> {
    return this.mutex.run(async () => {
      this.#assertOpen()
      const start = this.tree.length
      const fork = this.tree.fork
      const stored = this.encryption
        ? blocks.map((b, i) => this.encryption!.encrypt(start + i, b, fork))
        : blocks
      const batch = this.tree.append(stored)
      const signature = this.verifier!.sign(batch, keyPair)
      const end = batch.length
      const ops: BatchOp[] = []
      for (let i = 0; i < stored.length; i++) ops.push(this.storage.putBlock(start + i, stored[i]!))
      for (const node of batch.nodes) ops.push(this.storage.putTreeNode(node))

      const prevContiguous = this.contiguousLength
      this.bitfield.setRange(start, end, true)
      const contiguous = prevContiguous === start ? this.bitfield.findFirst(false, end) : prevContiguous
      ops.push(...this.#bitfieldOps(contiguous))
      ops.push(this.#headOp(batch.fork, end, contiguous, signature))
      try {
        await this.storage.storage.write(ops)
      } catch (err) {
        this.bitfield.setRange(start, end, false)
        this.bitfield.takeDirtyPages()
        throw new WriteFailedError('append was not stored', { cause: err })
      }
      this.tree.commit(batch, signature)
      this.contiguousLength = contiguous
      this.emit('append')
      return { length: end, byteLength: this.tree.byteLength }
    })
  }

  /** Truncates to `length` on fork `fork`, signed by `keyPair`. */
  truncate(length: number, fork: number, keyPair: KeyPair): Promise<void> {
    return this.mutex.run(async () => {
      this.#assertOpen()
      const oldLength = this.tree.length
      const batch = await this.tree.truncate(length, fork)
      const signature = this.verifier!.sign(batch, keyPair)
      const ops: BatchOp[] = [this.storage.deleteBlocks(length, Number.POSITIVE_INFINITY)]
      for (const index of batch.deletedNodes) ops.push(this.storage.deleteTreeNode(index))
      ops.push(this.storage.deleteTreeNodesFrom(2 * length))
      const cleared = this.#clearBits(length, oldLength)
      const contiguous = Math.min(this.contiguousLength, length)
      ops.push(...this.#bitfieldOps(contiguous))
      ops.push(this.#headOp(fork, length, contiguous, signature))
      try {
        await this.storage.storage.write(ops)
      } catch (err) {
        this.#restoreBits(cleared)
        throw new WriteFailedError('truncate was not stored', { cause: err })
      }
      this.tree.commit(batch, signature)
      this.contiguousLength = contiguous
      this.emit('truncate', length, fork)
    })
  }

  /** Drops the local copies of blocks `[start, end)`. */
  clear(start: number, end: number): Promise<void> {
    return this.mutex.run(async () => {
      this.#assertOpen()
      const cleared = this.#clearBits(start, end)
      const contiguous = Math.min(this.contiguousLength, start)
      // pages between the new and old contiguous prefix now carry bits the head no longer implies
      const pages: number[] = []
      for (let p = Math.floor(end / BITS_PER_PAGE); p * BITS_PER_PAGE < this.contiguousLength; p++)
        pages.push(p)
      this.bitfield.markDirty(pages)
      const ops: BatchOp[] = [this.storage.deleteBlocks(start, end), ...this.#bitfieldOps(contiguous)]
      ops.push(this.#headOp(this.tree.fork, this.tree.length, contiguous, this.tree.signature))
      try {
        await this.storage.storage.write(ops)
      } catch (err) {
        this.#restoreBits(cleared)
        throw new WriteFailedError('clear was not stored', { cause: err })
      }
      this.contiguousLength = contiguous
    })
  }

  // --- helpers ------------------------------------------------------------------------------------

  #assertOpen(): void {
    if (this.closed || this.#closing) throw new SessionClosedError('the core is closed')
  }

  async #write(ops: BatchOp[]): Promise<void> {
    this.#assertOpen()
    try {
      await this.storage.storage.write(ops)
    } catch (err) {
      throw new WriteFailedError('write was not stored', { cause: err })
    }
  }

  #headOp(fork: number, length: number, contiguousLength: number, signature: Uint8Array | null): BatchOp {
    return this.storage.putHead({ version: RECORD_VERSION, fork, length, contiguousLength, signature })
  }

  /** Clears bits `[start, end)` and returns the ranges that were set, to restore on failure. */
  #clearBits(start: number, end: number): Array<[number, number]> {
    const ranges: Array<[number, number]> = []
    for (let i = this.bitfield.findFirst(true, start); i !== -1 && i < end; ) {
      const stop = Math.min(end, this.bitfield.findFirst(false, i))
      ranges.push([i, stop])
      i = this.bitfield.findFirst(true, stop)
    }
    this.bitfield.setRange(start, end, false)
    return ranges
  }

  #restoreBits(ranges: Array<[number, number]>): void {
    for (const [s, e] of ranges) this.bitfield.setRange(s, e, true)
    this.bitfield.takeDirtyPages()
  }

  /**
   * Storage ops for the dirty bitfield pages, given the contiguous prefix the head will record:
   * a page is stored only while it holds a set bit past that prefix (the prefix itself is implied
   * by the head), so appends to a complete core write no bitfield bytes at all.
   */
  #bitfieldOps(contiguous: number): BatchOp[] {
    const ops: BatchOp[] = []
    for (const [page, bytes] of this.bitfield.takeDirtyPages()) {
      const pageStart = page * BITS_PER_PAGE
      const firstSet = this.bitfield.findFirst(true, Math.max(pageStart, contiguous))
      const needed = firstSet !== -1 && firstSet < pageStart + BITS_PER_PAGE
      if (needed) {
        ops.push(this.storage.putBitfieldPage(page, bytes))
        this.#storedPages.add(page)
      } else if (this.#storedPages.delete(page)) {
        ops.push(this.storage.deleteBitfieldPage(page))
      }
    }
    return ops
  }

  // --- lifetime -----------------------------------------------------------------------------------

  addSession(): void {
    if (this.closed || this.#closing) throw new SessionClosedError('the core is closed')
    this.#sessions++
  }

  /** Drops a session; the last one closes the core. */
  async removeSession(): Promise<void> {
    if (--this.#sessions === 0) await this.close()
  }

  close(): Promise<void> {
    if (this.#closing === null) this.#closing = this.#close()
    return this.#closing
  }

  async #close(): Promise<void> {
    this.waiters.rejectAll(new SessionClosedError('the core was closed'))
    await this.mutex.run(async () => {})
    if (this.#closeStorage) await this.storage.storage.close()
    this.closed = true
    this.emit('close')
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

async function createCore(storage: Storage, opts: CoreOpenOptions) {
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
  const hasDefault = (await CoreStorage.defaultDiscoveryKey(storage)) !== null
  const cs = await CoreStorage.create(storage, discoveryKey(key), auth, head, { makeDefault: !hasDefault })
  return { cs, auth, head }
}

function isCompatKey(key: Uint8Array, manifest: Manifest): boolean {
  return manifest.signers.length === 1 && equal(manifest.signers[0]!.publicKey, key)
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}
