/**
 * `SharedCore`: a Hypercore held by the store's owner, used from any tab or page with the
 * Hypercore API — `append`, `truncate`, `get`, `has`, `seek`, `createReadStream`, `download`,
 * `clear`, `update`, `length`, `key`, `'append'`/`'truncate'` events. The state
 * (`length`, `byteLength`, `fork`) follows the owner's events; an append's own answer moves it
 * too, before the append resolves, as in-process.
 */
import { Emitter } from '@orchard/events'
import {
  BadArgumentError,
  type DownloadRange,
  type ReadStreamOptions,
  SessionClosedError
} from '@orchard/hypercore'
import { type Codec, codecOf, decodeWith, type Encoding, encodeWith } from './codec.ts'
import type { Connection } from './connection.ts'
import { newer, type StoreContext } from './context.ts'
import { SharedDownload } from './download.ts'
import type { CoreInfo, CoreRef, CoreState, ReadOptions } from './protocol.ts'
import { toHex } from './protocol.ts'
import { SharedReadStream } from './read-stream.ts'

/** Events of a {@link SharedCore}, as Hypercore's. */
export interface SharedCoreEvents {
  /** The core opened. */
  ready: []
  /** This session closed. */
  close: []
  /** The core grew. */
  append: []
  /** The core was truncated: its length then and its new fork. */
  truncate: [ancestors: number, fork: number]
}

/** Options of `SharedStore#get`'s core sessions. */
export interface SharedCoreOptions {
  /** How blocks are encoded: `'binary'` (default), `'utf-8'`, `'json'`, or a codec. */
  valueEncoding?: Encoding
}

/** Options of {@link SharedCore.get}. */
export interface SharedGetOptions extends ReadOptions {
  /** Decode with this encoding instead of the session's. */
  valueEncoding?: Encoding
}

/**
 * A session on a core held by the store's owner, with Hypercore's API for the operations apps
 * use. Get one from `SharedStore#get`.
 *
 * @typeParam T - the block type the value encoding yields
 */
export class SharedCore<T = Uint8Array> extends Emitter<SharedCoreEvents> {
  /** How the core was asked for. @internal */
  readonly ref: CoreRef
  /** Resolves once the core is open. */
  readonly opening: Promise<void>
  /** Whether the core is open. */
  opened = false
  /** Whether this session closed. */
  closed = false
  /** The core's key (once open, or when opened by key). */
  key: Uint8Array | null
  /** The core's discovery key (once open). */
  discoveryKey: Uint8Array | null = null
  /** Whether the owner can append to this core (once open). */
  writable = false
  readonly #ctx: StoreContext
  readonly #codec: Codec | null
  #state: CoreState = { length: 0, byteLength: 0, fork: 0 }
  #dk: string | null = null
  #closing: Promise<void> | null = null

  /** @internal Use `SharedStore#get`. */
  constructor(ctx: StoreContext, ref: CoreRef, opts: SharedCoreOptions = {}) {
    super()
    this.#ctx = ctx
    this.ref = ref
    this.key = ref.key ?? null
    this.#codec = codecOf(opts.valueEncoding)
    ctx.track(this)
    this.opening = this.#open()
    this.opening.catch(() => {})
  }

  async #open(): Promise<void> {
    const info = await this.#ctx.conn.request('core.open', [this.ref])
    this.#opened(info) // even when closing meanwhile: close() then releases the owner's subscription
    if (this.#closing !== null) throw new SessionClosedError('the session closed while opening')
    this.emit('ready')
  }

  #opened(info: CoreInfo): void {
    this.key = info.key
    this.discoveryKey = info.discoveryKey
    this.writable = info.writable
    this.#dk ??= toHex(info.discoveryKey)
    const seen = this.#ctx.bind(this, this.#dk)
    this.opened = true
    this._update(newer(seen, info))
  }

  /** @internal Opens the core again on a new owner (its state may have moved meanwhile). */
  _reopen(): void {
    this.#ctx.conn.request('core.open', [this.ref]).then(
      (info) => {
        if (!this.closed) this.#opened(info)
      },
      () => {}
    )
  }

  /** @internal Takes a state from the owner; emits `append`/`truncate` as it moves. */
  _update(state: CoreState): void {
    const old = this.#state
    if (state.fork < old.fork || (state.fork === old.fork && state.length < old.length)) return
    if (state.fork === old.fork && state.length === old.length) {
      // the same length from another source (an answer, then its event): only bytes can be news
      if (state.byteLength > old.byteLength) this.#state = state
      return
    }
    this.#state = state
    if (state.fork !== old.fork) this.emit('truncate', Math.min(old.length, state.length), state.fork)
    if (state.length > old.length) this.emit('append')
  }

  /** @internal The connection to the owner. */
  get _connection(): Connection {
    return this.#ctx.conn
  }

  /** Resolves once the core is open; rejects with the open's error. */
  async ready(): Promise<void> {
    await this.opening
  }

  /** Number of blocks. */
  get length(): number {
    return this.#state.length
  }

  /** Bytes of all blocks. */
  get byteLength(): number {
    return this.#state.byteLength
  }

  /** The fork id. */
  get fork(): number {
    return this.#state.fork
  }

  /** Whether reads are possible (the session is not closed). */
  get readable(): boolean {
    return !this.closed && this.#closing === null
  }

  /** Whether the session is closing or closed. */
  get closing(): boolean {
    return this.#closing !== null
  }

  async #active(): Promise<void> {
    if (this.#closing !== null) throw new SessionClosedError('this session is closed')
    if (!this.opened) await this.opening
    if (this.#closing !== null) throw new SessionClosedError('this session is closed')
  }

  /** Appends one block or many (atomically); returns the new length and byte length. */
  async append(blocks: T | string | Uint8Array | Array<T | string | Uint8Array>): Promise<{
    /** The length after the append. */
    length: number
    /** The byte length after the append. */
    byteLength: number
  }> {
    await this.#active()
    const list = Array.isArray(blocks) ? blocks : [blocks]
    const encoded = list.map((b) => {
      const bytes = encodeWith(this.#codec, b, 'block')
      if (bytes === null) throw new BadArgumentError('a block is required')
      return bytes
    })
    const result = await this.#ctx.conn.request('core.append', [this.ref, encoded], { write: true })
    // the new length shows before the append resolves, as in-process
    this._update(newer(this.#state, { ...this.#state, length: result.length, byteLength: result.byteLength }))
    return result
  }

  /**
   * Truncates to `newLength` (default 0) on the next fork, or on `fork` (a number or `{ fork }`),
   * through the owner: applied once, in order with this tab's other writes; emits `truncate`.
   */
  async truncate(newLength = 0, opts: number | { fork?: number } = {}): Promise<void> {
    await this.#active()
    const fork = typeof opts === 'number' ? opts : (opts.fork ?? null)
    const state = await this.#ctx.conn.request('core.truncate', [this.ref, newLength, fork], { write: true })
    this._update(state)
  }

  /** Block `index`: waited for when missing (or null with `wait: false`). */
  async get(index: number, opts: SharedGetOptions = {}): Promise<T | null> {
    await this.#active()
    const read: ReadOptions = {}
    if (opts.wait !== undefined) read.wait = opts.wait
    if (opts.timeout !== undefined) read.timeout = opts.timeout
    const block = await this.#ctx.conn.request('core.get', [this.ref, index, read])
    if (block === null) return null
    const codec = opts.valueEncoding !== undefined ? codecOf(opts.valueEncoding) : this.#codec
    return decodeWith(codec, block) as T
  }

  /** @internal Blocks `[start, end)` (each waited for as `get` does), decoded. */
  async _getBatch(start: number, end: number, opts: ReadOptions): Promise<(T | null)[]> {
    await this.#active()
    const blocks = await this.#ctx.conn.request('core.getBatch', [this.ref, start, end, opts])
    return blocks.map((b) => (b === null ? null : (decodeWith(this.#codec, b) as T)))
  }

  /** The blocks in order, as an async iterable (`live`: following appends). */
  createReadStream(opts: ReadStreamOptions = {}): SharedReadStream<T> {
    return new SharedReadStream(this, opts)
  }

  /**
   * The block holding byte `bytes` and the offset inside it: `[index, offset]`; waits for peers
   * where the core is sparse (null with `wait: false`).
   */
  async seek(bytes: number, opts: ReadOptions = {}): Promise<[index: number, offset: number] | null> {
    await this.#active()
    return this.#ctx.conn.request('core.seek', [this.ref, bytes, opts])
  }

  /** Downloads a range from the owner's peers (the owner holds the network); see `SharedDownload`. */
  download(range: DownloadRange = {}): SharedDownload {
    return new SharedDownload(this.#ctx.conn, this.ref, range, this.#active())
  }

  /**
   * Drops the local copies of blocks `[start, end)` (the core keeps its length and proofs). With
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
    await this.#active()
    const blocks = await this.#ctx.conn.request('core.clear', [this.ref, start, end])
    return opts.diff ? { blocks } : null
  }

  /** Whether block `start` (or every block of `[start, end)`) is stored. */
  async has(start: number, end = start + 1): Promise<boolean> {
    await this.#active()
    return this.#ctx.conn.request('core.has', [this.ref, start, end])
  }

  /** Asks the owner's peers for a longer core; whether it moved. */
  async update(opts: { wait?: boolean; force?: boolean } = {}): Promise<boolean> {
    await this.#active()
    const { updated, state } = await this.#ctx.conn.request('core.update', [this.ref, opts])
    this._update(newer(this.#state, state))
    return updated
  }

  /** Closes this session (the owner keeps the core for its other users). */
  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  async #close(): Promise<void> {
    await this.opening.catch(() => {})
    this.#ctx.untrack(this, this.#dk)
    if (this.opened && !this.#ctx.conn.closed)
      await this.#ctx.conn.request('core.close', [this.ref]).catch(() => {})
    this.closed = true
    this.emit('close')
  }
}
