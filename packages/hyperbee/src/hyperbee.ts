/**
 * The `Hyperbee` class: hyperbee 2's API over a core — reads, writes, batches, streams, views
 * (subs, checkouts, snapshots) and watchers — with typed options and errors.
 */
import { Emitter } from '@orchard/events'
import type { Hypercore } from '@orchard/hypercore'
import { Batch, type BatchOptions, type GetOptions, type WriteOptions } from './batch.ts'
import { concat } from './bytes.ts'
import { type Codec, type Encoding, resolveEncoding, utf8 } from './encodings.ts'
import {
  BadArgumentError,
  BeeClosedError,
  BlockNotAvailableError,
  DecodingError,
  InvalidOperationError
} from './errors.ts'
import { type DiffEntry, DiffIterator } from './iterators/diff.ts'
import { type HistoryEntry, HistoryIterator, type HistoryOptions } from './iterators/history.ts'
import { RangeIterator } from './iterators/range.ts'
import { BeeStream, peekSource, type Source } from './iterators/stream.ts'
import { decodeHeader, type HeaderMetadata } from './messages.ts'
import { encodeRange, prefixEncoding, type RangeOptions } from './range.ts'
import { type BeeCaches, type BeeState, createCaches, type Mutex, mutex } from './state.ts'
import type { BeeNode } from './tree.ts'
import { EntryWatcher, type EntryWatcherOptions, Watcher, type WatcherOptions } from './watch.ts'

/** Options of `new Hyperbee(core, opts)`. */
export interface HyperbeeOptions {
  /** How keys are encoded (default: bytes; strings are written as UTF-8). */
  keyEncoding?: Encoding
  /** How values are encoded (default: bytes; strings are written as UTF-8). */
  valueEncoding?: Encoding
  /**
   * Open the bee as a sub: every key is stored as `prefix` + key (the full byte prefix, separator
   * included, as `sub()` builds it).
   */
  prefix?: Uint8Array | string | null
  /** The separator `sub()` puts after a prefix (default `0x00`). */
  sep?: Uint8Array | string
  /** Refuse writes (`READ_ONLY`). */
  readonly?: boolean
  /** Header metadata written with block 0 (hyperdrive's blobs key). */
  metadata?: HeaderMetadata | null
  /** Rewrite a key whose value did not change (default true, as hyperbee 2). */
  alwaysDuplicate?: boolean
  /** Read this version (as `checkout`). */
  checkout?: number
}

/** Options of `checkout` and `snapshot`. */
export interface CheckoutOptions {
  /** Key encoding of the view (default: this bee's). */
  keyEncoding?: Encoding
  /** Value encoding of the view (default: this bee's). */
  valueEncoding?: Encoding
  /** Read through this bee's session instead of a new snapshot (closing the view then keeps it). */
  reuseSession?: boolean
}

/** Options of `sub`. */
export interface SubOptions {
  /** Key encoding of the sub's keys, after its prefix (default: this bee's). */
  keyEncoding?: Encoding
  /** Value encoding of the sub (default: this bee's). */
  valueEncoding?: Encoding
  /** Separator after this sub's prefix (default: the bee's). */
  sep?: Uint8Array | string
}

/** Events of a bee. */
export interface HyperbeeEvents {
  /** The bee opened (its core is ready). */
  ready: []
  /** The bee closed. */
  close: []
}

/** What a view (sub, checkout, snapshot) takes over from the bee it was made from. @internal */
interface ViewInit {
  prefix: Uint8Array | null
  isSub: boolean
  lock: Mutex
  caches: BeeCaches
  ownsCore: boolean
  unprefixedKeyEncoding: Codec | null
  keyEncoding: Codec | null
  valueEncoding: Codec | null
}

const SEP = new Uint8Array(1)
const EMPTY = new Uint8Array(0)

function toBytes(v: Uint8Array | string, what: string): Uint8Array {
  if (v instanceof Uint8Array) return v
  if (typeof v === 'string') return utf8(v)
  throw new BadArgumentError(`${what} must be a Uint8Array or a string`)
}

/**
 * A sorted key-value database on a core, byte-compatible with hyperbee 2.
 *
 * @typeParam K - keys as the key encoding gives them
 * @typeParam V - values as the value encoding gives them
 */
export class Hyperbee<K = unknown, V = unknown> extends Emitter<HyperbeeEvents> implements BeeState {
  /** The core the bee lives on. */
  readonly core: Hypercore
  /** The key codec (a sub's includes its prefix). */
  readonly keyEncoding: Codec | null
  /** The value codec. */
  readonly valueEncoding: Codec | null
  /** A sub's full key prefix, or null. */
  readonly prefix: Uint8Array | null
  /** The separator subs put after their prefix. */
  readonly sep: Uint8Array
  /** Writes are refused (`READ_ONLY`). */
  readonly readonly: boolean
  /** Header metadata written with block 0. */
  readonly metadata: HeaderMetadata | null
  /** Whether writing an unchanged value appends anyway (hyperbee 2 default: true). */
  readonly alwaysDuplicate: boolean
  /** @internal The write lock, shared with views. */
  readonly lock: Mutex
  /** @internal Decoded blocks, shared with views. */
  readonly caches: BeeCaches
  /** @internal Open batches. */
  readonly batches = new Set<{ close(): Promise<void> }>()
  /** @internal Whether keys carry a sub prefix. */
  readonly isSub: boolean
  /** Resolves when the bee is open. */
  readonly opening: Promise<void>
  /** Whether `ready()` resolved. */
  opened = false
  /** Whether `close()` finished. */
  closed = false
  #checkout: number
  readonly #view: boolean
  readonly #ownsCore: boolean
  readonly #unprefixedKeyEncoding: Codec | null
  #closing: Promise<void> | null = null
  readonly #watchers = new Set<Watcher<K, V>>()
  readonly #entryWatchers = new Set<EntryWatcher<K, V>>()
  readonly #onappend: (() => void) | null = null
  readonly #ontruncate: ((length: number) => void) | null = null

  /**
   * A bee on `core`; it opens in the background (`ready()` waits). `view` is for `sub`, `checkout`
   * and `snapshot`, which share this bee's lock and caches; applications leave it out.
   */
  constructor(core: Hypercore, opts: HyperbeeOptions = {}, view?: ViewInit) {
    super()
    if (
      !core ||
      typeof (core as Hypercore).get !== 'function' ||
      typeof (core as Hypercore).append !== 'function'
    ) {
      throw new BadArgumentError('a Hyperbee needs a Hypercore')
    }
    this.core = core
    this.sep = opts.sep === undefined ? SEP : toBytes(opts.sep, 'sep')
    this.readonly = !!opts.readonly
    this.metadata = opts.metadata ?? null
    this.alwaysDuplicate = opts.alwaysDuplicate !== false
    const checkout = opts.checkout ?? 0
    if (!Number.isSafeInteger(checkout) || checkout < -1)
      throw new BadArgumentError('checkout must be a version')
    this.#checkout = checkout
    if (view) {
      this.#view = true
      this.prefix = view.prefix
      this.isSub = view.isSub
      this.lock = view.lock
      this.caches = view.caches
      this.#ownsCore = view.ownsCore
      this.#unprefixedKeyEncoding = view.unprefixedKeyEncoding
      this.keyEncoding = view.keyEncoding
      this.valueEncoding = view.valueEncoding
    } else {
      this.#view = false
      this.lock = mutex()
      this.caches = createCaches()
      this.#ownsCore = true
      const keyEncoding = resolveEncoding(opts.keyEncoding)
      this.#unprefixedKeyEncoding = keyEncoding
      this.valueEncoding = resolveEncoding(opts.valueEncoding)
      this.prefix = opts.prefix ? toBytes(opts.prefix, 'prefix') : null
      this.isSub = this.prefix !== null
      this.keyEncoding = this.prefix ? prefixEncoding(this.prefix, keyEncoding) : keyEncoding
      this.#onappend = () => {
        for (const w of this.#watchers) w.onappend()
        for (const w of this.#entryWatchers) w.onappend()
      }
      this.#ontruncate = (length: number) => {
        for (const w of this.#watchers) w.ontruncate()
        for (const w of this.#entryWatchers) w.ontruncate()
        this.caches.nodes.gc(length)
        this.caches.keys.gc(length)
      }
      core.on('append', this.#onappend)
      core.on('truncate', this.#ontruncate)
    }
    this.opening = this.#open()
    this.opening.catch(() => {})
  }

  async #open(): Promise<void> {
    if (!this.core.opened) await this.core.ready()
    if (this.#checkout === -1) this.#checkout = Math.max(1, this.core.length)
    this.opened = true
    this.emit('ready')
  }

  /** Resolves once the core is open. */
  async ready(): Promise<void> {
    await this.opening
  }

  /** @internal The checked-out version (0: the latest). */
  get checkoutVersion(): number {
    return this.#checkout
  }

  /** The version read: the core's length, or the checked-out version (at least 1). */
  get version(): number {
    return Math.max(1, this.#checkout || this.core.length)
  }

  /** The core (hyperbee's old name). */
  get feed(): Hypercore {
    return this.core
  }

  /** The core key in z-base-32. */
  get id(): string | null {
    return this.core.id
  }

  /** The core key. */
  get key(): Uint8Array | null {
    return this.core.key
  }

  /** The core discovery key (announce/look up this one, not the key). */
  get discoveryKey(): Uint8Array | null {
    return this.core.discoveryKey
  }

  /** Whether this bee can write (a writable core, not read-only). */
  get writable(): boolean {
    return this.core.writable && !this.readonly
  }

  /** Whether the core is open for reads. */
  get readable(): boolean {
    return this.core.readable
  }

  /** Whether the bee is closing or closed. */
  get closing(): boolean {
    return this.#closing !== null
  }

  /** Replicates the core (see `Hypercore#replicate`). */
  replicate(...args: Parameters<Hypercore['replicate']>): ReturnType<Hypercore['replicate']> {
    return this.core.replicate(...args)
  }

  /** Asks peers for a newer length (see `Hypercore#update`). */
  update(opts?: Parameters<Hypercore['update']>[0]): Promise<boolean> {
    return this.core.update(opts)
  }

  #assertOpen(): void {
    if (this.#closing) throw new BeeClosedError()
  }

  /** A batch reading this bee's core directly (no snapshot). */
  #readBatch(options: BatchOptions = {}): Batch<K, V> {
    this.#assertOpen()
    return new Batch<K, V>(this, this.core, {}, options)
  }

  /**
   * The session a stream reads: a snapshot of the core for the live bee (after asking peers for
   * news), or a plain session for `live` history; a checkout reads through its own session.
   */
  async #readSession(
    opts: { update?: boolean; live?: boolean } = {}
  ): Promise<{ core: Hypercore; owns: boolean }> {
    this.#assertOpen()
    await this.ready()
    if (this.#view && this.#checkout !== 0) return { core: this.core, owns: false }
    if (opts.update !== false && !opts.live) await this.core.update()
    return { core: opts.live ? this.core.session() : this.core.snapshot(), owns: true }
  }

  async #streamBatch(options: BatchOptions & { live?: boolean } = {}): Promise<Batch<K, V>> {
    const { core, owns } = await this.#readSession(options)
    return new Batch<K, V>(this, core, { ownsCore: owns }, options)
  }

  /** The entry of `key`, or null. */
  async get(key: K, opts?: GetOptions): Promise<BeeNode<K, V> | null> {
    return this.#readBatch(opts).get(key, opts)
  }

  /** The key and value written at block `seq`. */
  async getBySeq(
    seq: number,
    opts?: BatchOptions
  ): Promise<{
    /** The key written. */
    key: K
    /** The value written (null for a delete). */
    value: V | null
  }> {
    return this.#readBatch(opts).getBySeq(seq, opts)
  }

  /** Writes `key` = `value` (one block). With `cas`, only if `cas(current, next)` allows it. */
  put(key: K, value?: V, opts?: WriteOptions<K, V>): Promise<void> {
    this.#assertOpen()
    return new Batch<K, V>(this, this.core, {}, opts as BatchOptions).put(key, value, opts)
  }

  /** Deletes `key` (one block; nothing is written when it is missing). */
  del(key: K, opts?: WriteOptions<K, V>): Promise<void> {
    this.#assertOpen()
    return new Batch<K, V>(this, this.core, {}, opts as BatchOptions).del(key, opts)
  }

  /** A batch: its writes are appended together by `flush()`, atomically. */
  batch(opts: BatchOptions = {}): Batch<K, V> {
    this.#assertOpen()
    return new Batch<K, V>(this, this.core, { user: true }, opts)
  }

  /** The first entry of a range (the last with `reverse`), or null. */
  async peek(range: RangeOptions = {}, opts: RangeOptions = {}): Promise<BeeNode<K, V> | null> {
    return peekSource(this.#rangeSource({ ...opts, ...range, limit: 1 }))
  }

  #rangeSource(range: RangeOptions): Source<BeeNode<K, V>> {
    this.#assertOpen()
    const keyEncoding = range.keyEncoding ? resolveEncoding(range.keyEncoding) : this.keyEncoding
    const valueEncoding = range.valueEncoding ? resolveEncoding(range.valueEncoding) : this.valueEncoding
    const encoded = encodeRange(keyEncoding, range, this.isSub)
    let ite: RangeIterator | null = null
    return {
      open: async () => {
        const batch = await this.#streamBatch()
        ite = new RangeIterator(batch, { key: keyEncoding, value: valueEncoding }, encoded)
        await ite.open()
      },
      next: () => (ite ? (ite.next() as Promise<BeeNode<K, V> | null>) : Promise.resolve(null)),
      close: async () => {
        if (ite) await ite.close()
      }
    }
  }

  /** The entries of a key range in order (or `reverse`), as an async-iterable stream. */
  createReadStream(range: RangeOptions = {}, opts: RangeOptions = {}): BeeStream<BeeNode<K, V>> {
    return new BeeStream(this.#rangeSource({ ...opts, ...range }))
  }

  /** The blocks of the bee in write order, each `{ type: 'put' | 'del', seq, key, value }`. */
  createHistoryStream(opts: HistoryOptions & BatchOptions = {}): BeeStream<HistoryEntry<K, V>> {
    this.#assertOpen()
    let ite: HistoryIterator | null = null
    if (opts.live && opts.reverse)
      throw new InvalidOperationError('Cannot have both live and reverse enabled')
    return new BeeStream<HistoryEntry<K, V>>({
      open: async () => {
        const batch = await this.#streamBatch(opts)
        ite = new HistoryIterator(batch, opts)
        await ite.open()
      },
      next: async () => (ite ? ((await ite.next()) as HistoryEntry<K, V> | null) : null),
      close: async () => {
        if (ite) await ite.close()
      }
    })
  }

  /**
   * What differs between this bee and `other` (a bee or a version): `{ left, right }` per key, left
   * from this bee, right from the other, null where a side does not have the key.
   */
  createDiffStream(
    other: number | Hyperbee<K, V>,
    range: RangeOptions = {},
    opts: RangeOptions = {}
  ): BeeStream<DiffEntry<K, V>> {
    this.#assertOpen()
    const right =
      typeof other === 'number' ? this.checkout(Math.max(1, other), { reuseSession: true }) : other
    if (!(right instanceof Hyperbee)) throw new BadArgumentError('diff against a version or a Hyperbee')
    const merged = { ...opts, ...range }
    const keyEncoding = merged.keyEncoding ? resolveEncoding(merged.keyEncoding) : this.keyEncoding
    const encoded = encodeRange(keyEncoding, merged, this.isSub)
    let ite: DiffIterator | null = null
    return new BeeStream<DiffEntry<K, V>>({
      open: async () => {
        await Promise.all([right.ready(), this.ready()])
        if (this.core.closed || right.core.closed) throw new BeeClosedError()
        const bigger = right.version > this.version ? right : this
        const { core, owns } = await bigger.#readSession()
        const leftBatch = new Batch(this, core, { ownsCore: owns }, merged)
        const rightBatch = new Batch(right, core, {}, merged)
        ite = new DiffIterator(leftBatch, rightBatch, encoded)
        await ite.open()
      },
      next: async () => (ite ? ((await ite.next()) as DiffEntry<K, V> | null) : null),
      close: async () => {
        if (ite) await ite.close()
      }
    })
  }

  /** A read-only view of the bee at `version`. */
  checkout(version: number, opts: CheckoutOptions = {}): Hyperbee<K, V> {
    if (!Number.isSafeInteger(version) || version < -1)
      throw new BadArgumentError('version must be an integer')
    if (version === 0) version = 1
    const reuse = opts.reuseSession === true
    const session = reuse
      ? this.core
      : version <= this.core.length || version <= 1
        ? this.core.snapshot()
        : this.core.session()
    return new Hyperbee<K, V>(
      session,
      { sep: this.sep, checkout: version, metadata: this.metadata },
      {
        prefix: this.prefix,
        isSub: this.isSub,
        lock: this.lock,
        caches: this.caches,
        ownsCore: !reuse,
        unprefixedKeyEncoding: this.#unprefixedKeyEncoding,
        keyEncoding: opts.keyEncoding ? resolveEncoding(opts.keyEncoding) : this.keyEncoding,
        valueEncoding: opts.valueEncoding ? resolveEncoding(opts.valueEncoding) : this.valueEncoding
      }
    )
  }

  /** A read-only view of the bee as it is now. */
  snapshot(opts: CheckoutOptions = {}): Hyperbee<K, V> {
    return this.checkout(!this.core.opened || this.#checkout <= 0 ? -1 : Math.max(1, this.version), opts)
  }

  /** A bee over the keys under `prefix` + separator (sharing this bee's core and lock). */
  sub<SK = K, SV = V>(prefix: Uint8Array | string, opts: SubOptions = {}): Hyperbee<SK, SV> {
    const sep = opts.sep === undefined ? this.sep : toBytes(opts.sep, 'sep')
    const full = concat([this.prefix ?? EMPTY, toBytes(prefix, 'prefix'), sep])
    const inner = opts.keyEncoding
      ? resolveEncoding(opts.keyEncoding)
      : (this.#unprefixedKeyEncoding ?? resolveEncoding('binary'))
    const valueEncoding = opts.valueEncoding
      ? resolveEncoding(opts.valueEncoding)
      : (this.valueEncoding ?? resolveEncoding('binary'))
    return new Hyperbee<SK, SV>(
      this.core,
      { sep: this.sep, checkout: this.#checkout, metadata: this.metadata, readonly: this.readonly },
      {
        prefix: full,
        isSub: true,
        lock: this.lock,
        caches: this.caches,
        ownsCore: false,
        unprefixedKeyEncoding: inner,
        keyEncoding: prefixEncoding(full, inner),
        valueEncoding
      }
    )
  }

  /** Yields `[current, previous]` snapshots each time the range changes. */
  watch(range: RangeOptions = {}, opts: WatcherOptions<K, V> = {}): Watcher<K, V> {
    if (this.#view) throw new InvalidOperationError('Can only watch the main bee instance')
    this.#assertOpen()
    const w = new Watcher<K, V>(this, range, opts, () => this.#watchers.delete(w))
    this.#watchers.add(w)
    return w
  }

  /** The entry of `key` now (`.node`), kept up to date (`'update'` events) until closed. */
  async getAndWatch(key: K, opts: EntryWatcherOptions = {}): Promise<EntryWatcher<K, V>> {
    if (this.#view) throw new InvalidOperationError('Can only watch the main bee instance')
    this.#assertOpen()
    const w = new EntryWatcher<K, V>(this, key, opts, () => this.#entryWatchers.delete(w))
    this.#entryWatchers.add(w)
    await w.refresh()
    if (this.#closing) {
      await w.close()
      throw new BeeClosedError()
    }
    return w
  }

  /** Block 0 decoded: `{ protocol, metadata }`. */
  async getHeader(opts: { wait?: boolean; timeout?: number } = {}): Promise<{
    /** `'hyperbee'` for a bee. */
    protocol: string
    /** The metadata written with the header, if any. */
    metadata: HeaderMetadata | null
  } | null> {
    const blk = (await this.core.get(0, { ...opts, valueEncoding: 'binary' })) as Uint8Array | null
    return blk && decodeHeader(blk)
  }

  /** Whether block 0 of `core` is a hyperbee header. */
  static async isHyperbee(
    core: Hypercore,
    opts: { wait?: boolean; timeout?: number } = {}
  ): Promise<boolean> {
    await core.ready()
    const blk = (await core.get(0, { ...opts, valueEncoding: 'binary' })) as Uint8Array | null
    if (blk === null) throw new BlockNotAvailableError('block 0 is not available')
    try {
      return decodeHeader(blk).protocol === 'hyperbee'
    } catch (err) {
      if (err instanceof DecodingError) return false
      throw err
    }
  }

  /** Closes watchers and batches, then the core (a sub leaves its parent's core open). */
  close(): Promise<void> {
    if (this.#closing === null) this.#closing = this.#close()
    return this.#closing
  }

  async #close(): Promise<void> {
    if (this.#onappend) this.core.off('append', this.#onappend)
    if (this.#ontruncate) this.core.off('truncate', this.#ontruncate)
    for (const w of [...this.#watchers]) await w.close()
    for (const w of [...this.#entryWatchers]) await w.close()
    for (const b of [...this.batches]) await b.close()
    if (!this.#view) {
      this.caches.nodes.clear()
      this.caches.keys.clear()
    }
    if (this.#ownsCore) await this.core.close()
    this.closed = true
    this.emit('close')
  }
}
