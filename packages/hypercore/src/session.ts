/**
 * What every `Hypercore` session is before its data API: how it opens (its own core, or a parent's
 * core it shares), the options it keeps (value encoding, encryption, writability, waits, snapshot),
 * its identity and state as hypercore reports them, and its lifetime — the core closes with its
 * last session. `hypercore.ts` builds the data API (reads, writes, replication) on top.
 */
import { toZBase32 } from '@orchard/codec'
import type { KeyPair } from '@orchard/crypto'
import { Emitter } from '@orchard/events'
import type { Storage } from '@orchard/storage'
import { openNamedStorage } from '@orchard/storage/named'
import { Core, type CoreOpenOptions, type SnapshotHold } from './core.ts'
import { type BlockEncryption, DefaultEncryption, fromProvider } from './encryption.ts'
import {
  BadArgumentError,
  InvalidOperationError,
  RequestCancelledError,
  RequestTimeoutError,
  SessionClosedError,
  SessionNotWritableError
} from './errors.ts'
import type { Manifest } from './manifest.ts'
import { NamedState } from './named.ts'
import {
  decodeKey,
  derivedKey,
  type EncryptionOption,
  encryptionOptions,
  type HypercoreEvents,
  type HypercoreInfo,
  type HypercoreOptions,
  isOptions,
  type KeyInput
} from './options.ts'
import type { HypercorePeer } from './replication/peer.ts'
import { replicatorOf } from './replication/protocol.ts'
import { type BlockCodec, blockCodec } from './value-encoding.ts'
import { PendingRequests } from './waiters.ts'

/** hypercore's suggested maximum: every block travels in one message when replicating. */
export const MAX_SUGGESTED_BLOCK_SIZE = 15 * 1024 * 1024

export interface Snapshot {
  hold: SnapshotHold
  byteLength: number
  fork: number
}

/** What a session takes from the session it was opened on (which may still be opening). */
export interface SessionParent {
  opening: Promise<void>
  core: () => Core
  keyPair: () => KeyPair | null
  encryption: () => BlockEncryption | null
  /** A session of a named session shares its state (unless it names its own). */
  named: () => NamedState | null
}

type Opts = HypercoreOptions & { parent?: SessionParent }

export abstract class HypercoreSession extends Emitter<HypercoreEvents> {
  /** Resolves when the session is open. */
  readonly opening: Promise<void>
  /** True once the session is open. */
  opened = false
  /** True once the session is closed. */
  closed = false
  /** @internal */
  protected _closing: Promise<void> | null = null
  /** @internal */
  protected _core: Core | null = null
  /** @internal */
  protected _keyPair: KeyPair | null
  /** @internal */
  protected _codec: BlockCodec
  /** @internal */
  protected _encodeBatch: ((blocks: unknown[]) => Uint8Array[]) | null
  /** @internal */
  protected _encryption: BlockEncryption | null = null
  /** @internal */
  protected _readonly: boolean
  /** @internal */
  protected _snapshot: Snapshot | null = null
  /** @internal */
  protected _findingPeers = 0
  /** The state of a named session (`session({ name })`), else null. @internal */
  protected _named: NamedState | null = null
  #releaseExclusive: (() => void) | null = null
  #knownKey: Uint8Array | null = null
  /** The cipher was settled in the constructor (the parent was already open). */
  #cipherKnown = false
  /** How many `get`s of this session waited for a block from peers. */
  waits = 0
  /** @internal */
  protected readonly _wait: boolean
  /** The default `get` timeout of this session (ms; 0 = none). */
  readonly timeout: number
  /** @internal */
  protected readonly _maxBlockSize: number
  /** @internal */
  protected readonly _onwait: HypercoreOptions['onwait'] | null
  /** @internal */
  protected readonly _pending = new PendingRequests()
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
    this._keyPair = opts.keyPair ?? null
    // as in hypercore, a session does not inherit its parent's value encoding
    this._codec = blockCodec(opts.valueEncoding)
    this._encodeBatch = opts.encodeBatch ?? null
    this._readonly = opts.writable === false
    this._wait = opts.wait !== false
    this.timeout = opts.timeout ?? 0
    this._maxBlockSize = opts.maxBlockSize ?? MAX_SUGGESTED_BLOCK_SIZE
    this._onwait = opts.onwait ?? null
    // the key is known at once when given (or derivable from the key pair), as in hypercore
    const given = key !== null ? decodeKey(key) : null
    this.#knownKey = given
    if (given === null && this._keyPair && !opts.manifest && !opts.parent) {
      this.#knownKey = derivedKey(this._keyPair, opts)
    }
    // a session of an open core knows its cipher at once (hypercore sets it synchronously too)
    const parentCore = opts.parent?.core() ?? null
    this.#cipherKnown = parentCore !== null
    if (parentCore !== null) {
      this._encryption =
        opts.encryption !== undefined
          ? this.#encryptionFor(parentCore, opts.encryption)
          : opts.parent!.encryption()
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
      if (this._keyPair === null) this._keyPair = opts.parent.keyPair()
      if (!this.#cipherKnown) this._encryption = opts.parent.encryption()
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
        overwrite: opts.overwrite === true,
        sparse: opts.sparse !== false,
        eagerUpgrade: opts.eagerUpgrade !== false,
        closeStorage: opts.closeStorage !== false
      }
      core = await Core.open(store, coreOpts)
      this._encryption = core.encryption
    }
    if (opts.encryption !== undefined && opts.parent && !this.#cipherKnown) {
      this._encryption = this.#encryptionFor(core, opts.encryption)
    }
    this._core = core
    if (this._keyPair === null) this._keyPair = core.keyPair
    if (this._findingPeers > 0) replicatorOf(core).findingPeers += this._findingPeers
    if (opts.exclusive && opts.writable !== false) this.#releaseExclusive = await core.exclusive.acquire()
    if (opts.userData) {
      for (const [name, value] of Object.entries(opts.userData)) await this._setUserData(core, name, value)
    }
    if (opts.name !== undefined) {
      this._named = await NamedState.open(core, opts.name, {
        checkout: opts.checkout,
        overwrite: opts.overwrite
      })
    } else if (opts.parent?.named()) {
      this._named = opts.parent.named()
      this._named!.refs++
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
      if (this._snapshot === null) this.emit('append')
    })
    on('truncate', (ancestors, fork) => {
      if (this._snapshot === null) this.emit('truncate', ancestors, fork)
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
    const hold: SnapshotHold = {
      length: core.length,
      validLength: core.length,
      retained: new Map(),
      later: new Set<number>()
    }
    core.snapshots.add(hold)
    this._snapshot = { hold, byteLength: core.byteLength, fork: core.fork }
  }

  /** Resolves once open; rejects with the open error. */
  async ready(): Promise<void> {
    await this.opening
  }

  /** @internal */
  protected async _active(): Promise<Core> {
    if (!this.opened) await this.opening
    if (this._closing !== null) throw new SessionClosedError('the session is closed', this._where())
    return this._core!
  }

  /** @internal */
  protected _timedOut(): Error {
    return new RequestTimeoutError('request timed out', this._where())
  }

  /** @internal */
  protected _where() {
    return { discoveryKey: this._core?.discoveryKey ?? null }
  }

  /** @internal */
  protected _assertWritable(core: Core, keyPair: KeyPair | null): void {
    if (this._readonly || this._snapshot || !keyPair?.secretKey) {
      throw new SessionNotWritableError('cannot append to a read-only core', this._where())
    }
    if (!core.canSign(keyPair)) {
      // a secret key, but not one the manifest names (hypercore's words)
      throw new BadArgumentError('Public key is not a declared signer', this._where())
    }
  }

  // --- identity -----------------------------------------------------------------------------------

  /** The shared core (for replication and advanced use). */
  get core(): Core {
    if (this._core === null) throw new InvalidOperationError('the core is not open yet')
    return this._core
  }

  /** The core's 32-byte key (known before open when given), else null. */
  get key(): Uint8Array | null {
    return this._core?.key ?? this.#knownKey
  }

  /** The core's discovery key (a hash of the key, safe to announce), once open. */
  get discoveryKey(): Uint8Array | null {
    return this._core?.discoveryKey ?? null
  }

  /** The key in z-base-32, as hypercore prints it. */
  get id(): string | null {
    const key = this.key
    return key ? toZBase32(key) : null
  }

  /** Who may sign the core, once known (readers learn it from peers). */
  get manifest(): Manifest | null {
    return this._core?.manifest ?? null
  }

  /** The key pair this session signs with, if any. */
  get keyPair(): KeyPair | null {
    return this._keyPair
  }

  /** Signs with `keyPair` from now on (this session). */
  setKeyPair(keyPair: KeyPair | null): void {
    this._keyPair = keyPair
  }

  /** Whether this session can append (open, not read-only, and holding a signer's key pair or named). */
  get writable(): boolean {
    if (!this.opened || this._closing !== null || this._readonly) return false
    // a named session writes unsigned blocks of its own: writable without the key pair (as hypercore)
    return this._named !== null || this._core!.canSign(this._keyPair)
  }

  /** Whether this session can be read from (open and not closing). */
  get readable(): boolean {
    return this.opened && this._closing === null
  }

  /** Whether this session is a snapshot (a frozen view). */
  get snapshotted(): boolean {
    return this._snapshot !== null
  }

  /** The cipher of this session's blocks, or null. */
  get encryption(): BlockEncryption | null {
    return this._encryption
  }

  // --- state --------------------------------------------------------------------------------------

  /** How many blocks the core has (for a snapshot: had when taken; for a named session: its own length). */
  get length(): number {
    if (this._snapshot) return this._snapshot.hold.length
    if (this._named) return this._named.totalLength
    return this._core?.length ?? 0
  }

  /**
   * The length the signature covers: all of it for the core; for a named session, the core's length
   * it builds on; for a snapshot, what of its view the core still signs after truncations.
   */
  get signedLength(): number {
    if (this._snapshot) return Math.min(this._snapshot.hold.validLength, this._core?.length ?? 0)
    if (this._named) return this._named.length
    return this.length
  }

  /** Bytes of all blocks (plaintext sizes; encryption padding excluded), as hypercore reports it. */
  get byteLength(): number {
    const core = this._core
    if (core === null) return 0
    const padding = this.padding
    if (this._snapshot) return this._snapshot.byteLength - this._snapshot.hold.length * padding
    if (this._named) return this._named.byteLength - this._named.totalLength * padding
    return core.byteLength - core.length * padding
  }

  /** How many leading blocks are stored locally. */
  get contiguousLength(): number {
    return this._core ? Math.min(this._core.length, this._core.contiguousLength) : 0
  }

  /** How many leading blocks some peer told us it holds (kept across reopens). */
  get remoteContiguousLength(): number {
    return this._core ? Math.min(this._core.length, this._core.remoteContiguousLength) : 0
  }

  /** The fork id: bumped by every truncation, so peers tell histories apart. */
  get fork(): number {
    if (this._snapshot) return this._snapshot.fork
    if (this._named) return this._named.fork
    return this._core?.fork ?? 0
  }

  /** Bytes of encryption padding in front of each stored block (0 unencrypted). */
  get padding(): number {
    return this._encryption?.padding ?? 0
  }

  /** The peers currently replicating this core. */
  get peers(): readonly HypercorePeer[] {
    return (this._core?.peers ?? []) as HypercorePeer[]
  }

  /** A summary of the core (key, lengths, fork, padding), as hypercore's `info()`. */
  async info(): Promise<HypercoreInfo> {
    const core = await this._active()
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

  // --- lifetime ---------------------------------------------------------------------------------

  /**
   * Closes this session; the core closes with its last session. Pending `get`s are rejected with
   * `error` (default `REQUEST_CANCELLED`, as hypercore).
   */
  close(opts: { error?: Error } = {}): Promise<void> {
    if (this._closing === null) this._closing = this.#close(opts.error ?? null)
    return this._closing
  }

  async #close(error: Error | null): Promise<void> {
    try {
      await this.opening
    } catch {
      this.closed = true
      return
    }
    const core = this._core!
    const reason = error ?? new RequestCancelledError('the session was closed', this._where())
    this._pending.abortAll(reason)
    for (const off of this.#unlisten) off()
    if (this._findingPeers > 0) {
      const r = replicatorOf(core)
      r.findingPeers -= this._findingPeers
      this._findingPeers = 0
      r.update()
    }
    if (this._snapshot) core.snapshots.delete(this._snapshot.hold)
    if (this._named && --this._named.refs === 0) core.named.delete(this._named.name)
    this.#releaseExclusive?.()
    await core.removeSession()
    this.closed = true
    this.emit('close')
  }
  // --- shared with the data API -----------------------------------------------------------------

  /** @internal */
  protected async _setUserData(core: Core, key: string, value: Uint8Array | string | null): Promise<void> {
    await core.setUserData(key, typeof value === 'string' ? new TextEncoder().encode(value) : value)
  }

  /** @internal */
  protected async _setEncryptionOption(core: Core, option: EncryptionOption | null): Promise<void> {
    this._encryption = this.#encryptionFor(core, option)
  }

  #encryptionFor(core: Core, option: EncryptionOption | null): BlockEncryption | null {
    if (option === null) return null
    const { key, isBlockKey, cipher } = encryptionOptions({ encryption: option })
    if (cipher) return fromProvider(cipher, this)
    return key ? new DefaultEncryption(key, core.key, { isBlockKey, compat: core.compat }) : null
  }
}
