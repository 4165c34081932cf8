/**
 * A core: the state every session of one hypercore shares — identity (key, manifest, signer),
 * the Merkle tree, the local bitfield, storage, pending waits and the replicator. Every mutation
 * (append, truncate, clear, verified download, reorg) runs under one mutex and lands as one atomic
 * storage batch; in-memory state moves only after the batch is acknowledged, so a failed write
 * changes nothing.
 */

import { ready as cryptoReady, discoveryKey, type KeyPair } from '@orchard/crypto'
import { Emitter } from '@orchard/events'
import type { BatchOp, Storage } from '@orchard/storage'
import type { Bitfield } from './bitfield.ts'
import type { BitfieldStore } from './bitfield-store.ts'
import { equal, pushAll } from './bytes.ts'
import { PendingCommits } from './commits.ts'
import { type CoreOpenOptions, loadCore, RECORD_VERSION } from './core-open.ts'
import { type BlockEncryption, encryptAll } from './encryption.ts'
import {
  InvalidManifestError,
  InvalidOperationError,
  SessionClosedError,
  SnapshotNotAvailableError,
  WriteFailedError
} from './errors.ts'
import type { HypercoreEvents } from './hypercore.ts'
import { createManifest, encodeManifest, isCompat, type Manifest, manifestHash } from './manifest.ts'
import type { MerkleTree, Proof, ProofRequest, TreeBatch } from './merkle/index.ts'
import { cachedBlockProof } from './merkle/proof.ts'
import { ExclusiveLock, Mutex } from './mutex.ts'
import type { NamedState } from './named.ts'
import { retainForSnapshots, type SnapshotHold } from './snapshots.ts'
import type { CoreAuth, CoreStorage } from './storage-layout.ts'
import { Verifier } from './verifier.ts'
import { BlockWaiters } from './waiters.ts'

export type { CoreOpenOptions, SnapshotHold }

/** Events of the shared core (sessions re-emit the public ones). */
export interface CoreEvents extends HypercoreEvents {
  /** Local blocks `[start, end)` were cleared. */
  clear: [start: number, end: number]
  /** A peer holds the first `length` blocks in full (a new high, persisted). */
  'remote-contiguous-length': [length: number]
  /** Blocks `[start, end)` were appended locally (emitted before `append`). */
  appended: [start: number, end: number]
  /** The manifest became known (learned from a peer). */
  manifest: []
  /** A peer was dropped for breaking the protocol or sending invalid data. */
  'peer-error': [err: Error, peer: unknown]
}

/** When the request a downloaded block answered was sent, and how long the answer took (ms). */
export interface DownloadMeta {
  timestamp: number
  elapsed: number
}

/** A block request as {@link Core.cachedBlockProofs} reads it. */
interface RequestLike {
  fork: number
  block: { index: number; nodes: number } | null
}

/**
 * The state every session of one hypercore shares (identity, Merkle tree, bitfield, storage, waits,
 * replicator), reached as `session.core`. Exported for sibling packages and tests; not a stable API.
 *
 * @internal
 */
export class Core extends Emitter<CoreEvents> {
  readonly storage: CoreStorage
  readonly key: Uint8Array
  readonly discoveryKey: Uint8Array
  readonly compat: boolean
  readonly sparse: boolean
  /** Whether replication follows a longer length as soon as a peer announces it. */
  readonly eagerUpgrade: boolean
  manifest: Manifest | null
  verifier: Verifier | null
  /** The key pair stored with the core (the creator's), if any. */
  readonly keyPair: KeyPair | null
  readonly encryption: BlockEncryption | null
  readonly tree: MerkleTree
  readonly bitfieldStore: BitfieldStore
  contiguousLength: number
  /** Replication peers (managed by the replicator). */
  readonly peers: unknown[] = []
  readonly waiters = new BlockWaiters()
  readonly mutex = new Mutex()
  closed = false
  #auth: CoreAuth
  #sessions = 1
  #closing: Promise<void> | null = null
  readonly #closeStorage: boolean
  /** Verified downloads waiting for their group commit. */
  readonly #commits: PendingCommits

  private constructor(init: Awaited<ReturnType<typeof loadCore>>, opts: CoreOpenOptions) {
    super()
    this.storage = init.storage
    this.#auth = init.auth
    this.key = init.auth.key.slice()
    this.discoveryKey = discoveryKey(this.key)
    this.compat = init.compat
    this.manifest = init.manifest
    this.verifier = init.manifest ? new Verifier(this.key, init.manifest, { compat: init.compat }) : null
    this.keyPair = init.keyPair
    this.encryption = init.encryption
    this.tree = init.tree
    this.#commits = new PendingCommits(this)
    this.tree.prologue = this.verifier?.prologue ?? null
    this.bitfieldStore = init.bitfield
    this.contiguousLength = init.contiguousLength
    this.remoteContiguousLength = init.remoteContiguousLength
    this.sparse = opts.sparse
    this.eagerUpgrade = opts.eagerUpgrade !== false
    this.#closeStorage = opts.closeStorage
  }

  /**
   * Opens the core in `storage` (creating it if allowed), per `opts`. On failure the storage is
   * closed too when the core owns it (`closeStorage`).
   */
  static async open(storage: Storage, opts: CoreOpenOptions): Promise<Core> {
    try {
      await cryptoReady()
      return new Core(await loadCore(storage, opts), opts)
    } catch (err) {
      if (opts.closeStorage) await storage.close().catch(() => {})
      throw err
    }
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

  /** The local bitfield (which blocks are stored). */
  get bitfield(): Bitfield {
    return this.bitfieldStore.bits
  }

  get padding(): number {
    return this.encryption?.padding ?? 0
  }

  async ready(): Promise<void> {}

  /** Whether `keyPair` can sign this core (single-signer manifests). */
  canSign(keyPair: KeyPair | null): boolean {
    if (!keyPair?.secretKey) return false
    if (!this.verifier) return this.#signerManifest(keyPair) !== null
    return this.verifier.canSign(keyPair.publicKey)
  }

  /**
   * For a core opened by key alone (no manifest yet): the manifest of `keyPair` as sole signer if
   * it hashes to our key (or is our key, for compat cores), as hypercore derives it to write.
   */
  #signerManifest(keyPair: KeyPair): Manifest | null {
    const manifest = createManifest({ signers: [{ publicKey: keyPair.publicKey }] })
    return equal(manifestHash(manifest), this.key) || isCompat(this.key, manifest) ? manifest : null
  }

  has(index: number): boolean {
    return this.bitfield.get(index)
  }

  hasRange(start: number, end: number): boolean {
    if (end <= start) return true
    if (end > this.length) return false
    return this.bitfield.findFirst(false, start) >= end
  }

  getStoredBlock(index: number): Promise<Uint8Array | null> {
    return this.storage.getBlock(index)
  }

  /** Resolves with the stored block once it arrives (e.g. from a peer). */
  waitForBlock(index: number, opts: { signal?: AbortSignal; timeout?: number }): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new SessionClosedError('the core is closed'))
    const waiting = this.waiters.wait(index, { ...opts, snapshot: index < this.length })
    this.onWant?.(index)
    return waiting
  }

  /** Set by the replicator: called when a session starts waiting for block `index`. */
  onWant: ((index: number) => void) | null = null

  treeHash(length: number): Promise<Uint8Array> {
    return this.tree.hashAt(length)
  }

  /** `[block, offset]` of plaintext byte `bytes`; null when past the length or its tree nodes are not here. */
  trySeek(bytes: number, padding = this.padding): Promise<[number, number] | null> {
    if (bytes > this.tree.byteLength - this.tree.length * padding) return Promise.resolve(null)
    return this.tree.seek(bytes, padding)
  }

  // --- snapshots ----------------------------------------------------------------------------------

  /** Snapshots that keep what they saw across truncations (see {@link SnapshotHold}). */
  readonly snapshots = new Set<SnapshotHold>()

  // --- sessions' shared helpers -------------------------------------------------------------------

  /** Blocks marked in use while a session is marking (mark-and-sweep); null when not marking. */
  marks: Set<number> | null = null

  /** One exclusive session at a time (`exclusive: true`); the others wait for its release. */
  readonly exclusive = new ExclusiveLock()

  // --- hints --------------------------------------------------------------------------------------

  /** The longest prefix a peer told us it holds in full (hypercore's hint; kept across reopens). */
  remoteContiguousLength = 0

  /** Raises (or, after a truncation, lowers) the remote contiguous length hint and stores it. */
  setRemoteContiguousLength(length: number): void {
    if (length === this.remoteContiguousLength || this.closed) return
    this.remoteContiguousLength = length
    const op = this.storage.putHints({ version: RECORD_VERSION, remoteContiguousLength: length })
    this.mutex.run(() => this.storage.storage.write([op])).catch(() => {}) // a lost hint only costs a re-learn
    this.emit('remote-contiguous-length', length)
  }

  async getUserData(name: string): Promise<Uint8Array | null> {
    return this.storage.getUserData(name)
  }

  async setUserData(name: string, value: Uint8Array | null): Promise<void> {
    await this.mutex.run(() => this.#write([this.storage.putUserData(name, value)], 'setUserData'))
  }

  // --- local mutations ----------------------------------------------------------------------------

  /** Appends encoded (plaintext) blocks, signed by `keyPair`. */
  append(
    blocks: Uint8Array[],
    keyPair: KeyPair,
    encryption: BlockEncryption | null = this.encryption
  ): Promise<{ length: number; byteLength: number }> {
    return this.mutex.run(async () => {
      this.assertOpen()
      const start = this.tree.length
      // nothing to append: no write, no event (as hypercore)
      if (blocks.length === 0) return { length: start, byteLength: this.tree.byteLength }
      if (this.verifier === null) {
        // the first write of a core opened by key: the signer's own manifest makes it verifiable
        const manifest = this.#signerManifest(keyPair)
        if (manifest) {
          await this.#write(this.manifestOps(manifest), 'the manifest')
          this.adoptManifest(manifest)
        }
      }
      const stored = encryption ? await encryptAll(encryption, start, this.tree.fork, blocks) : blocks
      return this.appendStoredLocked(stored, keyPair)
    })
  }

  /** Appends blocks as they are stored (already encrypted), signed; call under the mutex. */
  async appendStoredLocked(
    stored: Uint8Array[],
    keyPair: KeyPair
  ): Promise<{ length: number; byteLength: number }> {
    {
      const start = this.tree.length
      const fork = this.tree.fork
      const batch = this.tree.append(stored)
      const signature = await this.verifier!.signAsync(batch, keyPair)
      const end = batch.length
      const ops: BatchOp[] = []
      for (let i = 0; i < stored.length; i++) ops.push(this.storage.putBlock(start + i, stored[i]!))
      for (const node of batch.nodes) ops.push(this.storage.putTreeNode(node))
      this.bitfield.setRange(start, end, true)
      const contiguous =
        this.contiguousLength === start ? this.bitfield.findFirst(false, end) : this.contiguousLength
      pushAll(ops, this.bitfieldStore.ops(this.storage, contiguous))
      ops.push(this.headOp(fork, end, contiguous, signature))
      try {
        await this.storage.storage.write(ops)
      } catch (err) {
        this.bitfieldStore.restore([], [[start, end]])
        throw new WriteFailedError('append was not stored', { cause: err })
      }
      this.tree.commit(batch, signature)
      this.contiguousLength = contiguous
      if (this.waiters.size > 0) this.waiters.resolveRange(start, stored)
      this.emit('appended', start, end)
      this.emit('append')
      return { length: end, byteLength: this.tree.byteLength }
    }
  }

  // --- named sessions -----------------------------------------------------------------------------

  /** Open named sessions' states, by name. */
  readonly named = new Map<string, NamedState>()

  /** Writes `ops` atomically; call under the mutex. */
  writeLocked(ops: BatchOp[], what: string): Promise<void> {
    return this.#write(ops, what)
  }

  /** Writes `ops` atomically under the core's mutex. */
  writeOps(ops: BatchOp[], what: string): Promise<void> {
    return this.mutex.run(() => this.#write(ops, what))
  }

  /** Truncates to `length` on fork `fork`, signed by `keyPair`. */
  truncate(length: number, fork: number, keyPair: KeyPair): Promise<void> {
    return this.mutex.run(async () => {
      this.assertOpen()
      this.#commits.verified.clear()
      const batch = await this.tree.truncate(length, fork)
      const signature = await this.verifier!.signAsync(batch, keyPair)
      await this.#rewrite(batch, signature, length, [])
      this.#failCutGets(length)
      this.emit('truncate', length, fork)
    })
  }

  /** Drops the local copies of blocks `[start, end)`; resolves with how many were held. */
  clear(start: number, end: number): Promise<number> {
    return this.mutex.run(async () => {
      this.assertOpen()
      let held = 0
      for (
        let i = this.bitfield.findFirst(true, start);
        i !== -1 && i < end;
        i = this.bitfield.findFirst(true, i + 1)
      )
        held++
      if (held === 0) return 0
      const cleared = this.bitfieldStore.clear(start, end)
      const contiguous = Math.min(this.contiguousLength, start)
      // pages between the new and old contiguous prefix now carry bits the head no longer implies
      this.bitfieldStore.touch(end, this.contiguousLength)
      const ops: BatchOp[] = [
        this.storage.deleteBlocks(start, end),
        ...this.bitfieldStore.ops(this.storage, contiguous)
      ]
      ops.push(this.headOp(this.tree.fork, this.tree.length, contiguous, this.tree.signature))
      try {
        await this.storage.storage.write(ops)
      } catch (err) {
        this.bitfieldStore.restore(cleared)
        throw new WriteFailedError('clear was not stored', { cause: err })
      }
      this.contiguousLength = contiguous
      this.emit('clear', start, end)
      return held
    })
  }

  /**
   * Replaces the head with `batch` after cutting the tree at `ancestors` (a truncation, or a
   * reorg onto a peer's fork): blocks and nodes past the cut are deleted, `nodes` stored.
   */
  async #rewrite(
    batch: TreeBatch,
    signature: Uint8Array | null,
    ancestors: number,
    nodes: TreeBatch['nodes'],
    extra: BatchOp[] = []
  ) {
    await retainForSnapshots(this.snapshots, this.bitfield, this.storage, this.tree.length, ancestors)
    const ops: BatchOp[] = [this.storage.deleteBlocks(ancestors, Number.POSITIVE_INFINITY), ...extra]
    for (const index of batch.deletedNodes) ops.push(this.storage.deleteTreeNode(index))
    ops.push(this.storage.deleteTreeNodesFrom(2 * ancestors))
    for (const node of nodes) ops.push(this.storage.putTreeNode(node))
    const cleared = this.bitfieldStore.clear(ancestors, Math.max(ancestors, this.tree.length))
    const contiguous = Math.min(this.contiguousLength, ancestors)
    pushAll(ops, this.bitfieldStore.ops(this.storage, contiguous))
    ops.push(this.headOp(batch.fork, batch.length, contiguous, signature))
    try {
      await this.storage.storage.write(ops)
    } catch (err) {
      this.bitfieldStore.restore(cleared)
      throw new WriteFailedError('truncation was not stored', { cause: err })
    }
    this.tree.reset(batch, signature)
    this.contiguousLength = contiguous
  }

  // --- replication --------------------------------------------------------------------------------

  /**
   * The proof answering a peer's request, or null when we cannot (other fork, block not stored).
   * Throws `InvalidOperationError` for requests no honest peer makes.
   */
  async proofFor(req: ProofRequest & { fork: number; manifest?: boolean }): Promise<Proof | null> {
    if (req.fork !== this.tree.fork) return null
    let value: Uint8Array | null = null
    if (req.block) {
      if (req.block.index >= this.tree.length || !this.bitfield.get(req.block.index)) return null
      value = await this.storage.getBlock(req.block.index)
      if (value === null) return null
    }
    if (req.upgrade && req.upgrade.start + req.upgrade.length > this.tree.length) return null
    return this.tree.proof(req, value)
  }

  /**
   * Proofs for lone block requests (the bulk of a download), from one storage read of their blocks
   * and the node cache; null where that is not enough (then {@link proofFor} answers).
   */
  async cachedBlockProofs(reqs: readonly RequestLike[]): Promise<(Proof | null)[]> {
    const indexes: number[] = []
    for (const r of reqs) indexes.push(r.block!.index)
    // borrowed: each is only copied into the answer being encoded
    const values = await this.storage.getBlocks(indexes, true)
    const out = new Array<Proof | null>(reqs.length)
    for (let i = 0; i < reqs.length; i++) {
      const r = reqs[i]!
      const value = values[i]!
      out[i] =
        value !== null && r.fork === this.tree.fork && this.bitfield.get(r.block!.index)
          ? cachedBlockProof(this.tree, r.block!, value)
          : null
    }
    return out
  }

  /** Whether tree node `index` is held: 1 stored (cached), 2 verified and not yet stored, 0 not. */
  knownNode(index: number): 0 | 1 | 2 {
    return this.#commits.verified.held(index)
  }

  /** The manifest to send a peer that asked for it (compat cores have none to send). */
  manifestForPeer(): Manifest | null {
    return this.compat ? null : this.manifest
  }

  /**
   * Verifies a peer's data against our tree (and, for upgrades, the signature under the manifest,
   * learned from `manifest` if we lack it) and commits it with other pending data in one batch.
   * Resolves false when the data no longer applies (our tree moved); throws a typed error when it
   * is invalid.
   */
  async applyData(
    proof: Proof,
    manifest: Manifest | null,
    from: unknown,
    request: DownloadMeta | null = null
  ): Promise<boolean> {
    this.assertOpen()
    if (proof.fork !== this.tree.fork) return false
    let verifier = this.verifier
    let learned: Manifest | null = null
    if (verifier === null && proof.upgrade) {
      verifier = this.verifierFor(manifest)
      learned = manifest
      this.tree.prologue = verifier.prologue
    }
    const verified = this.tree.verify(proof, this.#commits.verified)
    const batch = verified instanceof Promise ? await verified : verified
    if (batch.upgraded) {
      verifier!.assertValid(batch, batch.signature) // throws a typed error saying why
      if (batch.length <= this.tree.length) batch.upgraded = false // nothing new: keep just the nodes
    }
    const block = proof.block ? { index: proof.block.index, value: proof.block.value } : null
    return new Promise((resolve, reject) => {
      this.#commits.add({ batch, block, manifest: learned, from, request, resolve, reject })
    })
  }

  /**
   * A verifier for a manifest a peer sent (we lack ours): it must hash to the core's key.
   * Throws `InvalidManifestError` otherwise.
   */
  verifierFor(manifest: Manifest | null): Verifier {
    if (this.verifier !== null) return this.verifier
    if (!manifest)
      throw new InvalidManifestError('the peer sent an upgrade without the manifest we asked for')
    if (!equal(manifestHash(manifest), this.key) && !isCompat(this.key, manifest)) {
      throw new InvalidManifestError('the manifest the peer sent does not hash to the core key')
    }
    return new Verifier(this.key, manifest)
  }

  /** Stores and adopts a manifest a peer sent before any upgrade (it must hash to our key). */
  learnManifest(manifest: Manifest): Promise<void> {
    return this.mutex.run(async () => {
      if (this.manifest !== null || this.closed) return
      this.verifierFor(manifest) // throws InvalidManifestError unless it hashes to our key
      await this.#write(this.manifestOps(manifest), 'the manifest')
      this.adoptManifest(manifest)
    })
  }

  /** Ops that store a learned manifest with the core (none if we know ours). */
  manifestOps(manifest: Manifest | null): BatchOp[] {
    if (!manifest || this.manifest) return []
    this.#auth = { ...this.#auth, manifest: encodeManifest(manifest) }
    return [this.storage.putAuth(this.#auth)]
  }

  /** Adopts a learned manifest once it is stored. */
  adoptManifest(manifest: Manifest | null): void {
    if (!manifest || this.manifest) return
    this.manifest = manifest
    this.verifier = new Verifier(this.key, manifest)
    this.tree.prologue = this.verifier.prologue
    this.emit('manifest')
  }

  /**
   * Moves onto a peer's fork: `batch` is the peer's verified, signed tree (built from its full
   * upgrade proof); blocks past `ancestors` (where the trees diverge) are dropped.
   */
  reorg(batch: TreeBatch, ancestors: number, manifest: Manifest | null = null): Promise<void> {
    return this.mutex.run(async () => {
      this.assertOpen()
      if (ancestors > this.tree.length || ancestors > batch.length) {
        throw new InvalidOperationError('the reorg ancestor is past one of the trees')
      }
      // parents left of the cut whose span reaches past it are no longer trusted
      this.#commits.verified.clear()
      const cut = await this.tree.truncate(ancestors, batch.fork)
      pushAll(batch.deletedNodes, cut.deletedNodes)
      await this.#rewrite(batch, batch.signature, ancestors, batch.nodes, this.manifestOps(manifest))
      this.adoptManifest(manifest)
      this.#failCutGets(ancestors)
      this.emit('truncate', ancestors, batch.fork)
    })
  }

  #failCutGets(length: number): void {
    this.waiters.truncated(
      length,
      (index) =>
        new SnapshotNotAvailableError(`block ${index} was truncated away while it was awaited`, {
          discoveryKey: this.discoveryKey
        })
    )
  }

  // --- helpers ------------------------------------------------------------------------------------

  /** Throws `SessionClosedError` once the core is closing. */
  assertOpen(): void {
    if (this.closed || this.#closing) throw new SessionClosedError('the core is closed')
  }

  async #write(ops: BatchOp[], what: string): Promise<void> {
    this.assertOpen()
    try {
      await this.storage.storage.write(ops)
    } catch (err) {
      throw new WriteFailedError(`${what} was not stored`, { cause: err })
    }
  }

  /** The op that stores the head record. */
  headOp(fork: number, length: number, contiguousLength: number, signature: Uint8Array | null): BatchOp {
    return this.storage.putHead({ version: RECORD_VERSION, fork, length, contiguousLength, signature })
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
    this.emit('close')
    await this.mutex.run(async () => {})
    if (this.#closeStorage) await this.storage.storage.close()
    this.closed = true
  }
}
