/**
 * The `Corestore` class: corestore 7's API on `@orchard/hypercore`. A store hands out Hypercore
 * sessions by name (key pairs derived from the primary key), by key, key pair or manifest, and
 * opens each core once however often it is asked for; `namespace`/`session` give views sharing the
 * same cores, storage and streams; `replicate` carries every core on one stream.
 */
import { ready as cryptoReady, type KeyPair, randomBytes } from '@orchard/crypto'
import { Emitter } from '@orchard/events'
import {
  BadArgumentError,
  createManifest,
  Hypercore,
  type HypercoreOptions,
  type Manifest,
  SessionClosedError,
  StorageConflictError,
  StorageEmptyError
} from '@orchard/hypercore'
import type { Storage } from '@orchard/storage'
import { openNamedStorage } from '@orchard/storage/named'
import { childNamespace, DEFAULT_NAMESPACE, deriveKeyPair, type Name, signerManifest } from './keys.ts'
import { getAlias, getKey, getSeed, listDiscoveryKeys, putSeed } from './records.ts'
import {
  type CoreAuth,
  type CoreEntry,
  learnManifest,
  parentOf,
  StoreRoot,
  type StreamRecord
} from './root.ts'

/** A key as hypercore takes one: 32 bytes, 64 hex characters, or 52 z-base-32 characters. */
export type KeyInput = Uint8Array | string

/** Where a store keeps its cores: a `Storage`, a promise of one, or a name (folder / IndexedDB). */
export type StorageInput = Storage | Promise<Storage> | string

/** Options of `new Corestore(storage, opts)`, and (partly) of `session` and `namespace`. */
export interface CorestoreOptions {
  /** The 32-byte primary key every named core's key pair derives from (needs `unsafe: true`). */
  primaryKey?: Uint8Array
  /** Acknowledges that passing `primaryKey` is unsafe unless you know what you are doing. */
  unsafe?: boolean
  /** The namespace names resolve in (32 bytes; default 32 zero bytes). */
  namespace?: Uint8Array
  /** The manifest version of cores created by name or key pair (default 1). */
  manifestVersion?: number
  /** `false`: sessions are read-only unless `get` asks otherwise. */
  writable?: boolean
  /** Same as `writable: false`. */
  readOnly?: boolean
}

/** What `get` takes: how to find the core, then the session's own options. */
export interface CorestoreGetOptions
  extends Omit<
    HypercoreOptions,
    'name' | 'key' | 'manifest' | 'storage' | 'closeStorage' | 'checkout' | 'compat' | 'preload'
  > {
  /** A named core: its key pair derives from the primary key, the namespace and this name. */
  name?: Name
  /** The core's key. */
  key?: KeyInput
  /** Opens a core this store holds by its discovery key alone (`STORAGE_EMPTY` if it holds none). */
  discoveryKey?: KeyInput
  /** A core signed by this key pair alone (its key is the hash of that signer manifest). */
  keyPair?: KeyPair
  /** A manifest (missing fields take hypercore's defaults). */
  manifest?: ManifestInput
}

/** A manifest as `createManifest` takes it. */
export type ManifestInput = Parameters<typeof createManifest>[0]

/** Events of a store. */
export interface CorestoreEvents {
  /** The store opened (storage and primary key loaded). */
  ready: []
  /** The store closed. */
  close: []
}

const ROOT: unique symbol = Symbol('corestore root')
type InternalOptions = CorestoreOptions & { [ROOT]?: Corestore }

/** Options that configure the session itself (the rest say which core to open). */
const SESSION_OPTIONS = [
  'valueEncoding',
  'encodeBatch',
  'encryption',
  'keyPair',
  'writable',
  'wait',
  'timeout',
  'snapshot',
  'userData',
  'exclusive',
  'onwait',
  'maxBlockSize'
] as const

/**
 * Many hypercores in one storage root, by name or key, compatible with corestore 7; a session or
 * namespace of a store is a `Corestore` too.
 */
export class Corestore extends Emitter<CorestoreEvents> {
  /** Resolves when the store is open (storage and primary key loaded). */
  readonly opening: Promise<void>
  /** Whether the store is open. */
  opened = false
  /** Whether `close()` finished. */
  closed = false
  /** This store's namespace. */
  readonly ns: Uint8Array
  /** The manifest version of cores this store creates by name or key pair. */
  readonly manifestVersion: number
  /** Whether sessions are read-only unless `get` asks for `writable`. */
  readonly readOnly: boolean
  readonly #root: StoreRoot
  /** The root store (this one, or the store this session was opened on). */
  readonly #top: Corestore
  readonly #stores: Set<Corestore>
  readonly #sessions = new Set<Hypercore<unknown>>()
  #closing: Promise<void> | null = null
  #watchers: Set<(core: Hypercore['core']) => void> | null = null
  #finding: { count: number; pending: Array<() => void> } | null = null

  /**
   * Opens the store on `storage` — an `@orchard/storage` root, a promise of one, or a name (a
   * folder in Node, an IndexedDB database in a browser). The primary key is read from the root, or
   * generated (or taken from `opts.primaryKey`) and stored on first open.
   */
  constructor(storage: StorageInput | null, opts: CorestoreOptions = {}) {
    super()
    const parent = (opts as InternalOptions)[ROOT] ?? null
    this.ns = opts.namespace ?? DEFAULT_NAMESPACE
    if (!(this.ns instanceof Uint8Array) || this.ns.byteLength !== 32)
      throw new BadArgumentError('a namespace is 32 bytes')
    this.manifestVersion = opts.manifestVersion ?? 1
    this.readOnly = opts.writable === false || opts.readOnly === true
    if (parent !== null) {
      this.#top = parent
      this.#root = parent.#root
      this.#stores = parent.#stores
      this.#stores.add(this)
      this.opening = parent.opening.then(() => this.#opened())
    } else {
      if (opts.primaryKey !== undefined) {
        if (!(opts.primaryKey instanceof Uint8Array) || opts.primaryKey.byteLength !== 32)
          throw new BadArgumentError('a primary key is 32 bytes')
        if (!opts.unsafe) {
          throw new BadArgumentError(
            'Passing the primary key is unsafe unless you know what you are doing. Set unsafe: true to acknowledge that'
          )
        }
      }
      if (storage === null || storage === undefined) throw new BadArgumentError('storage is required')
      this.#top = this
      this.#root = new StoreRoot()
      this.#stores = new Set()
      this.opening = this.#openRoot(storage, opts.primaryKey ?? null).then(() => this.#opened())
    }
    this.opening.catch(() => {}) // surfaced through ready() and get()
  }

  async #openRoot(input: StorageInput, primaryKey: Uint8Array | null): Promise<void> {
    await cryptoReady()
    const storage = typeof input === 'string' ? await openNamedStorage(input) : await input
    try {
      let seed = await getSeed(storage)
      if (seed === null) {
        seed = primaryKey ?? randomBytes(32)
        if (!storage.readOnly) await storage.write([putSeed(seed)])
      } else if (primaryKey !== null && !sameBytes(seed, primaryKey)) {
        throw new StorageConflictError('Another corestore is stored here')
      }
      this.#root.storage = storage
      this.#root.primaryKey = seed
    } catch (err) {
      await storage.close().catch(() => {})
      throw err
    }
  }

  #opened(): void {
    this.opened = true
    this.emit('ready')
  }

  /** Resolves once the store is open; rejects with the open error. */
  async ready(): Promise<void> {
    await this.opening
  }

  /** The storage root (once open). */
  get storage(): Storage | null {
    return this.#root.storage
  }

  /** The primary key (once open). */
  get primaryKey(): Uint8Array | null {
    return this.#root.primaryKey
  }

  /** Whether the store (or the root it is a session of) is closing or closed. */
  get closing(): boolean {
    return this.#closing !== null || this.#root.closing
  }

  #assertOpen(): void {
    if (this.closing) throw new SessionClosedError('Corestore is closed')
  }

  // --- views --------------------------------------------------------------------------------------

  /**
   * A store sharing this one's cores, storage and streams, with its own sessions and lifetime. As
   * in corestore 7, it starts in the root namespace unless `opts.namespace` says otherwise.
   */
  session(opts: Omit<CorestoreOptions, 'primaryKey' | 'unsafe'> = {}): Corestore {
    this.#assertOpen()
    return new Corestore(null, {
      manifestVersion: this.manifestVersion,
      ...opts,
      [ROOT]: this.#top
    } as InternalOptions)
  }

  /** A session in the namespace `name` opens inside this store's namespace (chainable). */
  namespace(name: Name, opts: Omit<CorestoreOptions, 'primaryKey' | 'unsafe' | 'namespace'> = {}): Corestore {
    return this.session({ ...opts, namespace: childNamespace(this.ns, name) })
  }

  /** The key pair of core `name` in namespace `ns` (default: this store's). */
  async createKeyPair(name: Name, ns: Uint8Array = this.ns): Promise<KeyPair> {
    await this.ready()
    return deriveKeyPair(this.#root.primaryKey!, ns, name)
  }

  /**
   * The discovery keys of the cores stored in this root (key order), or of the cores named in
   * `namespace` (name order), as corestore 7's `list`.
   */
  async *list(namespace?: Uint8Array): AsyncGenerator<Uint8Array> {
    await this.ready()
    if (namespace !== undefined && (!(namespace instanceof Uint8Array) || namespace.byteLength !== 32))
      throw new BadArgumentError('a namespace is 32 bytes')
    yield* listDiscoveryKeys(this.#root.storage!, namespace ?? null)
  }

  // --- cores --------------------------------------------------------------------------------------

  /**
   * A session on a core: by `{ name }`, `{ key }` (or the key itself), `{ keyPair }`,
   * `{ manifest }` or `{ discoveryKey }`. Every `get` of one core shares one open core. The key is
   * known at once when given (or derivable from a key pair or manifest); a name resolves on open.
   */
  get<T = Uint8Array>(input: CorestoreGetOptions | KeyInput): Hypercore<T> {
    this.#assertOpen()
    let opts: CorestoreGetOptions =
      typeof input === 'string' || input instanceof Uint8Array ? { key: input } : (input ?? {})
    if (typeof opts !== 'object') throw new BadArgumentError('get() takes options or a key')
    // as corestore 7, an empty name is no name
    if (opts.name === '') opts = { ...opts, name: undefined }
    if (opts.name === undefined && !opts.key && !opts.keyPair && !opts.manifest && !opts.discoveryKey)
      throw new BadArgumentError('Could not derive discovery from input')
    if (opts.name !== undefined && typeof opts.name !== 'string' && !(opts.name instanceof Uint8Array))
      throw new BadArgumentError('a name must be a string or a Uint8Array')

    const sessionOpts: Record<string, unknown> = {}
    for (const k of SESSION_OPTIONS) if (opts[k] !== undefined) sessionOpts[k] = opts[k]
    if (opts.encryptionKey) sessionOpts.encryption = { key: opts.encryptionKey, block: !!opts.isBlockKey }
    if (opts.writable === undefined && this.readOnly) sessionOpts.writable = false
    const known = opts.key ?? this.#knownKey(opts)

    const bound: { entry: CoreEntry | null } = { entry: null }
    const session: Hypercore<T> = new Hypercore<T>(null, null, {
      ...sessionOpts,
      key: known ?? undefined,
      // the session decodes a given key (bytes, hex or z-base-32); read once it exists
      preload: () => this.#preload(opts, () => session.key, bound)
    } as HypercoreOptions)

    this.#sessions.add(session as Hypercore<unknown>)
    if (this.#finding !== null) this.#finding.pending.push(session.findingPeers())
    const untrack = () => {
      this.#sessions.delete(session as Hypercore<unknown>)
      if (bound.entry !== null) {
        const entry = bound.entry
        bound.entry = null
        this.#root.release(entry)
      }
    }
    session.once('close', untrack)
    session.opening.catch(untrack)
    return session
  }

  /** The key a `get` without `key` will open, when it is known before opening. */
  #knownKey(opts: CorestoreGetOptions): Uint8Array | null {
    if (opts.name !== undefined) return null
    try {
      if (opts.manifest) return Hypercore.key(createManifest(opts.manifest))
      if (opts.keyPair) return Hypercore.key(signerManifest(opts.keyPair.publicKey, this.manifestVersion))
    } catch {
      // crypto not ready yet, or a malformed manifest: known (or refused) on open
    }
    return null
  }

  async #preload(
    opts: CorestoreGetOptions,
    givenKey: () => Uint8Array | null,
    bound: { entry: CoreEntry | null }
  ) {
    await this.ready()
    this.#assertOpen()
    const auth = await this.#auth(opts, givenKey())
    this.#assertOpen()
    const entry = this.#root.open(auth)
    const anchor = await entry.opening
    await learnManifest(anchor, auth)
    this.#assertOpen()
    bound.entry = entry
    this.#root.acquire(entry)
    return { parent: parentOf(anchor) } as HypercoreOptions
  }

  /** Resolves which core `opts` names: its key, discovery key, key pair and manifest. */
  async #auth(opts: CorestoreGetOptions, givenKey: Uint8Array | null): Promise<CoreAuth> {
    const storage = this.#root.storage!
    let keyPair = opts.keyPair ?? null
    let discoveryKey: Uint8Array | null = null
    let aliased = false
    if (opts.name !== undefined) {
      keyPair = deriveKeyPair(this.#root.primaryKey!, this.ns, opts.name)
      discoveryKey = await getAlias(storage, this.ns, opts.name)
      aliased = discoveryKey !== null
    }
    let manifest: Manifest | null = opts.manifest ? createManifest(opts.manifest) : null
    if (manifest === null && keyPair !== null && discoveryKey === null)
      manifest = signerManifest(keyPair.publicKey, this.manifestVersion)
    let key = opts.key !== undefined ? givenKey : manifest ? Hypercore.key(manifest) : null
    let keyRecorded = false
    if (key === null && discoveryKey !== null) {
      key = await getKey(storage, discoveryKey)
      keyRecorded = key !== null
    }
    if (key === null && opts.discoveryKey !== undefined) {
      discoveryKey = decodeDiscoveryKey(opts.discoveryKey)
      key = await getKey(storage, discoveryKey)
      if (key === null) throw new StorageEmptyError('No Hypercore is stored here')
      keyRecorded = true
    }
    if (key === null && keyPair !== null) {
      // named, with an alias but no key record: the derivation gives it again
      manifest = signerManifest(keyPair.publicKey, this.manifestVersion)
      key = Hypercore.key(manifest)
    }
    if (key === null) throw new BadArgumentError('Could not derive discovery from input')
    return {
      key,
      discoveryKey: Hypercore.discoveryKey(key),
      keyPair,
      manifest,
      manifestGiven: opts.manifest !== undefined,
      alias: opts.name !== undefined ? { namespace: this.ns, name: opts.name } : null,
      aliased,
      keyRecorded,
      createIfMissing: opts.createIfMissing !== false,
      overwrite: opts.overwrite === true
    }
  }

  // --- peers --------------------------------------------------------------------------------------

  /**
   * Replicates every core of the store on one stream: `true`/`false` (initiator/responder; pipe
   * the returned stream into the peer's, or pass `opts.stream`, a byte transport), or an existing
   * secret-stream or protocol stream (e.g. a hyperswarm connection). Cores in use join at once,
   * cores opened later join when opened, and a core the remote asks for joins if this root stores
   * it. A remote asking for a core we do not hold gets no channel, and nothing is created.
   */
  replicate(
    target: Parameters<typeof Hypercore.createProtocolStream>[0],
    opts: Parameters<typeof Hypercore.createProtocolStream>[1] = {}
  ): ReturnType<typeof Hypercore.createProtocolStream> {
    this.#assertOpen()
    let record: StreamRecord | null = null
    const pending: Uint8Array[] = []
    const stream = Hypercore.createProtocolStream(target, {
      ...opts,
      ondiscoverykey: (discoveryKey) => {
        if (this.closing) return
        if (record === null) {
          pending.push(discoveryKey)
          return
        }
        return this.#root.onDiscoveryKey(record, discoveryKey, this.opening)
      }
    })
    record = {
      stream,
      mux: Hypercore.getProtocolMuxer(stream),
      external: typeof target !== 'boolean',
      closed: false
    }
    this.#root.addStream(record)
    for (const dk of pending) void this.#root.onDiscoveryKey(record, dk, this.opening)
    return stream
  }

  /** While the returned function is not called, `update` on this store's cores waits for peers. */
  findingPeers(): () => void {
    if (this.#finding === null) this.#finding = { count: 0, pending: [] }
    const finding = this.#finding
    if (++finding.count === 1) for (const s of this.#sessions) finding.pending.push(s.findingPeers())
    let done = false
    return () => {
      if (done) return
      done = true
      if (this.#finding !== finding || --finding.count > 0) return
      this.#finding = null
      for (const fn of finding.pending.splice(0)) fn()
    }
  }

  /** Calls `fn` with every core that opens in this store's root from now on. */
  watch(fn: (core: Hypercore['core']) => void): void {
    if (this.#watchers === null) this.#watchers = new Set()
    this.#watchers.add(fn)
    this.#root.watchers.add(fn)
  }

  /** Stops calling `fn`. */
  unwatch(fn: (core: Hypercore['core']) => void): void {
    if (this.#watchers === null) return
    this.#watchers.delete(fn)
    this.#root.watchers.delete(fn)
    if (this.#watchers.size === 0) this.#watchers = null
  }

  /** The watchers of this store (null when none). */
  get watchers(): ReadonlySet<(core: Hypercore['core']) => void> | null {
    return this.#watchers
  }

  /** The store sessions open on this root (the root itself excluded). */
  get corestores(): ReadonlySet<Corestore> {
    return this.#stores
  }

  // --- lifetime -----------------------------------------------------------------------------------

  /**
   * Closes this store's sessions. The root store also closes every store session on it, every
   * core, the replication streams it created, and the storage (once).
   */
  close(): Promise<void> {
    if (this.#closing === null) this.#closing = this.#close()
    return this.#closing
  }

  async #close(): Promise<void> {
    await this.opening.catch(() => {})
    const closing: Promise<void>[] = [...this.#sessions].map((s) => s.close())
    if (this.#watchers !== null) for (const fn of this.#watchers) this.#root.watchers.delete(fn)
    this.#watchers = null
    if (this.#finding !== null) {
      for (const fn of this.#finding.pending.splice(0)) fn()
      this.#finding = null
    }
    if (this.#top !== this) {
      await Promise.all(closing)
      this.#stores.delete(this)
    } else {
      this.#root.closing = true
      for (const store of this.#stores) closing.push(store.close())
      await Promise.all(closing)
      await this.#root.close()
    }
    this.closed = true
    this.emit('close')
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}

function decodeDiscoveryKey(input: KeyInput): Uint8Array {
  if (input instanceof Uint8Array && input.byteLength === 32) return input
  if (typeof input === 'string' && /^[0-9a-f]{64}$/i.test(input))
    return Uint8Array.from(input.match(/../g)!, (b) => Number.parseInt(b, 16))
  throw new BadArgumentError('a discovery key is 32 bytes or 64 hex characters')
}
