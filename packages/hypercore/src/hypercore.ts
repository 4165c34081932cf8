/**
 * The `Hypercore` class: a session on a core. Sessions of one core share its state (storage, tree,
 * bitfield, replication); each has its own value encoding, writability, snapshot and lifetime, and
 * the core closes when its last session does. Shaped like hypercore 11's API, promise-based and
 * typed, so ports change imports, not code.
 */
import type { KeyPair } from '@orchard/crypto'
import { Emitter } from '@orchard/events'
import type { Storage } from '@orchard/storage'
import type { Protomux, SecretStream } from '@orchard/wire'
import { Core, type CoreOpenOptions } from './core.ts'
import type { BlockEncryption } from './encryption.ts'
import {
  BadArgumentError,
  BlockNotAvailableError,
  BlockTooLargeError,
  InvalidOperationError,
  SessionClosedError,
  SessionNotWritableError,
  SnapshotNotAvailableError
} from './errors.ts'
import type { Manifest } from './manifest.ts'
import type { Download, DownloadRange } from './replication/download.ts'
import { type ReplicateOptions, replicate, replicationStream, replicatorOf } from './replication/protocol.ts'
import { ByteStream, type ByteStreamOptions, ReadStream, type ReadStreamOptions } from './streams.ts'
import { type BlockCodec, blockCodec, type ValueEncoding } from './value-encoding.ts'
import { toZBase32 } from './z32.ts'

/** hypercore's suggested maximum: every block travels in one message when replicating. */
export const MAX_SUGGESTED_BLOCK_SIZE = 15 * 1024 * 1024

export interface HypercoreOptions {
  /** The core's key, to open a core created elsewhere (bytes or hex). */
  key?: Uint8Array | string
  /** Signing key pair: creates (or reopens) a writable core signed by it. */
  keyPair?: KeyPair
  /** A manifest for a core with non-default signers/prologue. */
  manifest?: Manifest
  /** Legacy cores whose key is the signer's public key. */
  compat?: boolean
  /** How blocks are encoded: 'binary' (default), 'utf-8', 'json' or a codec. */
  valueEncoding?: ValueEncoding
  /** Encrypt blocks with hypercore's default block cipher under this 32-byte key. */
  encryptionKey?: Uint8Array
  /** Or bring your own block cipher. */
  encryption?: BlockEncryption
  /** `false` opens a read-only session even when the key pair can sign. */
  writable?: boolean
  /** Download only what is asked for (default true); false replicates everything eagerly. */
  sparse?: boolean
  /** Create the core if the storage is empty (default true). */
  createIfMissing?: boolean
  /** Blocks larger than this are refused (default 15 MiB). */
  maxBlockSize?: number
  /** Wait for missing blocks to arrive from peers (default true). */
  wait?: boolean
  /** Milliseconds a `get` may wait (0 = no limit). */
  timeout?: number
  /** Freeze this session's view at its current length. */
  snapshot?: boolean
  /** Keep the storage open when the core closes (for stores shared by several cores). */
  closeStorage?: boolean
}

export interface GetOptions {
  wait?: boolean
  timeout?: number
  valueEncoding?: ValueEncoding
  /** Return the stored bytes (ciphertext for encrypted cores), undecoded. */
  raw?: boolean
  signal?: AbortSignal
}

export interface HypercoreEvents {
  ready: []
  close: []
  append: []
  truncate: [ancestors: number, fork: number]
  download: [index: number, byteLength: number, from: unknown]
  upload: [index: number, byteLength: number, to: unknown]
  'peer-add': [peer: unknown]
  'peer-remove': [peer: unknown]
}

export interface HypercoreInfo {
  key: Uint8Array
  discoveryKey: Uint8Array
  length: number
  contiguousLength: number
  byteLength: number
  fork: number
  padding: number
}

interface Snapshot {
  length: number
  byteLength: number
  fork: number
  /** Blocks at or past this index were truncated away since the snapshot was taken. */
  validLength: number
}

/** What a session takes from the session it was opened on (which may still be opening). */
type SessionParent = {
  opening: Promise<void>
  core: () => Core
  keyPair: () => KeyPair | null
  codec: BlockCodec
}

export class Hypercore extends Emitter<HypercoreEvents> {
  /** Resolves when the session is open. */
  readonly opening: Promise<void>
  opened = false
  closed = false
  #closing: Promise<void> | null = null
  #core: Core | null = null
  #keyPair: KeyPair | null
  #codec: BlockCodec
  #readonly: boolean
  #snapshot: Snapshot | null = null
  readonly #wait: boolean
  readonly #timeout: number
  readonly #maxBlockSize: number
  readonly #pending = new Set<AbortController>()
  readonly #unlisten: Array<() => void> = []

  /**
   * Opens (or creates) the core in `storage`. `key` selects a core created elsewhere; without it,
   * the storage's default core is opened, or a new writable core is created.
   */
  constructor(
    storage: Storage | Promise<Storage> | null,
    key?: Uint8Array | string | HypercoreOptions | null,
    opts?: HypercoreOptions
  )
  constructor(
    storage: Storage | Promise<Storage> | null,
    keyOrOpts?: Uint8Array | string | HypercoreOptions | null,
    maybeOpts: HypercoreOptions & { parent?: SessionParent } = {}
  ) {
    super()
    const isKey = typeof keyOrOpts === 'string' || keyOrOpts instanceof Uint8Array
    const opts: HypercoreOptions & { parent?: SessionParent } = isKey
      ? maybeOpts
      : { ...(keyOrOpts ?? {}), ...maybeOpts }
    const key = isKey ? keyOrOpts : (opts.key ?? null)
    this.#keyPair = opts.keyPair ?? null
    this.#codec =
      opts.valueEncoding !== undefined
        ? blockCodec(opts.valueEncoding)
        : (opts.parent?.codec ?? blockCodec(undefined))
    this.#readonly = opts.writable === false
    this.#wait = opts.wait !== false
    this.#timeout = opts.timeout ?? 0
    this.#maxBlockSize = opts.maxBlockSize ?? MAX_SUGGESTED_BLOCK_SIZE
    this.opening = this.#open(storage, key, opts)
    this.opening.catch(() => {}) // surfaced through ready() and every method
  }

  async #open(
    storage: Storage | Promise<Storage> | null,
    key: Uint8Array | string | null,
    opts: HypercoreOptions & { parent?: SessionParent }
  ): Promise<void> {
    let core: Core
    if (opts.parent) {
      await opts.parent.opening
      core = opts.parent.core()
      if (this.#keyPair === null) this.#keyPair = opts.parent.keyPair()
      await core.ready()
      core.addSession()
    } else {
      if (storage === null) throw new BadArgumentError('storage is required')
      const coreOpts: CoreOpenOptions = {
        key: typeof key === 'string' ? hexToBytes(key) : key,
        keyPair: opts.keyPair ?? null,
        manifest: opts.manifest ?? null,
        compat: opts.compat ?? false,
        encryptionKey: opts.encryptionKey ?? null,
        encryption: opts.encryption ?? null,
        createIfMissing: opts.createIfMissing !== false,
        sparse: opts.sparse !== false,
        closeStorage: opts.closeStorage !== false
      }
      core = await Core.open(await storage, coreOpts)
    }
    this.#core = core
    if (this.#keyPair === null) this.#keyPair = core.keyPair
    if (opts.snapshot) this.#takeSnapshot()
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
      const snap = this.#snapshot
      if (snap !== null && ancestors < snap.validLength) snap.validLength = ancestors
      this.emit('truncate', ancestors, fork)
    })
    on('download', (...a) => this.emit('download', ...a))
    on('upload', (...a) => this.emit('upload', ...a))
    on('peer-add', (p) => this.emit('peer-add', p))
    on('peer-remove', (p) => this.emit('peer-remove', p))
    on('close', () => {
      this.close().catch(() => {})
    })
  }

  #takeSnapshot(): void {
    const core = this.#core!
    this.#snapshot = {
      length: core.length,
      byteLength: core.byteLength,
      fork: core.fork,
      validLength: core.length
    }
  }

  /** Resolves once open; rejects with the open error. */
  async ready(): Promise<void> {
    await this.opening
  }

  async #active(): Promise<Core> {
    if (!this.opened) await this.opening
    if (this.#closing !== null) throw new SessionClosedError('the session is closed')
    return this.#core!
  }

  // --- identity -----------------------------------------------------------------------------------

  /** The shared core (for replication and advanced use). */
  get core(): Core {
    if (this.#core === null) throw new InvalidOperationError('the core is not open yet')
    return this.#core
  }

  get key(): Uint8Array | null {
    return this.#core?.key ?? null
  }

  get discoveryKey(): Uint8Array | null {
    return this.#core?.discoveryKey ?? null
  }

  /** The key in z-base-32, as hypercore prints it. */
  get id(): string | null {
    return this.#core ? toZBase32(this.#core.key) : null
  }

  get manifest(): Manifest | null {
    return this.#core?.manifest ?? null
  }

  get keyPair(): KeyPair | null {
    return this.#keyPair
  }

  get writable(): boolean {
    return this.opened && !this.#readonly && this.#snapshot === null && this.#core!.canSign(this.#keyPair)
  }

  get readable(): boolean {
    return this.opened && this.#closing === null
  }

  get snapshotted(): boolean {
    return this.#snapshot !== null
  }

  // --- state --------------------------------------------------------------------------------------

  get length(): number {
    if (this.#snapshot) return this.#snapshot.length
    return this.#core?.length ?? 0
  }

  /** Bytes of all blocks (plaintext sizes; encryption padding excluded), as hypercore reports it. */
  get byteLength(): number {
    const core = this.#core
    if (core === null) return 0
    if (this.#snapshot) return this.#snapshot.byteLength - this.#snapshot.length * core.padding
    return core.byteLength - core.length * core.padding
  }

  get contiguousLength(): number {
    return this.#core ? Math.min(this.length, this.#core.contiguousLength) : 0
  }

  get fork(): number {
    if (this.#snapshot) return this.#snapshot.fork
    return this.#core?.fork ?? 0
  }

  get padding(): number {
    return this.#core?.padding ?? 0
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
      padding: core.padding
    }
  }

  // --- writes -------------------------------------------------------------------------------------

  /** Appends one block or many (atomically); returns the new length and stored byte length. */
  async append(blocks: unknown | unknown[]): Promise<{ length: number; byteLength: number }> {
    const core = await this.#active()
    if (this.#readonly || this.#snapshot) throw new SessionNotWritableError('this session is read-only')
    if (!core.canSign(this.#keyPair))
      throw new SessionNotWritableError('this core has no key pair that can sign')
    const list = Array.isArray(blocks) ? blocks : [blocks]
    const encoded = new Array<Uint8Array>(list.length)
    for (let i = 0; i < list.length; i++) {
      const b = this.#codec.encode(list[i])
      if (b.byteLength > this.#maxBlockSize) {
        throw new BlockTooLargeError(
          `block of ${b.byteLength} bytes exceeds the maximum of ${this.#maxBlockSize}`
        )
      }
      encoded[i] = b
    }
    // like hypercore 11, the returned byte length counts stored bytes (encryption padding included)
    return core.append(encoded, this.#keyPair!)
  }

  /** Truncates to `newLength` (bumping the fork unless `fork` is given). */
  async truncate(newLength = 0, fork?: number): Promise<void> {
    const core = await this.#active()
    if (this.#readonly || this.#snapshot) throw new SessionNotWritableError('this session is read-only')
    if (!core.canSign(this.#keyPair))
      throw new SessionNotWritableError('this core has no key pair that can sign')
    checkIndex(newLength, 'truncate length')
    if (newLength > core.length) {
      throw new InvalidOperationError(`cannot truncate to ${newLength}: the core has ${core.length} blocks`)
    }
    const nextFork = fork ?? core.fork + 1
    if (!Number.isInteger(nextFork) || nextFork < core.fork)
      throw new BadArgumentError('fork must not go backwards')
    await core.truncate(newLength, nextFork, this.#keyPair!)
  }

  /** Deletes the local copy of blocks `[start, end)`; the core keeps its length and proofs. */
  async clear(start: number, end = start + 1): Promise<void> {
    const core = await this.#active()
    checkIndex(start, 'clear start')
    checkIndex(end, 'clear end')
    if (start >= end || start >= core.length) return
    await core.clear(start, Math.min(end, core.length))
  }

  async setUserData(key: string, value: Uint8Array | string | null): Promise<void> {
    const core = await this.#active()
    await core.setUserData(key, typeof value === 'string' ? new TextEncoder().encode(value) : value)
  }

  async getUserData(key: string): Promise<Uint8Array | null> {
    const core = await this.#active()
    return core.getUserData(key)
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
   * Block `index`, decoded with the session's value encoding. Missing blocks are waited for (from
   * peers) unless `wait: false`, which raises `BlockNotAvailableError`.
   */
  async get(index: number, opts: GetOptions = {}): Promise<unknown> {
    const core = await this.#active()
    checkIndex(index, 'block index')
    const snap = this.#snapshot
    if (snap !== null) {
      if (index >= snap.validLength && index < snap.length) {
        throw new SnapshotNotAvailableError(`block ${index} was truncated away after this snapshot was taken`)
      }
      if (index >= snap.length)
        throw new BlockNotAvailableError(`block ${index} is past the snapshot length ${snap.length}`)
    }
    let stored = core.has(index) ? await core.getStoredBlock(index) : null
    if (stored === null) {
      const wait = opts.wait ?? this.#wait
      if (!wait) throw new BlockNotAvailableError(`block ${index} is not available locally`)
      stored = await this.#waitFor(core, index, opts)
    }
    if (opts.raw) return stored
    const plain = core.decryptBlock(index, stored)
    const codec = opts.valueEncoding !== undefined ? blockCodec(opts.valueEncoding) : this.#codec
    return codec.decode(plain, index)
  }

  async #waitFor(core: Core, index: number, opts: GetOptions): Promise<Uint8Array> {
    const ac = new AbortController()
    this.#pending.add(ac)
    const onAbort = () => ac.abort(opts.signal?.reason)
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    try {
      return await core.waitForBlock(index, { signal: ac.signal, timeout: opts.timeout ?? this.#timeout })
    } finally {
      opts.signal?.removeEventListener('abort', onAbort)
      this.#pending.delete(ac)
    }
  }

  /**
   * The block holding byte `bytes` and the offset inside it: `[index, offset]`. Byte offsets count
   * plaintext bytes (encryption padding excluded).
   */
  async seek(bytes: number): Promise<[index: number, offset: number]> {
    const core = await this.#active()
    checkIndex(bytes, 'byte offset')
    if (bytes >= this.byteLength) {
      throw new BlockNotAvailableError(`byte ${bytes} is past the byte length ${this.byteLength}`)
    }
    return core.seek(bytes)
  }

  /** The Merkle tree hash at `length` (default: the session's length). */
  async treeHash(length = this.length): Promise<Uint8Array> {
    const core = await this.#active()
    checkIndex(length, 'length')
    if (length > core.length)
      throw new InvalidOperationError(`length ${length} is past the core length ${core.length}`)
    return core.treeHash(length)
  }

  /** Reads blocks `[start, end)` in order (`live`: then follows appends). */
  createReadStream(opts: ReadStreamOptions = {}): ReadStream {
    return new ReadStream(this, opts)
  }

  /** Reads bytes `[byteOffset, byteOffset + byteLength)` across blocks. */
  createByteStream(opts: ByteStreamOptions = {}): ByteStream {
    return new ByteStream(this, opts)
  }

  // --- replication --------------------------------------------------------------------------------

  /**
   * Replicates this core with a peer: `true`/`false` for initiator/responder (on `opts.stream`,
   * the byte transport), or an existing secret-stream / protomux shared with other cores.
   * Returns the secret-stream.
   */
  replicate(target: boolean | SecretStream | Protomux, opts: ReplicateOptions = {}): SecretStream {
    if (this.#core !== null) return replicate(this.#core, target, opts)
    // not open yet (hypercore allows this): the stream starts now — the secret-stream keeps what
    // arrives — and the core's channel joins it once the core is open
    const stream = replicationStream(target, opts)
    this.ready().then(
      () => replicate(this.core, stream, opts),
      (err: unknown) => stream.destroy(err as Error)
    )
    return stream
  }

  /** Fetches blocks `[start, end)` (or `blocks`) from peers; `.done()` resolves when all are stored. */
  download(range: DownloadRange = {}): Download {
    return replicatorOf(this.core).download(range)
  }

  /** Waits until a peer's longer length has been verified (true), or nothing newer is known (false). */
  async update(opts: { timeout?: number } = {}): Promise<boolean> {
    const core = await this.#active()
    const start = core.length
    const ahead = () =>
      replicatorOf(core).peers.some((p) => p.remoteFork === core.fork && p.remoteLength > core.length)
    if (!ahead()) return false
    const deadline = Date.now() + (opts.timeout ?? 10_000)
    while (core.length === start && ahead() && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer)
          core.off('append', done)
          resolve()
        }
        const timer = setTimeout(done, Math.max(0, deadline - Date.now()))
        core.on('append', done)
      })
    }
    return core.length > start
  }

  /**
   * Registers a protocol extension: messages under `name` to and from peers replicating this core.
   * `encoding` is a value encoding (`'binary'` default, `'utf-8'`, `'json'`, or a codec), applied
   * to the message bytes as hypercore applies its own; a message that does not decode is dropped.
   */
  registerExtension<T = Uint8Array>(
    name: string,
    handlers: { encoding?: ValueEncoding; onmessage?: (message: T, peer: unknown) => void } = {}
  ) {
    const codec = blockCodec(handlers.encoding)
    const ext = replicatorOf(this.core).registerExtension(name, {
      onmessage: (bytes, peer) => {
        let message: T
        try {
          message = codec.decode(bytes, -1) as T
        } catch {
          return // an undecodable extension message is the extension's problem, not the replication's
        }
        handlers.onmessage?.(message, peer)
      }
    })
    return {
      name,
      send: (message: T, peer: unknown) => ext.send(codec.encode(message), peer as never),
      broadcast: (message: T) => ext.broadcast(codec.encode(message)),
      destroy: () => ext.destroy()
    }
  }

  // --- sessions -----------------------------------------------------------------------------------

  /** A new session on the same core: shared state, its own options and lifetime. */
  session(
    opts: Omit<
      HypercoreOptions,
      'key' | 'manifest' | 'compat' | 'encryptionKey' | 'encryption' | 'createIfMissing'
    > = {}
  ): Hypercore {
    if (this.#closing !== null) throw new SessionClosedError('cannot open a session on a closed session')
    // like hypercore, a session can be opened before its parent is ready: it opens with it
    const parent: SessionParent = {
      opening: this.opening,
      core: () => this.#core!,
      keyPair: () => this.#keyPair,
      codec: this.#codec
    }
    return new Hypercore(null, null, {
      wait: this.#wait,
      timeout: this.#timeout,
      ...opts,
      parent
    } as HypercoreOptions)
  }

  /** A session frozen at the current length: appends don't move it; truncation invalidates what it cut. */
  snapshot(opts: Parameters<Hypercore['session']>[0] = {}): Hypercore {
    return this.session({ ...opts, snapshot: true })
  }

  /** Closes this session; the core closes with its last session. Pending `get`s are cancelled. */
  close(): Promise<void> {
    if (this.#closing === null) this.#closing = this.#close()
    return this.#closing
  }

  async #close(): Promise<void> {
    try {
      await this.opening
    } catch {
      this.closed = true
      return
    }
    for (const ac of this.#pending) ac.abort(new SessionClosedError('the session was closed'))
    for (const off of this.#unlisten) off()
    await this.#core!.removeSession()
    this.closed = true
    this.emit('close')
  }
}

function checkIndex(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new BadArgumentError(`${what} must be a non-negative integer, got ${n}`)
}

function hexToBytes(hex: string): Uint8Array {
  if (!/^[0-9a-f]{64}$/i.test(hex)) throw new BadArgumentError('a string key must be 64 hex characters')
  const out = new Uint8Array(32)
  for (let i = 0; i < 32; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}
