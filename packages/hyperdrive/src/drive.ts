/**
 * The `Hyperdrive` class: hyperdrive 13's API on a corestore — a metadata bee (`@orchard/hyperbee`)
 * mapping paths to entries, and a blobs core (`@orchard/hyperblobs`) holding the file contents.
 * Checkouts and batches are drives too: they share the corestore, the blobs and a set of sessions
 * with the drive they came from, and the main drive closes them all (and the corestore) on close.
 */
import type { Corestore } from '@orchard/corestore'
import { Emitter } from '@orchard/events'
import { Batch, type BeeStream, type Hyperbee, type RangeOptions } from '@orchard/hyperbee'
import { BlockNotAvailableError, type Hypercore } from '@orchard/hypercore'
import { MirrorDrive, type MirrorOptions, type SourceDrive, type TargetDrive } from '@orchard/mirror-drive'
import {
  beeReadOptions,
  type DriveBee,
  type DriveStream,
  diffStream,
  driveKey,
  entryStream,
  isOptions,
  makeBee,
  type ReadOptions,
  shallowStream
} from './bee.ts'
import {
  type Blobs,
  type BlobsCoreOptions,
  blobsCoreFromHeader,
  blobsLengthAt,
  createBlobsCore,
  openBlobs,
  truncateDrive
} from './blobs.ts'
import { contentKeyOf, contentManifest } from './content-key.ts'
import { Download, type DownloadOptions, diffDownload, downloadRanges, storedLocally } from './download.ts'
import { ENTRY_ENCODINGS, type Entry, type EntryValue, entryValue, isEntry } from './entry.ts'
import {
  BadArgumentError,
  DriveClosedError,
  InvalidOperationError,
  InvalidPathError,
  RecursiveSymlinkError
} from './errors.ts'
import { DriveMonitor, type MonitorOptions } from './monitor.ts'
import type {
  Cleared,
  ClearOptions,
  DriveDiffEntry,
  GetOptions,
  HyperdriveEvents,
  HyperdriveOptions,
  ListOptions,
  PutOptions
} from './options.ts'
import {
  checkLinkTarget,
  type Ignore,
  normalizeFolder,
  normalizePath,
  prefixRange,
  resolvePath,
  toIgnoreFunction
} from './paths.ts'
import {
  type FileReadOptions,
  FileReadStream,
  FileWriteStream,
  type FileWriteStreamOptions,
  toBytes
} from './streams.ts'
import { DriveWatcher } from './watch.ts'

const INTERNAL: unique symbol = Symbol('hyperdrive session')

/** What a checkout or a batch takes over from the drive it came from. @internal */
interface SessionInit {
  db: DriveBee
  bee: Hyperbee<unknown, unknown>
  parent: Hyperdrive | null
  batching: boolean
  sessions: Set<Hyperdrive>
}

type InternalOptions = HyperdriveOptions & { [INTERNAL]?: SessionInit }

/** How many symlinks `entry(path, { follow: true })` goes through (hyperdrive's limit). */
export const MAX_SYMLINK_DEPTH = 16

const noop = () => {}

/**
 * A peer-to-peer file system, compatible with hyperdrive 13: the same entries, the same blobs, the
 * same keys, so a drive written here is read by unmodified Node/Pear peers and the reverse.
 *
 * ```ts
 * const drive = new Hyperdrive(new Corestore('./store'))
 * await drive.put('/hello.txt', new TextEncoder().encode('hi'))
 * await drive.get('/hello.txt') // Uint8Array of 'hi'
 * ```
 */
export class Hyperdrive extends Emitter<HyperdriveEvents> {
  /** The corestore holding both cores (the main drive closes it on close). */
  readonly corestore: Corestore
  /** The metadata bee (or the bee batch of a `batch()`, or the checkout of a `checkout()`). */
  readonly db: DriveBee
  /** The metadata core. */
  readonly core: Hypercore
  /** The content store, once open (a reader opens it once the drive's header is known). */
  blobs: Blobs | null = null
  /** The open {@link DriveMonitor}s (closed with the drive). */
  readonly monitors = new Set<DriveMonitor>()
  /** Whether entries carry `metadata` (always, as hyperdrive 13). */
  readonly supportsMetadata = true
  /** The block encryption key of both cores, if any. */
  readonly encryptionKey: Uint8Array | null
  /** Resolves when the drive is open. */
  readonly opening: Promise<void>
  /** Whether the drive is open. */
  opened = false
  /** Resolves when the drive is closed; null until `close()`. */
  closing: Promise<void> | null = null
  /** Whether the drive is closed. */
  closed = false
  readonly #bee: Hyperbee<unknown, unknown>
  readonly #parent: Hyperdrive | null
  readonly #batching: boolean
  readonly #sessions: Set<Hyperdrive>
  readonly #onwait: HyperdriveOptions['onwait'] | null
  #openingBlobs: Promise<boolean> | null = null

  /**
   * A drive on `corestore`: a new writable one (its metadata core is the store's core named `db`),
   * or the drive of `key`. It opens in the background; `ready()` waits.
   */
  constructor(
    corestore: Corestore,
    key?: Uint8Array | string | null | HyperdriveOptions,
    opts: HyperdriveOptions = {}
  ) {
    super()
    if (isOptions(key)) {
      opts = key
      key = null
    }
    if (!corestore || typeof (corestore as Corestore).get !== 'function')
      throw new BadArgumentError('a Hyperdrive needs a Corestore')
    const init = (opts as InternalOptions)[INTERNAL]
    this.corestore = corestore
    this.encryptionKey = opts.encryptionKey ?? null
    this.#onwait = opts.onwait ?? null
    if (init) {
      this.db = init.db
      this.#bee = init.bee
      this.#parent = init.parent
      this.#batching = init.batching
      this.#sessions = init.sessions
    } else {
      this.#bee = makeBee(key ?? null, corestore, opts)
      this.db = this.#bee
      this.#parent = null
      this.#batching = false
      this.#sessions = new Set()
    }
    this.core = this.db.core
    this.#sessions.add(this)
    this.opening = this.#open()
    this.opening.catch(noop)
  }

  // --- lifecycle ----------------------------------------------------------------------------------

  async #open(): Promise<void> {
    try {
      await this.#doOpen()
    } catch (err) {
      this.close().catch(noop)
      throw err
    }
    this.opened = true
    this.emit('ready')
  }

  async #doOpen(): Promise<void> {
    if (this.#parent) {
      await this.#parent.ready()
      this.blobs = this.#parent.blobs
      return
    }
    await this.core.ready()
    await this.#openBlobsFromHeader({ wait: false })
    if (this.core.writable && !this.blobs) await this.#createBlobs()
    await this.#bee.ready()
    if (!this.blobs) {
      // a reader without the header yet: open the blobs once it arrives, in the background
      this.#openingBlobs = this.#openBlobsFromHeader({})
      this.#openingBlobs.catch(noop)
    }
  }

  /** A writable drive without a header yet: create its blobs core. */
  async #createBlobs(): Promise<void> {
    await this.#adoptBlobs(createBlobsCore(this.corestore, this.#bee, this.#coreOptions()))
  }

  async #openBlobsFromHeader(opts: { wait?: boolean }): Promise<boolean> {
    if (this.blobs) return true
    const header = await this.#bee.getHeader(opts)
    if (!header) return false
    if (this.blobs) return true
    const core = blobsCoreFromHeader(this.corestore, this.core, header, this.#coreOptions())
    return this.#adoptBlobs(core)
  }

  /** Makes `core` the drive's blobs, unless the drive closed or got its blobs meanwhile. */
  async #adoptBlobs(core: Hypercore): Promise<boolean> {
    await core.ready()
    if (this.closing || this.blobs) {
      await core.close()
      return !!this.blobs
    }
    this.blobs = openBlobs(core)
    this.emit('blobs', this.blobs)
    this.emit('content-key', core.key!)
    return true
  }

  #coreOptions(): BlobsCoreOptions {
    return { onwait: this.#onwait ?? undefined, encryptionKey: this.encryptionKey ?? undefined }
  }

  /** Resolves once the drive is open (for a writable drive: its blobs core too). */
  async ready(): Promise<void> {
    await this.opening
  }

  /**
   * Closes the drive. The main drive also closes its checkouts and batches, and the corestore; a
   * checkout or batch closes only itself.
   */
  close(): Promise<void> {
    if (this.closing === null) this.closing = this.#close()
    return this.closing
  }

  async #close(): Promise<void> {
    await this.opening.catch(noop)
    await Promise.all([...this.monitors].map((m) => m.close()))
    if (this.blobs && (!this.#parent || this.blobs !== this.#parent.blobs)) await this.blobs.core.close()
    await this.db.close()
    if (!this.#parent && !this.#batching) {
      for (const s of [...this.#sessions]) if (s !== this) await s.close().catch(noop)
      await this.corestore.close()
    }
    this.#sessions.delete(this)
    this.closed = true
    this.emit('close')
  }

  // --- identity -----------------------------------------------------------------------------------

  /** The drive key in z-base-32 (null until known). */
  get id(): string | null {
    return this.core.id
  }

  /** The drive key: the metadata core's key (null until known). */
  get key(): Uint8Array | null {
    return this.core.key
  }

  /** The metadata core's discovery key: announce and look up this one, not the key. */
  get discoveryKey(): Uint8Array | null {
    return this.core.discoveryKey
  }

  /** The blobs core's key, once the blobs are open. */
  get contentKey(): Uint8Array | null {
    return this.blobs?.core.key ?? null
  }

  /** The drive's version: the metadata bee's (its core length, at least 1). */
  get version(): number {
    return this.db.version
  }

  /** Whether this drive can write. */
  get writable(): boolean {
    return this.core.writable
  }

  /** Whether this drive can be read (until it closes). */
  get readable(): boolean {
    if (this.closing !== null) return false
    return this.core.opened ? this.core.readable : true
  }

  /** The content store, opening it first if needed (a reader waits for the drive's header). */
  async getBlobs(): Promise<Blobs> {
    if (this.blobs) return this.blobs
    if (this.#parent) this.blobs = await this.#parent.getBlobs()
    else {
      await this.ready()
      await this.#openingBlobs
    }
    if (!this.blobs) throw new DriveClosedError()
    return this.blobs
  }

  // --- peers --------------------------------------------------------------------------------------

  /** Replicates the drive's corestore (both cores, and any other core of the store). */
  replicate(...args: Parameters<Corestore['replicate']>): ReturnType<Corestore['replicate']> {
    return this.corestore.replicate(...args)
  }

  /** While the returned function is not called, `update` waits for peers being found. */
  findingPeers(): () => void {
    return this.corestore.findingPeers()
  }

  /** Asks peers for a newer version of the metadata (see `Hypercore#update`). */
  update(opts?: Parameters<Hypercore['update']>[0]): Promise<boolean> {
    return this.#bee.update(opts)
  }

  // --- views --------------------------------------------------------------------------------------

  #session(init: Omit<SessionInit, 'sessions'>): Hyperdrive {
    const opts: InternalOptions = {
      onwait: this.#onwait ?? undefined,
      encryptionKey: this.encryptionKey,
      [INTERNAL]: { ...init, sessions: this.#sessions }
    }
    return new Hyperdrive(this.corestore, this.key, opts)
  }

  /** @internal A read-only drive on `snapshot` (a checkout of this drive's bee). */
  makeCheckout(snapshot: Hyperbee<unknown, unknown>): Hyperdrive {
    return this.#session({ db: snapshot, bee: snapshot, parent: this.#parent ?? this, batching: false })
  }

  /** A read-only view of the drive at `version`. */
  checkout(version: number): Hyperdrive {
    return this.makeCheckout(this.#bee.checkout(version))
  }

  /**
   * A batch: a drive whose metadata writes are held until `flush()` appends them at once (file
   * contents are written to the blobs core as they come, as hyperdrive does).
   */
  batch(): Hyperdrive {
    return this.#session({ db: this.#bee.batch(), bee: this.#bee, parent: null, batching: true })
  }

  /** A batch's `flush()`: appends its metadata writes atomically, then closes the batch. */
  async flush(): Promise<void> {
    if (!(this.db instanceof Batch)) throw new InvalidOperationError('flush() is for drives made by batch()')
    await this.db.flush()
    return this.close()
  }

  // --- files --------------------------------------------------------------------------------------

  /** The entry of `path` (null if none); with `follow`, through symlinks. An entry is returned as is. */
  async entry(name: string | Entry, opts?: GetOptions): Promise<Entry | null> {
    if (typeof name !== 'string') {
      // as hyperdrive, an entry passes through (so `get(entry)` works); anything else is no path
      if (isEntry(name)) return name
      throw new InvalidPathError('a path must be a string', name)
    }
    if (!opts?.follow) return this.#entry(name, opts)
    for (let i = 0; i < MAX_SYMLINK_DEPTH; i++) {
      const node = await this.#entry(name, opts)
      if (!node?.value.linkname) return node
      name = resolvePath(node.key, node.value.linkname)
    }
    throw new RecursiveSymlinkError(name)
  }

  async #entry(name: string, opts: GetOptions | undefined): Promise<Entry | null> {
    const key = normalizePath(name)
    return (await this.db.get(key, { ...beeReadOptions(opts), ...ENTRY_ENCODINGS })) as Entry | null
  }

  /** Whether `path` has an entry (a file or a symlink). */
  async exists(name: string): Promise<boolean> {
    return (await this.entry(name)) !== null
  }

  /**
   * The contents of `path` (or a byte range of it: `start`, `end`, `length`); null when there is no
   * such file or it is a symlink (unless `follow`). A blob that is not available locally and not
   * waited for raises `BLOCK_NOT_AVAILABLE`.
   */
  async get(name: string | Entry, opts?: GetOptions): Promise<Uint8Array | null> {
    const node = await this.entry(name, opts)
    if (!node?.value.blob) return null
    const blobs = await this.getBlobs()
    const res = await blobs.get(node.value.blob, opts)
    if (res === null) throw new BlockNotAvailableError(`the contents of ${node.key} are not available`)
    return res
  }

  /** Writes `path`: its contents to the blobs core, then its entry to the bee. */
  async put<M = unknown>(name: string, data: Uint8Array | string, opts: PutOptions<M> = {}): Promise<void> {
    const key = normalizePath(name)
    const bytes = toBytes(data)
    const blobs = await this.getBlobs()
    const blob = await blobs.put(bytes)
    await this.db.put(key, entryValue(opts.executable, null, blob, opts.metadata), ENTRY_ENCODINGS)
  }

  /** Writes an entry as given (its blob must already be in the blobs core). */
  async putEntry<M = unknown>(name: string, value: Partial<EntryValue<M>> = {}): Promise<void> {
    const key = normalizePath(name)
    const linkname = value.linkname ?? null
    if (linkname !== null) checkLinkTarget(linkname)
    await this.db.put(
      key,
      entryValue(value.executable, linkname, value.blob ?? null, value.metadata),
      ENTRY_ENCODINGS
    )
  }

  /** Deletes the entry of `path` (its blob stays in the blobs core; `clear` frees it locally). */
  async del(name: string): Promise<void> {
    await this.db.del(normalizePath(name), ENTRY_ENCODINGS)
  }

  /** Makes `path` a symlink to `target` (absolute, or relative to the link's own path). */
  async symlink<M = unknown>(
    name: string,
    target: string,
    opts: { metadata?: M | null } = {}
  ): Promise<void> {
    const key = normalizePath(name)
    checkLinkTarget(target)
    await this.db.put(key, entryValue(false, target, null, opts.metadata), ENTRY_ENCODINGS)
  }

  /** Orders two entries by when they were written (`-1`, `0`, `1`). */
  compare(a: Pick<Entry, 'seq'>, b: Pick<Entry, 'seq'>): -1 | 0 | 1 {
    const diff = a.seq - b.seq
    return diff > 0 ? 1 : diff < 0 ? -1 : 0
  }

  /** Frees the local copy of the contents of `path` (the entry stays; peers still have them). */
  async clear(name: string, opts?: ClearOptions): Promise<Cleared> {
    if (!this.opened) await this.ready()
    let node: Entry | null = null
    try {
      node = await this.entry(name, { wait: false })
    } catch (err) {
      // as hyperdrive: an entry we do not have is nothing to clear; a bad path is still an error
      if (err instanceof InvalidPathError) throw err
    }
    if (node === null || this.blobs === null || !node.value.blob) return opts?.diff ? { blocks: 0 } : null
    return this.blobs.clear(node.value.blob, opts)
  }

  /** Frees the local copy of every file's contents. */
  async clearAll(opts?: ClearOptions): Promise<Cleared> {
    if (!this.opened) await this.ready()
    if (this.blobs === null) return opts?.diff ? { blocks: 0 } : null
    return this.blobs.core.clear(0, this.blobs.core.length, opts)
  }

  /**
   * Whether the contents of `path` are stored locally — for a folder (a path ending in `/`, or one
   * without an entry), whether every file inside is; false for a missing path.
   */
  has(path: string): Promise<boolean> {
    return storedLocally(this, path)
  }

  // --- listing ------------------------------------------------------------------------------------

  /** The entries of a key range of the files, in path order (all files by default). */
  entries(range: RangeOptions = {}, opts: RangeOptions & ReadOptions & { ignore?: Ignore } = {}) {
    const ignore = opts.ignore ? toIgnoreFunction(opts.ignore) : null
    return entryStream(this.db, range, opts, ignore)
  }

  /** The entries below `folder` (the root by default); `recursive: false` lists only its children. */
  list(folder?: string | ListOptions | null, opts: ListOptions = {}): DriveStream<Entry> {
    if (typeof folder === 'object' && folder !== null) return this.list(undefined, folder)
    const f = normalizeFolder(folder)
    const ignore = opts.ignore ? toIgnoreFunction(opts.ignore) : null
    if (opts.recursive === false) return shallowStream<Entry>(this.db, f, false, ignore, opts)
    return entryStream(this.db, prefixRange(f), opts, ignore)
  }

  /** The names of the children of `folder` (files and folders), in order. */
  readdir(folder?: string | null, opts: ReadOptions = {}): DriveStream<string> {
    return shallowStream<string>(this.db, normalizeFolder(folder), true, null, opts)
  }

  /** Every entry of the drive (`for await (const entry of drive)`). */
  [Symbol.asyncIterator](): AsyncIterator<Entry> {
    return this.entries()[Symbol.asyncIterator]()
  }

  // --- history ------------------------------------------------------------------------------------

  /**
   * What changed below `folder` between this drive and `version` (or another bee): one
   * `{ left, right }` per path that differs, `left` from this drive.
   */
  diff(
    version: number | Hyperbee<unknown, unknown>,
    folder?: string | null | RangeOptions,
    opts?: RangeOptions
  ): BeeStream<DriveDiffEntry> {
    if (typeof folder === 'object' && folder !== null && !opts) return this.diff(version, null, folder)
    return diffStream(this.db, version, normalizeFolder(folder as string | null | undefined), opts)
  }

  /** Yields `[current, previous]` drive snapshots each time something below `folder` changes. */
  watch(folder?: string | null): DriveWatcher {
    const f = normalizeFolder(folder)
    if (this.db !== this.#bee || this.#parent || this.#batching)
      throw new InvalidOperationError('Can only watch the main drive')
    const watcher = this.#bee.watch(prefixRange(f), ENTRY_ENCODINGS)
    return new DriveWatcher(watcher, (snapshot) => this.makeCheckout(snapshot))
  }

  /** Mirrors this drive into `out` (a drive, a localdrive…) as mirror-drive does; see `MirrorDrive`. */
  mirror(out: TargetDrive, opts?: MirrorOptions): MirrorDrive {
    // the mirror hands back only entries this drive listed (full entries, with their seq)
    return new MirrorDrive(this as unknown as SourceDrive, out, opts)
  }

  /** Upload and download stats of the file `name` (or of the whole drive), with an `update` per block. */
  monitor(name?: string | null, opts: MonitorOptions = {}): DriveMonitor {
    const monitor = new DriveMonitor(this, name ?? null, opts, (m) => this.monitors.delete(m))
    this.monitors.add(monitor)
    return monitor
  }

  // --- downloads ----------------------------------------------------------------------------------

  /** Downloads the contents of every file below `folder` (or of one file). */
  download(folder: string | DownloadOptions = '/', opts?: DownloadOptions): Download {
    if (typeof folder === 'object') return this.download(undefined, folder)
    return new Download(this, folder, opts)
  }

  /** Downloads the contents of what changed below `folder` since `version`. */
  async downloadDiff(
    version: number,
    folder?: string | null | DownloadOptions,
    opts?: DownloadOptions
  ): Promise<Download> {
    return diffDownload(this, version, folder, opts)
  }

  /** Downloads block ranges of the metadata core (`dbRanges`) and of the blobs core (`blobRanges`). */
  async downloadRange(
    dbRanges: Parameters<Hypercore['download']>[0][],
    blobRanges: Parameters<Hypercore['download']>[0][]
  ): Promise<Download> {
    return downloadRanges(this, dbRanges, blobRanges)
  }

  // --- maintenance --------------------------------------------------------------------------------

  /** How long the blobs core was at `version` of the drive (the end of its furthest blob). */
  async getBlobsLength(version?: number): Promise<number> {
    if (!this.opened) await this.ready()
    return blobsLengthAt(this.#bee, version || this.version)
  }

  /** Truncates the drive to `version`, and its blobs core to match (or to `blobs` blocks). */
  async truncate(version: number, opts: { blobs?: number } = {}): Promise<void> {
    if (!this.opened) await this.ready()
    return truncateDrive(this, version, opts.blobs ?? -1)
  }

  // --- streams ------------------------------------------------------------------------------------

  /**
   * The contents of `path` — or of an entry, as mirror-drive passes them — or a byte range of
   * them, as an async iterable of chunks.
   */
  createReadStream(name: string | Entry, opts: FileReadOptions = {}): FileReadStream {
    return new FileReadStream(this, name, opts)
  }

  /** Writes `path` from chunks; the entry is written when the stream finishes. */
  createWriteStream(name: string, opts: FileWriteStreamOptions = {}): FileWriteStream {
    return new FileWriteStream(this, normalizePath(name), opts)
  }

  // --- statics ------------------------------------------------------------------------------------

  /** The key the drive `new Hyperdrive(corestore)` would have, without opening the drive. */
  static readonly getDriveKey: (corestore: Corestore) => Promise<Uint8Array> = driveKey
  /** The blobs core key of a drive, from its metadata core or its manifest (null for compat drives). */
  static readonly getContentKey: typeof contentKeyOf = contentKeyOf
  /** The blobs core manifest of a drive with metadata manifest `manifest` (null for version 0). */
  static readonly getContentManifest: typeof contentManifest = contentManifest
  /** The key `name` is stored under (see `normalizePath` in the paths module). */
  static readonly normalizePath: typeof normalizePath = normalizePath
}
