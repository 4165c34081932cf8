/**
 * `SharedBee`: a Hyperbee on a core held by the store's owner, with Hyperbee's API — `get`, `put`,
 * `del`, `batch`, ordered range streams, history and diff streams, `peek`, `checkout`/`snapshot`,
 * `watch`. Every write executes on the owner, through its one Hyperbee of that core: two bees
 * writing one core from two tabs would each build the next b-tree root on a stale one.
 *
 * Keys and values are encoded here with this bee's encodings and travel as bytes; streams read
 * the owner's bee a page at a time, each page at the version the first one read, so a stream
 * survives an owner change and stays one consistent snapshot.
 */
import { Emitter } from '@orchard/events'
import {
  BadArgumentError,
  BeeClosedError,
  type BeeNode,
  type CasFn,
  type DiffEntry,
  EntryWatcher,
  type EntryWatcherOptions,
  type HistoryEntry,
  type HistoryOptions,
  InvalidOperationError,
  prefixEncoding,
  type RangeOptions,
  ReadOnlyError
} from '@orchard/hyperbee'
import { SharedBatch } from './batch.ts'
import { casWrite } from './cas.ts'
import { type Codec, codecOf, decodeWith, type Encoding, encodeKey, encodeWith } from './codec.ts'
import type { Connection } from './connection.ts'
import type { SharedCore } from './core.ts'
import { NotSupportedError } from './errors.ts'
import { historyGte, historyLt, type LiveStop } from './history.ts'
import { type BeeOp, PAGE_SIZE, type WireNode, type WireRange } from './protocol.ts'
import { encodeRange } from './range.ts'
import { SharedWatcher, type SharedWatcherOptions } from './watcher.ts'

/** Options of `new SharedBee(core, opts)`: Hyperbee's, less those that cannot cross to the owner. */
export interface SharedBeeOptions {
  /** How keys are encoded (default: bytes; strings are written as UTF-8). */
  keyEncoding?: Encoding
  /** How values are encoded (default: bytes; strings are written as UTF-8). */
  valueEncoding?: Encoding
  /** Refuse writes (`READ_ONLY`). */
  readonly?: boolean
  /** Read this version (as `checkout`). */
  checkout?: number
}

/** Options of reads. */
export interface SharedBeeGetOptions {
  /** Key encoding for this read. */
  keyEncoding?: Encoding
  /** Value encoding for this read. */
  valueEncoding?: Encoding
  /** Wait for blocks from the owner's peers (default true). */
  wait?: boolean
  /** Milliseconds to wait for a block (0: forever). */
  timeout?: number
}

/** Options of writes. */
export interface SharedBeeWriteOptions<K = unknown, V = unknown> {
  /** Key encoding for this write. */
  keyEncoding?: Encoding
  /** Value encoding for this write. */
  valueEncoding?: Encoding
  /**
   * Compare-and-swap, as Hyperbee's: write only if `cas(current, next)` is truthy, asked only when
   * the key exists (see `cas.ts` for how it holds across tabs). Not in a batch: `NOT_SUPPORTED`.
   */
  cas?: CasFn<K, V>
}

/** Options of `sub`. */
export interface SharedSubOptions {
  /** Key encoding of the sub's keys, after its prefix (default: this bee's). */
  keyEncoding?: Encoding
  /** Value encoding of the sub (default: this bee's). */
  valueEncoding?: Encoding
  /** Separator after the sub's prefix (default: this bee's, `0x00`). */
  sep?: Uint8Array | string
}

/** Options of `checkout` and `snapshot`. */
export interface SharedCheckoutOptions {
  /** Key encoding of the view (default: this bee's). */
  keyEncoding?: Encoding
  /** Value encoding of the view (default: this bee's). */
  valueEncoding?: Encoding
}

/** Events of a bee. */
export interface SharedBeeEvents {
  /** The bee opened. */
  ready: []
  /** The bee closed. */
  close: []
}

const VIEW: unique symbol = Symbol('shared bee view')

/** What a view (sub, checkout, snapshot) takes over from the bee it was made from. */
interface ViewState {
  /** The full key prefix of a sub (its parents' and separators included), or null. */
  prefix: Uint8Array | null
  /** The key codec a sub makes from (before its prefix is put in front). */
  unprefixed: Codec | null
  /** The separator subs put after their prefix. */
  sep: Uint8Array
}

const SEP = new Uint8Array(1)
const EMPTY = new Uint8Array(0)
const utf8 = new TextEncoder()
const toBytes = (v: Uint8Array | string) => (typeof v === 'string' ? utf8.encode(v) : v)

/**
 * A sorted key-value database on a core held by the store's owner, with Hyperbee's API.
 *
 * @typeParam K - keys as the key encoding gives them
 * @typeParam V - values as the value encoding gives them
 */
export class SharedBee<K = unknown, V = unknown> extends Emitter<SharedBeeEvents> {
  /** The core the bee lives on. */
  readonly core: SharedCore<unknown>
  /** The key codec (null: bytes). */
  readonly keyEncoding: Codec | null
  /** The value codec (null: bytes). */
  readonly valueEncoding: Codec | null
  /** Writes are refused (`READ_ONLY`); checkouts are read-only. */
  readonly readonly: boolean
  /** Resolves when the bee is open. */
  readonly opening: Promise<void>
  /** Whether the bee is open. */
  opened = false
  /** Whether `close()` finished. */
  closed = false
  /** A sub's full key prefix (separators included), or null. */
  readonly prefix: Uint8Array | null
  /** The separator subs of this bee put after their prefix. */
  readonly sep: Uint8Array
  readonly #unprefixedKeyEncoding: Codec | null
  readonly #checkout: number
  readonly #ownsCore: boolean
  #closing: Promise<void> | null = null
  readonly #watchers = new Set<SharedWatcher<K, V> | EntryWatcher<K, V, SharedBee<K, V>>>()

  /** A bee on `core` (a `SharedCore` from `SharedStore#get`); it opens in the background. */
  constructor(core: SharedCore<unknown>, opts: SharedBeeOptions = {}) {
    super()
    if (!core || typeof core.append !== 'function' || typeof core.get !== 'function')
      throw new BadArgumentError('a SharedBee needs a SharedCore')
    this.core = core
    this.keyEncoding = codecOf(opts.keyEncoding)
    this.valueEncoding = codecOf(opts.valueEncoding)
    const checkout = opts.checkout ?? 0
    if (!Number.isSafeInteger(checkout) || checkout < 0)
      throw new BadArgumentError('checkout must be a version')
    this.#checkout = checkout
    const view = (opts as { [VIEW]?: ViewState })[VIEW]
    this.#ownsCore = view === undefined
    this.prefix = view?.prefix ?? null
    this.sep = view?.sep ?? SEP
    this.#unprefixedKeyEncoding = view ? view.unprefixed : this.keyEncoding
    this.readonly = !!opts.readonly || checkout > 0
    this.opening = this.#open()
    this.opening.catch(() => {})
  }

  async #open(): Promise<void> {
    await this.core.ready()
    this.opened = true
    this.emit('ready')
  }

  /** Resolves once the core is open. */
  async ready(): Promise<void> {
    await this.opening
  }

  /** The version read: the core's length, or the checked-out version (at least 1). */
  get version(): number {
    return Math.max(1, this.#checkout || this.core.length)
  }

  /** The core key. */
  get key(): Uint8Array | null {
    return this.core.key
  }

  /** The core discovery key. */
  get discoveryKey(): Uint8Array | null {
    return this.core.discoveryKey
  }

  /** Whether this bee can write. */
  get writable(): boolean {
    return this.core.writable && !this.readonly
  }

  /** Whether the bee can read. */
  get readable(): boolean {
    return this.core.readable
  }

  /** Whether the bee is closing or closed. */
  get closing(): boolean {
    return this.#closing !== null
  }

  #assertOpen(): void {
    if (this.#closing !== null) throw new BeeClosedError()
  }

  async #ready(): Promise<void> {
    this.#assertOpen()
    if (!this.opened) await this.opening
  }

  #conn(): Connection {
    return this.core._connection
  }

  #keyCodec(enc: Encoding | undefined): Codec | null {
    return enc !== undefined ? codecOf(enc) : this.keyEncoding
  }

  #valueCodec(enc: Encoding | undefined): Codec | null {
    return enc !== undefined ? codecOf(enc) : this.valueEncoding
  }

  /** @internal Decodes an entry from the owner. */
  _node(node: WireNode, keyCodec = this.keyEncoding, valueCodec = this.valueEncoding): BeeNode<K, V> {
    return {
      seq: node.seq,
      key: decodeWith(keyCodec, node.key) as K,
      value: (node.value === null ? null : decodeWith(valueCodec, node.value)) as V
    }
  }

  /** The entry of `key`, or null. */
  async get(key: K, opts: SharedBeeGetOptions = {}): Promise<BeeNode<K, V> | null> {
    this.#assertOpen()
    const encoded = encodeKey(this.#keyCodec(opts.keyEncoding), key)
    await this.#ready()
    const read: { wait?: boolean; timeout?: number } = {}
    if (opts.wait !== undefined) read.wait = opts.wait
    if (opts.timeout !== undefined) read.timeout = opts.timeout
    const node = await this.#conn().request('bee.get', [this.core.ref, encoded, this.#checkout, read])
    return node === null
      ? null
      : this._node(node, this.#keyCodec(opts.keyEncoding), this.#valueCodec(opts.valueEncoding))
  }

  /** @internal Encodes a put (a `cas` is for `put` itself to run, not for a batch). */
  _put(key: K, value: V | undefined, opts: SharedBeeWriteOptions<K, V>): BeeOp {
    if (opts.cas !== undefined) throw new NotSupportedError('cas is not supported in a shared batch')
    return {
      type: 'put',
      key: encodeKey(this.#keyCodec(opts.keyEncoding), key),
      value: encodeWith(this.#valueCodec(opts.valueEncoding), value, 'value')
    }
  }

  /** @internal Encodes a delete (a `cas` is for `del` itself to run, not for a batch). */
  _del(key: K, opts: SharedBeeWriteOptions<K, V>): BeeOp {
    if (opts.cas !== undefined) throw new NotSupportedError('cas is not supported in a shared batch')
    return { type: 'del', key: encodeKey(this.#keyCodec(opts.keyEncoding), key) }
  }

  /**
   * @internal Sends writes to the owner: applied atomically, in order, exactly once. Resolves
   * false when a condition of theirs no longer held and nothing was written (`alone`: sent as
   * conditional writes are, see `connection.ts`).
   */
  async _write(ops: BeeOp[], alone = false): Promise<boolean> {
    if (this.readonly) throw new ReadOnlyError()
    await this.#ready()
    if (ops.length === 0) return true
    const { length, byteLength, refused } = await this.#conn().request('bee.write', [this.core.ref, ops], {
      write: true,
      alone
    })
    this.core._update({ length, byteLength, fork: this.core.fork })
    return refused !== true
  }

  /** Writes `key` = `value` (one block). With `cas`, only if `cas(current, next)` allows it. */
  async put(key: K, value?: V, opts: SharedBeeWriteOptions<K, V> = {}): Promise<void> {
    this.#assertOpen()
    if (this.readonly) throw new ReadOnlyError()
    if (opts.cas !== undefined) return casWrite(this, 'put', key, value, opts)
    await this._write([this._put(key, value, opts)])
  }

  /** Deletes `key` (nothing is written when it is missing). With `cas`, only if it allows it. */
  async del(key: K, opts: SharedBeeWriteOptions<K, V> = {}): Promise<void> {
    this.#assertOpen()
    if (this.readonly) throw new ReadOnlyError()
    if (opts.cas !== undefined) return casWrite(this, 'del', key, undefined, opts)
    await this._write([this._del(key, opts)])
  }

  /** A batch: its writes are applied together by `flush()`, atomically. */
  batch(): SharedBatch<K, V> {
    this.#assertOpen()
    return new SharedBatch<K, V>(this)
  }

  /** The entries of a key range in order (or `reverse`), as an async iterator. */
  createReadStream(range: RangeOptions = {}, opts: RangeOptions = {}): AsyncIterableIterator<BeeNode<K, V>> {
    this.#assertOpen()
    const merged = { ...opts, ...range }
    const keyCodec = this.#keyCodec(merged.keyEncoding)
    const valueCodec = this.#valueCodec(merged.valueEncoding)
    return this.#pages(encodeRange(merged, keyCodec, this.prefix !== null), (n) =>
      this._node(n, keyCodec, valueCodec)
    )
  }

  async *#pages(range: WireRange, decode: (n: WireNode) => BeeNode<K, V>): AsyncGenerator<BeeNode<K, V>> {
    await this.#ready()
    let version = this.#checkout
    let remaining = range.limit
    let page = range
    for (;;) {
      const limit = remaining < 0 ? PAGE_SIZE : Math.min(PAGE_SIZE, remaining)
      if (limit === 0) return
      this.#assertOpen()
      const res = await this.#conn().request('bee.range', [this.core.ref, { ...page, limit }, version])
      version = res.version
      for (const node of res.nodes) yield decode(node)
      if (res.nodes.length < limit) return
      if (remaining > 0) remaining -= res.nodes.length
      const last = res.nodes[res.nodes.length - 1]!.key
      page = range.reverse ? { ...page, lt: last, lte: null } : { ...page, gt: last, gte: null }
    }
  }

  /** The first entry of a range (the last with `reverse`), or null. */
  async peek(range: RangeOptions = {}, opts: RangeOptions = {}): Promise<BeeNode<K, V> | null> {
    for await (const node of this.createReadStream({ ...opts, ...range, limit: 1 })) return node
    return null
  }

  /**
   * The blocks of the bee in write order, each `{ type, seq, key, value }`. With `live` the stream
   * does not end at the current version: it waits for each new block and yields it (as hyperbee's,
   * `lt`/`lte`/`end` are then ignored; `limit` still ends it; `reverse` is refused).
   */
  createHistoryStream(
    opts: HistoryOptions & SharedCheckoutOptions = {}
  ): AsyncIterableIterator<HistoryEntry<K, V>> {
    this.#assertOpen()
    if (opts.live && opts.reverse)
      throw new InvalidOperationError('Cannot have both live and reverse enabled')
    for (const k of ['gt', 'gte', 'lt', 'lte', 'since', 'end'] as const) {
      const v = opts[k]
      if (v !== undefined && v !== null && !Number.isSafeInteger(v))
        throw new InvalidOperationError(`history option ${k} must be an integer`)
    }
    if (!opts.live) return this.#history(opts, null)
    // A live stream waits between blocks: `return()` wakes that wait, so it ends at once (a bare
    // generator would run its `return()` only after the next block arrived).
    const stop: LiveStop = { stopped: false, wake: null }
    const gen = this.#history(opts, stop)
    return {
      next: () => gen.next(),
      return: (value?: unknown) => {
        stop.stopped = true
        stop.wake?.()
        return gen.return(value as undefined)
      },
      throw: (err?: unknown) => gen.throw(err),
      [Symbol.asyncIterator]() {
        return this
      }
    }
  }

  async *#history(
    opts: HistoryOptions & SharedCheckoutOptions,
    stop: LiveStop | null
  ): AsyncGenerator<HistoryEntry<K, V>> {
    await this.#ready()
    const keyCodec = this.#keyCodec(opts.keyEncoding)
    const valueCodec = this.#valueCodec(opts.valueEncoding)
    // fix the version first: negative bounds count back from it, as in hyperbee
    let version = this.#checkout || Math.max(1, this.core.length)
    let gte = Math.max(1, historyGte(opts, version))
    let lt = stop ? Number.POSITIVE_INFINITY : historyLt(opts, version)
    let remaining = opts.limit === undefined || opts.limit === null ? -1 : opts.limit
    const reverse = !!opts.reverse
    for (;;) {
      const limit = remaining < 0 ? PAGE_SIZE : Math.min(PAGE_SIZE, remaining)
      if (limit === 0 || gte >= lt || stop?.stopped) return
      if (stop) {
        // read at the newest version once it holds block `gte`
        while (gte >= this.core.length) {
          await this.#nextBlock(stop)
          if (stop.stopped) return
        }
        version = this.core.length
      }
      this.#assertOpen()
      const res = await this.#conn().request('bee.history', [
        this.core.ref,
        { gte, lt: Math.min(lt, version), reverse, limit },
        version
      ])
      for (const e of res.entries) yield { type: e.type, ...this._node(e, keyCodec, valueCodec) }
      if (res.entries.length < limit && !stop) return
      if (remaining > 0) remaining -= res.entries.length
      if (stop && res.entries.length === 0) {
        // the core was truncated under us: wait for it to grow again
        await this.#nextBlock(stop)
        if (stop.stopped) return
        continue
      }
      const last = res.entries[res.entries.length - 1]!.seq
      if (reverse) lt = last
      else gte = last + 1
    }
  }

  /**
   * Resolves at the core's next append or truncation, or when the live stream is stopped; rejects
   * with `BeeClosedError` when the bee closes.
   */
  #nextBlock(stop: LiveStop): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (err?: Error) => {
        stop.wake = null
        this.core.off('append', onchange)
        this.core.off('truncate', onchange)
        this.off('close', onclose)
        if (err) reject(err)
        else resolve()
      }
      const onchange = () => done()
      const onclose = () => done(new BeeClosedError())
      if (this.#closing !== null) return onclose()
      stop.wake = onchange
      this.core.on('append', onchange)
      this.core.on('truncate', onchange)
      this.once('close', onclose)
    })
  }

  /** What differs between this bee and `other` (a version or a bee on the same core), key by key. */
  createDiffStream(
    other: number | SharedBee<K, V>,
    range: RangeOptions = {},
    opts: RangeOptions = {}
  ): AsyncIterableIterator<DiffEntry<K, V>> {
    this.#assertOpen()
    const right = typeof other === 'number' ? Math.max(1, other) : other.version
    const merged = { ...opts, ...range }
    const keyCodec = this.#keyCodec(merged.keyEncoding)
    const valueCodec = this.#valueCodec(merged.valueEncoding)
    return this.#diff(encodeRange(merged, keyCodec, this.prefix !== null), right, keyCodec, valueCodec)
  }

  async *#diff(
    range: WireRange,
    right: number,
    keyCodec: Codec | null,
    valueCodec: Codec | null
  ): AsyncGenerator<DiffEntry<K, V>> {
    await this.#ready()
    const left = this.version
    let remaining = range.limit
    let page = range
    for (;;) {
      const limit = remaining < 0 ? PAGE_SIZE : Math.min(PAGE_SIZE, remaining)
      if (limit === 0) return
      this.#assertOpen()
      const entries = await this.#conn().request('bee.diff', [this.core.ref, { ...page, limit }, left, right])
      for (const e of entries) {
        yield {
          left: e.left === null ? null : this._node(e.left, keyCodec, valueCodec),
          right: e.right === null ? null : this._node(e.right, keyCodec, valueCodec)
        }
      }
      if (entries.length < limit) return
      if (remaining > 0) remaining -= entries.length
      const lastEntry = entries[entries.length - 1]!
      const last = (lastEntry.left ?? lastEntry.right)!.key
      page = range.reverse ? { ...page, lt: last, lte: null } : { ...page, gt: last, gte: null }
    }
  }

  /** A read-only view of the bee at `version`. */
  checkout(version: number, opts: SharedCheckoutOptions = {}): SharedBee<K, V> {
    if (!Number.isSafeInteger(version) || version < 0)
      throw new BadArgumentError('version must be an integer')
    const keyEncoding = opts.keyEncoding ?? (this.keyEncoding as Encoding | null) ?? undefined
    return new SharedBee<K, V>(this.core, {
      keyEncoding,
      valueEncoding: opts.valueEncoding ?? (this.valueEncoding as Encoding | null) ?? undefined,
      checkout: Math.max(1, version),
      [VIEW]: { prefix: this.prefix, unprefixed: codecOf(keyEncoding), sep: this.sep }
    } as SharedBeeOptions)
  }

  /**
   * A bee over the keys under `prefix` + separator, as hyperbee's `sub`: its keys are stored with
   * that prefix in front (a per-call `keyEncoding` replaces the prefixed one, as in hyperbee), its
   * streams without bounds cover just the prefix, and it shares this bee's core and version.
   */
  sub<SK = K, SV = V>(prefix: Uint8Array | string, opts: SharedSubOptions = {}): SharedBee<SK, SV> {
    this.#assertOpen()
    const sep = opts.sep === undefined ? this.sep : toBytes(opts.sep)
    const own = toBytes(prefix)
    const full = new Uint8Array((this.prefix?.byteLength ?? 0) + own.byteLength + sep.byteLength)
    full.set(this.prefix ?? EMPTY)
    full.set(own, this.prefix?.byteLength ?? 0)
    full.set(sep, full.byteLength - sep.byteLength)
    const inner = opts.keyEncoding
      ? codecOf(opts.keyEncoding)
      : (this.#unprefixedKeyEncoding ?? codecOf('binary'))
    const valueEncoding = opts.valueEncoding ?? (this.valueEncoding as Encoding | null) ?? 'binary'
    return new SharedBee<SK, SV>(this.core, {
      keyEncoding: prefixEncoding(full, inner),
      valueEncoding,
      readonly: this.readonly,
      checkout: this.#checkout,
      [VIEW]: { prefix: full, unprefixed: inner, sep: this.sep }
    } as SharedBeeOptions)
  }

  /** A read-only view of the bee as it is now. */
  snapshot(opts: SharedCheckoutOptions = {}): SharedBee<K, V> {
    return this.checkout(this.version, opts)
  }

  /** Yields `[current, previous]` snapshots each time the key range changes. */
  watch(range: RangeOptions = {}, opts: SharedWatcherOptions = {}): SharedWatcher<K, V> {
    this.#assertOpen()
    if (this.#checkout > 0 || !this.#ownsCore)
      throw new InvalidOperationError('Can only watch the main bee instance')
    const merged = { ...range }
    const w = new SharedWatcher<K, V>(
      this,
      encodeRange(merged, this.keyEncoding, this.prefix !== null),
      opts,
      () => this.#watchers.delete(w)
    )
    this.#watchers.add(w)
    return w
  }

  /**
   * The entry of `key` now, kept up to date: hyperbee's `EntryWatcher` (`.node`, `'update'` each
   * time the entry changes), fed by the owner's append and truncate events.
   */
  async getAndWatch(key: K, opts: EntryWatcherOptions = {}): Promise<EntryWatcher<K, V, SharedBee<K, V>>> {
    this.#assertOpen()
    if (this.#checkout > 0 || !this.#ownsCore)
      throw new InvalidOperationError('Can only watch the main bee instance')
    const onappend = () => w.onappend()
    const ontruncate = () => w.ontruncate()
    const w = new EntryWatcher<K, V, SharedBee<K, V>>(this, key, opts, () => {
      this.core.off('append', onappend)
      this.core.off('truncate', ontruncate)
      this.#watchers.delete(w)
    })
    this.core.on('append', onappend)
    this.core.on('truncate', ontruncate)
    this.#watchers.add(w)
    await w.refresh()
    if (this.#closing !== null) {
      await w.close()
      throw new BeeClosedError()
    }
    return w
  }

  /** Closes watchers, then the core (a view leaves the core open). */
  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  async #close(): Promise<void> {
    for (const w of [...this.#watchers]) await w.close()
    if (this.#ownsCore) await this.core.close()
    this.closed = true
    this.emit('close')
  }
}
