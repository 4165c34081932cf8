/**
 * The `Hypercore` class: a session on a core (see `session.ts` for how sessions open, share a core
 * and close) with hypercore 11's API and behaviour — `get` of a missing block waits for peers (or
 * is `null` without waiting), snapshots keep what they saw across truncations, `update` waits for
 * peers being found, `replicate` returns a stream to pipe or joins an existing one.
 */
import { discoveryKey as discoveryKeyOf, keyPair as generateKeyPair, type KeyPair } from '@orchard/crypto'
import { type Duplex, Protomux, type SecretStream } from '@orchard/wire'
import type { Core } from './core.ts'
import { type BlockEncryption, DefaultEncryption, encryptAll } from './encryption.ts'
import {
  AssertionError,
  BadArgumentError,
  InvalidOperationError,
  SessionClosedError,
  SessionNotWritableError,
  SnapshotNotAvailableError
} from './errors.ts'
import { coreKey, type Manifest, type ManifestInput } from './manifest.ts'
import { sweepUnmarked } from './marks.ts'
import { commitNamed } from './named.ts'
import { checkIndex, decodeKey, type GetOptions, type HypercoreOptions, type KeyInput } from './options.ts'
import { Download, type DownloadRange } from './replication/download.ts'
import { type ExtensionOptions, type SessionExtension, sessionExtension } from './replication/extensions.ts'
import { useSmallWants } from './replication/peer-choice.ts'
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
import { HypercoreSession, MAX_SUGGESTED_BLOCK_SIZE, type SessionParent } from './session.ts'
import {
  ByteStream,
  type ByteStreamOptions,
  ReadStream,
  type ReadStreamOptions,
  WriteStream
} from './streams.ts'
import { blockCodec } from './value-encoding.ts'

export type { GetOptions, HypercoreEvents, HypercoreInfo, HypercoreOptions } from './options.ts'

export { MAX_SUGGESTED_BLOCK_SIZE } from './session.ts'

/**
 * A session on a signed append-only log, with hypercore 11's API: `append`, `get`, `truncate`, sessions and
 * snapshots, streams, `replicate`. `T` is the block type its value encoding yields.
 *
 * ```ts
 * const core = new Hypercore('./my-log') // a folder in Node, an IndexedDB database in a browser
 * await core.append(['hello', 'world'])
 * console.log(await core.get(0)) // Uint8Array of 'hello'
 * ```
 */
export class Hypercore<T = Uint8Array> extends HypercoreSession {
  // --- statics ------------------------------------------------------------------------------------

  /** Largest block that replicates in one message; bigger ones are refused by default. */
  static readonly MAX_SUGGESTED_BLOCK_SIZE = MAX_SUGGESTED_BLOCK_SIZE
  /** hypercore 11's default block cipher class (as `Hypercore.DefaultEncryption`). */
  static readonly DefaultEncryption = DefaultEncryption
  /** Feature flag for {@link enable}: ask peers about 4 096 blocks per `want` instead of 32 768. */
  static readonly SMALL_WANTS = 1

  /** Turns feature flags on (and the others off), as hypercore's `Hypercore.enable`. */
  static enable(flags: number): void {
    useSmallWants((flags & Hypercore.SMALL_WANTS) !== 0)
  }

  /** The key of a core signed by `manifest` (or by a single public key), as hypercore derives it. */
  static key(
    manifest: ManifestInput | Manifest | Uint8Array,
    opts: { compat?: boolean; version?: number; namespace?: Uint8Array } = {}
  ): Uint8Array {
    return coreKey(manifest, opts)
  }

  /** The tree hash of `session` at `length` (hypercore reads it from storage; so do we). */
  static treeHashFromStorage(session: Hypercore<unknown>, length?: number): Promise<Uint8Array> {
    return session.treeHash(length)
  }

  /** The discovery key of `key`: what peers announce and look up instead of the key itself. */
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

  // --- writes -------------------------------------------------------------------------------------

  /** Appends one block or many (atomically); returns the new length and stored byte length. */
  async append(
    blocks: T | string | Uint8Array | Array<T | string | Uint8Array>,
    opts: { keyPair?: KeyPair } = {}
  ): Promise<{
    /** The core's length after the append. */
    length: number
    /** The core's byte length after the append (stored bytes: encryption padding included). */
    byteLength: number
  }> {
    const core = await this._active()
    const keyPair = opts.keyPair ?? this._keyPair
    if (this._named === null) this._assertWritable(core, keyPair)
    else if (this._readonly) throw new SessionNotWritableError('this session is read-only', this._where())
    const list = Array.isArray(blocks) ? blocks : [blocks]
    const encoded = this._encodeBatch ? this._encodeBatch(list) : list.map((b) => this._codec.encode(b))
    for (const b of encoded) {
      if (b.byteLength > this._maxBlockSize) {
        throw new BadArgumentError(
          `block of ${b.byteLength} bytes exceeds the maximum of ${this._maxBlockSize}`,
          this._where()
        )
      }
    }
    // like hypercore 11, the returned byte length counts stored bytes (encryption padding included)
    const named = this._named
    if (named === null) return core.append(encoded, keyPair!, this._encryption)
    const stored = this._encryption
      ? await encryptAll(this._encryption, named.totalLength, named.fork, encoded)
      : encoded
    return named.append(core, stored)
  }

  /** Truncates to `newLength`, bumping the fork unless given (as a number or `{ fork }`). */
  async truncate(newLength = 0, opts: number | { fork?: number; keyPair?: KeyPair } = {}): Promise<void> {
    const core = await this._active()
    const o = typeof opts === 'number' ? { fork: opts } : opts
    const keyPair = o.keyPair ?? this._keyPair
    checkIndex(newLength, 'truncate length')
    const named = this._named
    if (named !== null) {
      if (this._readonly) throw new SessionNotWritableError('this session is read-only', this._where())
      if (newLength > named.totalLength) {
        throw new InvalidOperationError(
          `not a truncation: ${newLength} must be at most ${named.totalLength}`,
          this._where()
        )
      }
      await named.truncate(core, newLength, o.fork ?? named.fork + 1)
      return
    }
    this._assertWritable(core, keyPair)
    if (newLength > core.length) {
      throw new InvalidOperationError(
        `not a truncation: ${newLength} must be at most ${core.length}`,
        this._where()
      )
    }
    const nextFork = o.fork ?? core.fork + 1
    if (!Number.isInteger(nextFork) || nextFork < core.fork)
      throw new BadArgumentError('fork must not go backwards', this._where())
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
  ): Promise<{
    /** How many stored blocks were freed. */
    blocks: number
  } | null> {
    const core = await this._active()
    checkIndex(start, 'clear start')
    checkIndex(end, 'clear end')
    const freed =
      start >= end || start >= core.length ? 0 : await core.clear(start, Math.min(end, core.length))
    return opts.diff ? { blocks: freed } : null
  }

  /** Stores `value` under `key` beside the core (local, never replicated); null deletes it. */
  async setUserData(key: string, value: Uint8Array | string | null): Promise<void> {
    await this._setUserData(await this._active(), key, value)
  }

  /** The value stored under `key` with `setUserData`, or null. */
  async getUserData(key: string): Promise<Uint8Array | null> {
    const core = await this._active()
    return core.getUserData(key)
  }

  /** Encrypts and decrypts this session's blocks under `key` (hypercore's default cipher). */
  async setEncryptionKey(key: Uint8Array | null, opts: { block?: boolean } = {}): Promise<void> {
    await this.opening
    await this._setEncryptionOption(this._core!, key === null ? null : { key, block: opts.block })
  }

  /** Uses `encryption` (a cipher, or null for none) for this session's blocks. */
  async setEncryption(encryption: BlockEncryption | null): Promise<void> {
    await this.opening
    await this._setEncryptionOption(this._core!, encryption)
  }

  // --- reads --------------------------------------------------------------------------------------

  /** Whether block `start` (or every block of `[start, end)`) is stored locally. */
  async has(start: number, end = start + 1): Promise<boolean> {
    const core = await this._active()
    checkIndex(start, 'has start')
    checkIndex(end, 'has end')
    const named = this._named
    if (named === null || end <= named.length) return core.hasRange(start, end)
    return end <= named.totalLength && core.hasRange(start, Math.min(end, named.length))
  }

  /**
   * Block `index`, decoded with the session's value encoding. A missing block is waited for (from
   * peers), or `null` with `wait: false`.
   */
  async get(index: number, opts: GetOptions = {}): Promise<T | null> {
    const core = await this._active()
    checkIndex(index, 'block index')
    let stored = this._snapshot ? this._fromSnapshot(core, index) : null
    const named = this._named
    if (named !== null && index >= named.length) {
      stored = named.block(index)
      if (stored === null && !(opts.wait ?? this._wait)) return null
    }
    if (stored === null && core.has(index)) stored = await core.getStoredBlock(index)
    if (stored === null) {
      if (!(opts.wait ?? this._wait)) return null
      this.waits++
      opts.onwait?.(index, this)
      this._onwait?.(index, this)
      stored = await this._waitFor(core, index, opts)
    }
    core.marks?.add(index)
    if (opts.raw) return stored as T
    const plain =
      this._encryption && opts.decrypt !== false ? await this._encryption.decrypt(index, stored) : stored
    const codec = opts.valueEncoding !== undefined ? blockCodec(opts.valueEncoding) : this._codec
    return codec.decode(plain, index) as T
  }

  /**
   * A snapshot's copy of block `index` if it outlived a truncation; throws if the snapshot lost it.
   *
   * @internal
   */
  protected _fromSnapshot(core: Core, index: number): Uint8Array | null {
    const { hold } = this._snapshot!
    if (index < hold.validLength) return null
    const kept = index < hold.length ? hold.retained.get(index) : undefined
    if (kept) return kept
    const what = index < hold.length ? 'was truncated away' : `is past its length ${hold.length}`
    throw new SnapshotNotAvailableError(`block ${index} of this snapshot ${what}`, {
      discoveryKey: core.discoveryKey
    })
  }

  /** @internal */
  protected async _waitFor(core: Core, index: number, opts: GetOptions): Promise<Uint8Array> {
    const ac = this._pending.open(opts, 0, () => this._timedOut())
    try {
      return await core.waitForBlock(index, { signal: ac.signal, timeout: opts.timeout ?? this.timeout })
    } finally {
      this._pending.release(ac)
    }
  }

  /**
   * The block holding byte `bytes` and the offset inside it: `[index, offset]`. Byte offsets count
   * plaintext bytes (encryption padding excluded). A sparse core asks peers for the tree nodes; a
   * byte past the length waits for the core to grow (`null` with `wait: false`).
   */
  async seek(bytes: number, opts: GetOptions = {}): Promise<[index: number, offset: number] | null> {
    const core = await this._active()
    checkIndex(bytes, 'byte offset')
    const found = await core.trySeek(bytes, this.padding)
    if (found !== null) return found
    if (!(opts.wait ?? this._wait)) return null
    const ac = this._pending.open(opts, opts.timeout ?? this.timeout, () => this._timedOut())
    try {
      return await replicatorOf(core).seek(bytes, this.padding, ac.signal)
    } finally {
      this._pending.release(ac)
    }
  }

  /** The Merkle tree hash at `length` (default: the session's length). */
  async treeHash(length = this.length): Promise<Uint8Array> {
    const core = await this._active()
    checkIndex(length, 'length')
    const named = this._named
    if (named !== null) {
      if (length > named.totalLength) {
        throw new InvalidOperationError(
          `length ${length} is past the session length ${named.totalLength}`,
          this._where()
        )
      }
      return named.hashAt(core, length)
    }
    // as hypercore: a length we have not seen yet waits for its last block (and so its upgrade)
    if (length > core.length) await this.get(length - 1)
    if (length > core.length)
      throw new InvalidOperationError(
        `length ${length} is past the core length ${core.length}`,
        this._where()
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

  /** Compacts the storage (the file adapter rewrites its log without dead records). */
  async compact(): Promise<void> {
    const core = await this._active()
    const storage = core.storage.storage as { compact?: () => Promise<void> }
    await storage.compact?.()
  }

  // --- mark and sweep -----------------------------------------------------------------------------

  /** Starts marking: blocks read (or marked) from now on are kept by {@link sweep}. */
  async startMarking(): Promise<void> {
    const core = await this._active()
    if (core.marks !== null) throw new AssertionError('this core is already marking', this._where())
    core.marks = new Set()
  }

  /** Marks blocks `[start, end)` as in use. */
  async markBlock(start: number, end = start + 1): Promise<void> {
    const core = await this._active()
    core.marks ??= new Set()
    for (let i = start; i < end; i++) core.marks.add(i)
  }

  /** Forgets every mark. */
  async clearMarkings(): Promise<void> {
    const core = await this._active()
    core.marks = null
  }

  /** Clears every stored block that was not marked since {@link startMarking}, then stops marking. */
  async sweep(): Promise<void> {
    const core = await this._active()
    if (this._snapshot) throw new AssertionError('cannot sweep a snapshot', this._where())
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
    if (this._core !== null) return replicate(this._core, target, opts)
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
      () => (this._closing ? d.destroy() : replicatorOf(this.core).download(d)),
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
    if (this._closing !== null || this._snapshot !== null) return false
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
    this._findingPeers++
    if (this._core !== null) replicatorOf(this._core).findingPeers++
    let once = true
    return () => {
      if (!once || this._closing !== null) return
      once = false
      this._findingPeers--
      if (this._core !== null) {
        const r = replicatorOf(this._core)
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
    if (this._closing !== null)
      throw new SessionClosedError('cannot open a session on a closing core', this._where())
    if (opts.checkout !== undefined && opts.name === undefined) {
      throw new AssertionError('Checkouts are only supported on atoms or named sessions', this._where())
    }
    // like hypercore, a session can be opened before its parent is ready: it opens with it
    const parent: SessionParent = {
      opening: this.opening,
      core: () => this._core!,
      keyPair: () => this._keyPair,
      encryption: () => this._encryption,
      named: () => this._named
    }
    // a subclass's sessions are of the subclass (`@orchard/hypercore/node` keeps its Buffers)
    const Session = this.constructor as new (storage: null, key: null, opts: HypercoreOptions) => Hypercore<S>
    return new Session(null, null, {
      wait: this._wait,
      timeout: this.timeout,
      onwait: this._onwait ?? undefined,
      ...opts,
      // a session of a read-only session is read-only unless it asks otherwise
      writable: opts.writable ?? !this._readonly,
      parent
    } as HypercoreOptions)
  }

  /**
   * Signs the blocks of named session `session` (up to `opts.length`) onto this core, as
   * hypercore's `commit`: null when the core moved past them or no longer agrees with them;
   * `{ length, byteLength }` once the core holds them. Needs this session's key pair when there is
   * something new to sign.
   */
  async commit(
    session: Hypercore<unknown>,
    opts: { length?: number; keyPair?: KeyPair } = {}
  ): Promise<{
    /** The core's length after the commit. */
    length: number
    /** The core's byte length after the commit. */
    byteLength: number
  } | null> {
    const core = await this._active()
    await session.ready()
    if (session._closing !== null)
      throw new SessionClosedError('the session to commit is closed', this._where())
    const named = session._named
    if (named === null) throw new AssertionError('only named sessions can be committed', this._where())
    return commitNamed(core, named, opts.keyPair ?? this._keyPair, opts.length)
  }

  /** A session frozen at the current length: appends don't move it; it keeps what truncations cut. */
  snapshot<S = T>(opts: Parameters<Hypercore['session']>[0] = {}): Hypercore<S> {
    return this.session<S>({ ...opts, snapshot: true })
  }
}
