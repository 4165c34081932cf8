/**
 * The `Hypercore` class: a session on a core. Sessions of one core share its state (storage, tree,
 * bitfield, replication); each has its own value encoding, encryption, writability, snapshot and
 * lifetime, and the core closes when its last session does. Shaped like hypercore 11's API —
 * including its behaviour: `get` of a missing block waits for peers (or is `null` without
 * waiting), snapshots keep what they saw across truncations, `update` waits for peers being found.
 */
import { discoveryKey as discoveryKeyOf, keyPair as generateKeyPair, type KeyPair } from '@orchard/crypto'
import { Emitter } from '@orchard/events'
import type { Storage } from '@orchard/storage'
import { openNamedStorage } from '@orchard/storage/named'
import { type Duplex, Protomux, type SecretStream } from '@orchard/wire'
import { Core, type CoreOpenOptions, type SnapshotHold } from './core.ts'
import { type BlockEncryption, DefaultEncryption, fromProvider } from './encryption.ts'
import {
  AssertionError,
  BadArgumentError,
  InvalidOperationError,
  RequestCancelledError,
  RequestTimeoutError,
  SessionClosedError,
  SessionNotWritableError,
  SnapshotNotAvailableError
} from './errors.ts'
import { coreKey, type Manifest } from './manifest.ts'
import { sweepUnmarked } from './marks.ts'
import {
  checkIndex,
  decodeKey,
  derivedKey,
  type EncryptionOption,
  encryptionOptions,
  type GetOptions,
  type HypercoreEvents,
  type HypercoreInfo,
  type HypercoreOptions,
  isOptions,
  type KeyInput
} from './options.ts'
import { Download, type DownloadRange } from './replication/download.ts'
import { type ExtensionOptions, type SessionExtension, sessionExtension } from './replication/extensions.ts'
import {
  attachCore,
  createProtocolStream,
  noiseOf,
  type ProtocolStream,
  type ReplicateOptions,
  type ReplicationTarget,
  replicate,
  replicatorOf
} from './replication/protocol.ts'
import {
  ByteStream,
  type ByteStreamOptions,
  ReadStream,
  type ReadStreamOptions,
  WriteStream
} from './streams.ts'
import { type BlockCodec, blockCodec } from './value-encoding.ts'
import { PendingRequests } from './waiters.ts'
import { toZBase32 } from './z32.ts'

export type { GetOptions, HypercoreEvents, HypercoreInfo, HypercoreOptions } from './options.ts'

/** hypercore's suggested maximum: every block travels in one message when replicating. */
export const MAX_SUGGESTED_BLOCK_SIZE = 15 * 1024 * 1024

interface Snapshot {
  hold: SnapshotHold
  byteLength: number
  fork: number
}

/** What a session takes from the session it was opened on (which may still be opening). */
interface SessionParent {
  opening: Promise<void>
  core: () => Core
  keyPair: () => KeyPair | null
  encryption: () => BlockEncryption | null
}

type Opts = HypercoreOptions & { parent?: SessionParent }

export class Hypercore<T = Uint8Array> extends Emitter<HypercoreEvents> {
  /** Resolves when the session is open. */
  readonly opening: Promise<void>
  opened = false
  closed = false
  #closing: Promise<void> | null = null
  #core: Core | null = null
  #keyPair: KeyPair | null
  #codec: BlockCodec
  #encodeBatch: ((blocks: unknown[]) => Uint8Array[]) | null
  #encryption: BlockEncryption | null = null
  #readonly: boolean
  #snapshot: Snapshot | null = null
  #findingPeers = 0
  #releaseExclusive: (() => void) | null = null
  #knownKey: Uint8Array | null = null
  /** How many `get`s of this session waited for a block from peers. */
  waits = 0
  readonly #wait: boolean
  /** The default `get` timeout of this session (ms; 0 = none). */
  readonly timeout: number
  readonly #maxBlockSize: number
  readonly #onwait: HypercoreOptions['onwait'] | null
  readonly #pending = new PendingRequests()
  readonly #unlisten: Array<() => void> = []

  /**
   * Opens (or creates) the core in `storage` — a `Storage`, or a name: a folder in Node, an
   * IndexedDB database in a browser. `key` selects a core created elsewhere; without it, the
   * storage's default core is opened, or a new writable core is created.
   */
  constructor(
    storage: Storage | Promise<Storage> | string | HypercoreOptions | null,
    key?: KeyInput | HypercoreOptions | null,
    opts?: HypercoreOptions
  )
  constructor(
    storageOrOpts: Storage | Promise<Storage> | string | HypercoreOptions | null,
    keyOrOpts?: KeyInput | HypercoreOptions | null,
    maybeOpts: Opts = {}
  ) {
    super()
    let storage = storageOrOpts as Storage | Promise<Storage> | string | null
    let opts: Opts = maybeOpts
    let key: KeyInput | null = null
    if (isOptions(storageOrOpts)) {
      opts = storageOrOpts
      storage = opts.storage ?? null
      key = opts.key ?? null
    } else if (isOptions(keyOrOpts)) {
      opts = { ...keyOrOpts, ...maybeOpts }
      key = opts.key ?? null
    } else {
      key = keyOrOpts ?? opts.key ?? null
    }
    this.#keyPair = opts.keyPair ?? null
    // as in hypercore, a session does not inherit its parent's value encoding
    this.#codec = blockCodec(opts.valueEncoding)
    this.#encodeBatch = opts.encodeBatch ?? null
    this.#readonly = opts.writable === false
    this.#wait = opts.wait !== false
    this.timeout = opts.timeout ?? 0
    this.#maxBlockSize = opts.maxBlockSize ?? MAX_SUGGESTED_BLOCK_SIZE
    this.#onwait = opts.onwait ?? null
    // the key is known at once when given (or derivable from the key pair), as in hypercore
    const given = key !== null ? decodeKey(key) : null
    this.#knownKey = given
    if (given === null && this.#keyPair && !opts.manifest && !opts.parent) {
      this.#knownKey = derivedKey(this.#keyPair, opts)
    }
    this.opening = this.#open(storage, given, opts)
    this.opening.catch(() => {}) // surfaced through ready() and every method
  }

  async #open(storage: Storage | Promise<Storage> | string | null, key: Uint8Array | null, opts: Opts) {
    if (opts.preload) {
      const extra = typeof opts.preload === 'function' ? await opts.preload() : await opts.preload
      opts = { ...opts, ...extra }
    }
    let core: Core
    if (opts.parent) {
      await opts.parent.opening
      core = opts.parent.core()
      if (this.#keyPair === null) this.#keyPair = opts.parent.keyPair()
      this.#encryption = opts.parent.encryption()
      core.addSession()
    } else {
      if (storage === null) throw new BadArgumentError('storage is required')
      const store = typeof storage === 'string' ? await openNamedStorage(storage) : await storage
      const enc = encryptionOptions(opts)
      const coreOpts: CoreOpenOptions = {
        key: key ?? (opts.key !== undefined ? decodeKey(opts.key) : null),
        keyPair: opts.keyPair ?? null,
        manifest: opts.manifest ?? null,
        compat: opts.compat ?? false,
        encryptionKey: enc.key,
        isBlockKey: enc.isBlockKey,
        encryption: enc.cipher ? fromProvider(enc.cipher, this) : null,
        createIfMissing: opts.createIfMissing !== false,
        sparse: opts.sparse !== false,
        closeStorage: opts.closeStorage !== false
      }
      core = await Core.open(store, coreOpts)
      this.#encryption = core.encryption
    }
    if (opts.encryption !== undefined && opts.parent) await this.#setEncryptionOption(core, opts.encryption)
    this.#core = core
    if (this.#keyPair === null) this.#keyPair = core.keyPair
    if (this.#findingPeers > 0) replicatorOf(core).findingPeers += this.#findingPeers
    if (opts.exclusive && opts.writable !== false) this.#releaseExclusive = await core.lockExclusive()
    if (opts.userData) {
      for (const [name, value] of Object.entries(opts.userData)) await this.#setUserData(core, name, value)
    }
    if (opts.snapshot) this.#takeSnapshot(core)
    this.#listen(core)
    this.opened = true
    this.emit('ready')
  }

  #listen(core: Core): void {
    const on = <K extends keyof HypercoreEvents>(event: K, fn: (...args: HypercoreEvents[K]) => void) => {
      core.on(event as never, fn as never)
      this.#unlisten.push(() => core.off(event as never, fn as never))
    }
    on('append', () => {
      if (this.#snapshot === null) this.emit('append')
    })
    on('truncate', (ancestors, fork) => {
      if (this.#snapshot === null) this.emit('truncate', ancestors, fork)
    })
    for (const name of ['download', 'upload', 'peer-add', 'peer-remove', 'manifest'] as const) {
      on(name, (...args: unknown[]) => (this.emit as (e: string, ...a: unknown[]) => void)(name, ...args))
    }
    on('remote-contiguous-length', (length) => this.emit('remote-contiguous-length', length))
    on('close', () => {
      this.close().catch(() => {})
    })
  }

  #takeSnapshot(core: Core): void {
    const hold: SnapshotHold = { length: core.length, validLength: core.length, retained: new Map() }
    core.snapshots.add(hold)
    this.#snapshot = { hold, byteLength: core.byteLength, fork: core.fork }
  }

  /** Resolves once open; rejects with the open error. */
  async ready(): Promise<void> {
    await this.opening
  }

  async #active(): Promise<Core> {
    if (!this.opened) await this.opening
    if (this.#closing !== null) throw new SessionClosedError('the session is closed', this.#where())
    return this.#core!
  }

  #timedOut(): Error {
    return new RequestTimeoutError('request timed out', this.#where())
  }

  #where() {
    return { discoveryKey: this.#core?.discoveryKey ?? null }
  }

  #assertWritable(core: Core, keyPair: KeyPair | null): void {
    if (this.#readonly || this.#snapshot || !core.canSign(keyPair)) {
      throw new SessionNotWritableError('cannot append to a read-only core', this.#where())
    }
  }

  // --- statics ------------------------------------------------------------------------------------

  static readonly MAX_SUGGESTED_BLOCK_SIZE = MAX_SUGGESTED_BLOCK_SIZE
  static readonly DefaultEncryption = DefaultEncryption

  /** The key of a core signed by `manifest` (or by a single public key), as hypercore derives it. */
  static key(
    manifest: Manifest | Uint8Array,
    opts: { compat?: boolean; version?: number; namespace?: Uint8Array } = {}
  ): Uint8Array {
    return coreKey(manifest, opts)
  }

  /** The tree hash of `session` at `length` (hypercore reads it from storage; so do we). */
  static treeHashFromStorage(session: Hypercore<unknown>, length?: number): Promise<Uint8Array> {
    return session.treeHash(length)
  }

  static discoveryKey(key: KeyInput): Uint8Array {
    return discoveryKeyOf(decodeKey(key))
  }

  /** A signing key pair, deterministic when given a 32-byte seed. */
  static keyPair(seed?: Uint8Array): KeyPair {
    return generateKeyPair(seed)
  }

  /** The stream to replicate on (see `replicate`); pass it to several cores' `replicate`. */
  static createProtocolStream(target: ReplicationTarget, opts: ReplicateOptions = {}) {
    return createProtocolStream(target, opts)
  }

  /** The protomux a protocol stream carries. */
  static getProtocolMuxer(stream: SecretStream | ProtocolStream): Protomux {
    return Protomux.from(noiseOf(stream))
  }

  // --- identity -----------------------------------------------------------------------------------

  /** The shared core (for replication and advanced use). */
  get core(): Core {
    if (this.#core === null) throw new InvalidOperationError('the core is not open yet')
    return this.#core
  }

  get key(): Uint8Array | null {
    return this.#core?.key ?? this.#knownKey
  }

  get discoveryKey(): Uint8Array | null {
    return this.#core?.discoveryKey ?? null
  }

  /** The key in z-base-32, as hypercore prints it. */
  get id(): string | null {
    const key = this.key
    return key ? toZBase32(key) : null
  }

  get manifest(): Manifest | null {
    return this.#core?.manifest ?? null
  }

  get keyPair(): KeyPair | null {
    return this.#keyPair
  }

  /** Signs with `keyPair` from now on (this session). */
  setKeyPair(keyPair: KeyPair | null): void {
    this.#keyPair = keyPair
  }

  get writable(): boolean {
    return this.opened && this.#closing === null && !this.#readonly && this.#core!.canSign(this.#keyPair)
  }

  get readable(): boolean {
    return this.opened && this.#closing === null
  }

  get snapshotted(): boolean {
    return this.#snapshot !== null
  }

  get encryption(): BlockEncryption | null {
    return this.#encryption
  }

  // --- state --------------------------------------------------------------------------------------

  get length(): number {
    if (this.#snapshot) return this.#snapshot.hold.length
    return this.#core?.length ?? 0
  }

  /**
   * The length the signature covers: all of it (Orchard's cores hold no unsigned appends); for a
   * snapshot, what of its view the core still signs after truncations.
   */
  get signedLength(): number {
    if (this.#snapshot) return Math.min(this.#snapshot.hold.validLength, this.#core?.length ?? 0)
    return this.length
  }

  /** Bytes of all blocks (plaintext sizes; encryption padding excluded), as hypercore reports it. */
  get byteLength(): number {
    const core = this.#core
    if (core === null) return 0
    const padding = this.padding
    if (this.#snapshot) return this.#snapshot.byteLength - this.#snapshot.hold.length * padding
    return core.byteLength - core.length * padding
  }

  get contiguousLength(): number {
    return this.#core ? Math.min(this.#core.length, this.#core.contiguousLength) : 0
  }

  /** How many leading blocks some peer told us it holds (kept across reopens). */
  get remoteContiguousLength(): number {
    return this.#core ? Math.min(this.#core.length, this.#core.remoteContiguousLength) : 0
  }

  get fork(): number {
    if (this.#snapshot) return this.#snapshot.fork
    return this.#core?.fork ?? 0
  }

  get padding(): number {
    return this.#encryption?.padding ?? 0
  }

  get peers(): readonly unknown[] {
    return this.#core?.peers ?? []
  }

  async info(): Promise<HypercoreInfo> {
    const core = await this.#active()
    return {
      key: core.key,
      discoveryKey: core.discoveryKey,
      length: this.length,
      contiguousLength: this.contiguousLength,
      byteLength: this.byteLength,
      fork: this.fork,
      padding: this.padding,
      storage: null
    }
  }

  // --- writes -------------------------------------------------------------------------------------

  /** Appends one block or many (atomically); returns the new length and stored byte length. */
  async append(
    blocks: T | string | Uint8Array | Array<T | string | Uint8Array>,
    opts: { keyPair?: KeyPair } = {}
  ): Promise<{ length: number; byteLength: number }> {
    const core = await this.#active()
    const keyPair = opts.keyPair ?? this.#keyPair
    this.#assertWritable(core, keyPair)
    const list = Array.isArray(blocks) ? blocks : [blocks]
    const encoded = this.#encodeBatch ? this.#encodeBatch(list) : list.map((b) => this.#codec.encode(b))
    for (const b of encoded) {
      if (b.byteLength > this.#maxBlockSize) {
        throw new BadArgumentError(
          `block of ${b.byteLength} bytes exceeds the maximum of ${this.#maxBlockSize}`,
          this.#where()
        )
      }
    }
    // like hypercore 11, the returned byte length counts stored bytes (encryption padding included)
    return core.append(encoded, keyPair!, this.#encryption)
  }

  /** Truncates to `newLength`, bumping the fork unless given (as a number or `{ fork }`). */
  async truncate(newLength = 0, opts: number | { fork?: number; keyPair?: KeyPair } = {}): Promise<void> {
    const core = await this.#active()
    const o = typeof opts === 'number' ? { fork: opts } : opts
    const keyPair = o.keyPair ?? this.#keyPair
    this.#assertWritable(core, keyPair)
    checkIndex(newLength, 'truncate length')
    if (newLength > core.length) {
      throw new InvalidOperationError(
        `not a truncation: ${newLength} must be at most ${core.length}`,
        this.#where()
      )
    }
    const nextFork = o.fork ?? core.fork + 1
    if (!Number.isInteger(nextFork) || nextFork < core.fork)
      throw new BadArgumentError('fork must not go backwards', this.#where())
    await core.truncate(newLength, nextFork, keyPair!)
  }

  /**
   * Deletes the local copy of blocks `[start, end)`; the core keeps its length and proofs. With
   * `diff`, resolves with how many stored blocks were freed (else null, as hypercore).
   */
  async clear(
    start: number,
    end = start + 1,
    opts: { diff?: boolean } = {}
  ): Promise<{ blocks: number } | null> {
    const core = await this.#active()
    checkIndex(start, 'clear start')
    checkIndex(end, 'clear end')
    const freed =
      start >= end || start >= core.length ? 0 : await core.clear(start, Math.min(end, core.length))
    return opts.diff ? { blocks: freed } : null
  }

  async setUserData(key: string, value: Uint8Array | string | null): Promise<void> {
    await this.#setUserData(await this.#active(), key, value)
  }

  async #setUserData(core: Core, key: string, value: Uint8Array | string | null): Promise<void> {
    await core.setUserData(key, typeof value === 'string' ? new TextEncoder().encode(value) : value)
  }

  async getUserData(key: string): Promise<Uint8Array | null> {
    const core = await this.#active()
    return core.getUserData(key)
  }

  /** Encrypts and decrypts this session's blocks under `key` (hypercore's default cipher). */
  async setEncryptionKey(key: Uint8Array | null, opts: { block?: boolean } = {}): Promise<void> {
    await this.opening
    await this.#setEncryptionOption(this.#core!, key === null ? null : { key, block: opts.block })
  }

  /** Uses `encryption` (a cipher, or null for none) for this session's blocks. */
  async setEncryption(encryption: BlockEncryption | null): Promise<void> {
    await this.opening
    await this.#setEncryptionOption(this.#core!, encryption)
  }

  async #setEncryptionOption(core: Core, option: EncryptionOption | null): Promise<void> {
    if (option === null) {
      this.#encryption = null
      return
    }
    const { key, isBlockKey, cipher } = encryptionOptions({ encryption: option })
    if (cipher) this.#encryption = fromProvider(cipher, this)
    else if (key) this.#encryption = new DefaultEncryption(key, core.key, { isBlockKey, compat: core.compat })
  }

  // --- reads --------------------------------------------------------------------------------------

  /** Whether block `start` (or every block of `[start, end)`) is stored locally. */
  async has(start: number, end = start + 1): Promise<boolean> {
    const core = await this.#active()
    checkIndex(start, 'has start')
    checkIndex(end, 'has end')
    return core.hasRange(start, end)
  }

  /**
   * Block `index`, decoded with the session's value encoding. A missing block is waited for (from
   * peers), or `null` with `wait: false`.
   */
  async get(index: number, opts: GetOptions = {}): Promise<T | null> {
    const core = await this.#active()
    checkIndex(index, 'block index')
    let stored = this.#snapshot ? this.#fromSnapshot(core, index) : null
    if (stored === null && core.has(index)) stored = await core.getStoredBlock(index)
    if (stored === null) {
      if (!(opts.wait ?? this.#wait)) return null
      this.waits++
      opts.onwait?.(index, this)
      this.#onwait?.(index, this)
      stored = await this.#waitFor(core, index, opts)
    }
    core.marks?.add(index)
    if (opts.raw) return stored as T
    const plain =
      this.#encryption && opts.decrypt !== false ? await this.#encryption.decrypt(index, stored) : stored
    const codec = opts.valueEncoding !== undefined ? blockCodec(opts.valueEncoding) : this.#codec
    return codec.decode(plain, index) as T
  }

  /** A snapshot's copy of block `index` if it outlived a truncation; throws if the snapshot lost it. */
  #fromSnapshot(core: Core, index: number): Uint8Array | null {
    const { hold } = this.#snapshot!
    if (index < hold.validLength) return null
    const kept = index < hold.length ? hold.retained.get(index) : undefined
    if (kept) return kept
    const what = index < hold.length ? 'was truncated away' : `is past its length ${hold.length}`
    throw new SnapshotNotAvailableError(`block ${index} of this snapshot ${what}`, {
      discoveryKey: core.discoveryKey
    })
  }

  async #waitFor(core: Core, index: number, opts: GetOptions): Promise<Uint8Array> {
    const ac = this.#pending.open(opts, 0, () => this.#timedOut())
    try {
      return await core.waitForBlock(index, { signal: ac.signal, timeout: opts.timeout ?? this.timeout })
    } finally {
      this.#pending.release(ac)
    }
  }

  /**
   * The block holding byte `bytes` and the offset inside it: `[index, offset]`. Byte offsets count
   * plaintext bytes (encryption padding excluded). A sparse core asks peers for the tree nodes; a
   * byte past the length waits for the core to grow (`null` with `wait: false`).
   */
  async seek(bytes: number, opts: GetOptions = {}): Promise<[index: number, offset: number] | null> {
    const core = await this.#active()
    checkIndex(bytes, 'byte offset')
    const found = await core.trySeek(bytes, this.padding)
    if (found !== null) return found
    if (!(opts.wait ?? this.#wait)) return null
    const ac = this.#pending.open(opts, opts.timeout ?? this.timeout, () => this.#timedOut())
    try {
      return await replicatorOf(core).seek(bytes, this.padding, ac.signal)
    } finally {
      this.#pending.release(ac)
    }
  }

  /** The Merkle tree hash at `length` (default: the session's length). */
  async treeHash(length = this.length): Promise<Uint8Array> {
    const core = await this.#active()
    checkIndex(length, 'length')
    // as hypercore: a length we have not seen yet waits for its last block (and so its upgrade)
    if (length > core.length) await this.get(length - 1)
    if (length > core.length)
      throw new InvalidOperationError(
        `length ${length} is past the core length ${core.length}`,
        this.#where()
      )
    return core.treeHash(length)
  }

  /** Reads blocks `[start, end)` in order (`live`: then follows appends). */
  createReadStream(opts: ReadStreamOptions = {}): ReadStream {
    return new ReadStream(this as Hypercore<unknown>, opts)
  }

  /** Reads bytes `[byteOffset, byteOffset + byteLength)` across blocks. */
  createByteStream(opts: ByteStreamOptions = {}): ByteStream {
    return new ByteStream(this as Hypercore<unknown>, opts)
  }

  /** Appends what is written to it (`write`, `end`, then `finish`). */
  createWriteStream(): WriteStream {
    return new WriteStream(this as Hypercore<unknown>)
  }

  // --- mark and sweep -----------------------------------------------------------------------------

  /** Starts marking: blocks read (or marked) from now on are kept by {@link sweep}. */
  async startMarking(): Promise<void> {
    const core = await this.#active()
    if (core.marks !== null) throw new AssertionError('this core is already marking', this.#where())
    core.marks = new Set()
  }

  /** Marks blocks `[start, end)` as in use. */
  async markBlock(start: number, end = start + 1): Promise<void> {
    const core = await this.#active()
    core.marks ??= new Set()
    for (let i = start; i < end; i++) core.marks.add(i)
  }

  /** Forgets every mark. */
  async clearMarkings(): Promise<void> {
    const core = await this.#active()
    core.marks = null
  }

  /** Clears every stored block that was not marked since {@link startMarking}, then stops marking. */
  async sweep(): Promise<void> {
    const core = await this.#active()
    if (this.#snapshot) throw new AssertionError('cannot sweep a snapshot', this.#where())
    await sweepUnmarked(core)
  }

  // --- replication --------------------------------------------------------------------------------

  /**
   * Replicates this core with a peer: `true`/`false` for initiator/responder — on `opts.stream`
   * (a byte transport), or, without one, returning a raw stream to pipe into the peer's
   * (`a.replicate(true).pipe(b.replicate(false)).pipe(…)`); or an existing secret-stream,
   * protomux or protocol stream shared with other cores.
   */
  replicate(target: boolean, opts: ReplicateOptions & { stream: Duplex }): SecretStream
  replicate(target: SecretStream | Protomux, opts?: ReplicateOptions): SecretStream
  replicate(target: ReplicationTarget, opts?: ReplicateOptions): SecretStream | ProtocolStream
  replicate(target: ReplicationTarget, opts: ReplicateOptions = {}): SecretStream | ProtocolStream {
    if (this.#core !== null) return replicate(this.#core, target, opts)
    // not open yet (hypercore allows this): the stream starts now — the secret-stream keeps what
    // arrives — and the core's channel joins it once the core is open
    const outer = createProtocolStream(target, opts)
    this.ready().then(
      () => attachCore(this.core, noiseOf(outer), opts),
      (err: unknown) => noiseOf(outer).destroy(err as Error)
    )
    return outer
  }

  /** Fetches blocks `[start, end)` (or `blocks`) from peers; `.done()` resolves when all are stored. */
  download(range: DownloadRange = {}): Download {
    const d = new Download(range)
    this.opening.then(
      () => (this.#closing ? d.destroy() : replicatorOf(this.core).download(d)),
      () => d.destroy()
    )
    return d
  }

  /**
   * Waits for peers to bring a longer (or forked) core: true if it moved, false when no peer can
   * move it. Waits by default only while peers are being found ({@link findingPeers}); `wait: true`
   * waits for connected and connecting peers too. A writable core does not update unless `force`.
   */
  async update(opts: { wait?: boolean; force?: boolean } = {}): Promise<boolean> {
    if (!this.opened) await this.opening
    if (this.#closing !== null || this.#snapshot !== null) return false
    if (this.writable && !opts.force) return false
    const replicator = replicatorOf(this.core)
    if (!(opts.wait ?? replicator.findingPeers > 0)) return false
    return replicator.waitForUpgrade()
  }

  /**
   * Tells the core that peers are being looked for (e.g. a swarm is joining): `update` waits until
   * the returned function is called. Call it once discovery is done.
   */
  findingPeers(): () => void {
    this.#findingPeers++
    if (this.#core !== null) replicatorOf(this.#core).findingPeers++
    let once = true
    return () => {
      if (!once || this.#closing !== null) return
      once = false
      this.#findingPeers--
      if (this.#core !== null) {
        const r = replicatorOf(this.#core)
        if (--r.findingPeers === 0) r.update()
      }
    }
  }

  /**
   * Registers a protocol extension: messages under `name` to and from peers replicating this core.
   * `encoding` is a value encoding (`'binary'` default, `'utf-8'`, `'json'`, or a codec), applied
   * to the message bytes as hypercore applies its own; a message that does not decode is dropped.
   */
  registerExtension<M = Uint8Array>(name: string, handlers: ExtensionOptions<M> = {}): SessionExtension<M> {
    return sessionExtension(replicatorOf(this.core), name, handlers)
  }

  // --- sessions -----------------------------------------------------------------------------------

  /** A new session on the same core: shared state, its own options and lifetime. */
  session<S = T>(
    opts: Omit<HypercoreOptions, 'key' | 'manifest' | 'compat' | 'createIfMissing' | 'storage'> = {}
  ): Hypercore<S> {
    if (this.#closing !== null)
      throw new SessionClosedError('cannot open a session on a closing core', this.#where())
    // like hypercore, a session can be opened before its parent is ready: it opens with it
    const parent: SessionParent = {
      opening: this.opening,
      core: () => this.#core!,
      keyPair: () => this.#keyPair,
      encryption: () => this.#encryption
    }
    return new Hypercore<S>(null, null, {
      wait: this.#wait,
      timeout: this.timeout,
      onwait: this.#onwait ?? undefined,
      ...opts,
      // a session of a read-only session is read-only unless it asks otherwise
      writable: opts.writable ?? !this.#readonly,
      parent
    } as HypercoreOptions)
  }

  /** A session frozen at the current length: appends don't move it; it keeps what truncations cut. */
  snapshot<S = T>(opts: Parameters<Hypercore['session']>[0] = {}): Hypercore<S> {
    return this.session<S>({ ...opts, snapshot: true })
  }

  /**
   * Closes this session; the core closes with its last session. Pending `get`s are rejected with
   * `error` (default `SESSION_CLOSED`).
   */
  close(opts: { error?: Error } = {}): Promise<void> {
    if (this.#closing === null) this.#closing = this.#close(opts.error ?? null)
    return this.#closing
  }

  async #close(error: Error | null): Promise<void> {
    try {
      await this.opening
    } catch {
      this.closed = true
      return
    }
    const core = this.#core!
    const reason = error ?? new RequestCancelledError('the session was closed', this.#where())
    this.#pending.abortAll(reason)
    for (const off of this.#unlisten) off()
    if (this.#findingPeers > 0) {
      const r = replicatorOf(core)
      r.findingPeers -= this.#findingPeers
      this.#findingPeers = 0
      r.update()
    }
    if (this.#snapshot) core.snapshots.delete(this.#snapshot.hold)
    this.#releaseExclusive?.()
    await core.removeSession()
    this.closed = true
    this.emit('close')
  }
}
