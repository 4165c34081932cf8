/**
 * The owner's side: a {@link StoreHost} holds the storage root, the Corestore on it, one Hypercore
 * session and (on demand) one Hyperbee per core, and the write queue. Each client connects as a
 * {@link HostSession}, which answers its requests and forwards the events of the cores it opened.
 * A host knows nothing of transports: tabs, workers and the owner's own page all talk to it
 * through sessions.
 */
import { Corestore, type CorestoreOptions } from '@orchard/corestore'
import { Hyperbee } from '@orchard/hyperbee'
import { BadArgumentError, type Download, type Hypercore } from '@orchard/hypercore'
import type { Storage } from '@orchard/storage'
import { encodeError, ProtocolMismatchError } from './errors.ts'
import {
  type CoreEvent,
  type CoreInfo,
  type CoreRef,
  type CoreState,
  type Method,
  type Methods,
  PROTOCOL_VERSION,
  type Request,
  type Response,
  refId,
  tight,
  toHex,
  type WireDiffEntry,
  type WireHistoryEntry,
  type WireHistoryRange,
  type WireNode,
  type WireRange
} from './protocol.ts'
import { RecordingStorage } from './recorder.ts'
import { sweepRecords, WriteQueue, type WriteTarget } from './writes.ts'

/** Options of {@link StoreHost}. */
export interface StoreHostOptions {
  /** Options of the Corestore the host opens on the storage (e.g. a `primaryKey`). */
  corestore?: CorestoreOptions
  /**
   * Whether a client may still re-send writes (its context is alive). When given, the host
   * deletes the exactly-once records of clients that are gone for good as it opens each core;
   * without it, records are kept.
   */
  clientAlive?: (clientId: string) => boolean | Promise<boolean>
}

/** One open core on the owner: its session, its bee, its subscribers and write records. */
class HostCore implements WriteTarget {
  readonly session: Hypercore
  readonly discoveryKey: string
  readonly applied: WriteTarget['applied'] = new Map()
  readonly subscribers = new Map<HostSession, number>()
  #bee: Hyperbee<Uint8Array, Uint8Array> | null = null

  constructor(session: Hypercore) {
    this.session = session
    this.discoveryKey = toHex(session.discoveryKey!)
    const emit = () => {
      const event: CoreEvent = { discoveryKey: this.discoveryKey, ...stateOf(session) }
      for (const sub of this.subscribers.keys()) sub.emit(event)
    }
    session.on('append', emit)
    session.on('truncate', emit)
  }

  /** The one bee of this core (binary keys and values: clients encode their own). */
  bee(): Hyperbee<Uint8Array, Uint8Array> {
    this.#bee ??= new Hyperbee<Uint8Array, Uint8Array>(this.session)
    return this.#bee
  }

  info(): CoreInfo {
    const s = this.session
    return { key: s.key!, discoveryKey: s.discoveryKey!, writable: s.writable, ...stateOf(s) }
  }

  async close(): Promise<void> {
    if (this.#bee !== null) await this.#bee.close()
    else await this.session.close()
  }
}

function stateOf(session: Hypercore): CoreState {
  return { length: session.length, byteLength: session.byteLength, fork: session.fork }
}

/**
 * Holds a store for its clients: the storage root (wrapped so that writes can be recorded for
 * exactly-once re-sends), the Corestore on it, the open cores and the write queue.
 */
export class StoreHost {
  /** The Corestore the host serves (use it in the owner for replication: the owner holds the network). */
  readonly corestore: Corestore
  readonly #queue: WriteQueue
  #storage: RecordingStorage | null = null
  readonly #cores = new Map<string, HostCore>()
  readonly #refs = new Map<string, Promise<HostCore>>()
  readonly #namespaces = new Map<string, Corestore>()
  readonly #sessions = new Set<HostSession>()
  #closing: Promise<void> | null = null
  readonly #opts: StoreHostOptions

  /** Hosts the store kept in `storage` (a root, or a promise of one). */
  constructor(storage: Storage | Promise<Storage>, opts: StoreHostOptions = {}) {
    this.#opts = opts
    const wrapped = Promise.resolve(storage).then((s) => {
      this.#storage = new RecordingStorage(s)
      return this.#storage
    })
    this.corestore = new Corestore(wrapped, opts.corestore)
    this.#queue = new WriteQueue(() => this.#storage!)
  }

  /** Resolves once the store is open. */
  ready(): Promise<void> {
    return this.corestore.ready()
  }

  /** Whether `close()` was called. */
  get closing(): boolean {
    return this.#closing !== null
  }

  /** A session for one client; `emit` receives the events of the cores it opens. */
  connect(emit: (event: CoreEvent) => void): HostSession {
    const session = new HostSession(this, emit)
    this.#sessions.add(session)
    return session
  }

  /** @internal Forgets a closed session. */
  _forget(session: HostSession): void {
    this.#sessions.delete(session)
  }

  /** @internal The open core `ref` names (opening it on first use). */
  _core(ref: CoreRef): Promise<HostCore> {
    const id = refId(ref)
    let core = this.#refs.get(id)
    if (core === undefined) {
      core = this.#open(ref)
      this.#refs.set(id, core)
      core.catch(() => this.#refs.delete(id))
    }
    return core
  }

  async #open(ref: CoreRef): Promise<HostCore> {
    await this.corestore.ready()
    let store = this.corestore
    if (ref.key === undefined) {
      for (let i = 0; i < ref.ns.length; i++) {
        const path = refId({ ns: ref.ns.slice(0, i + 1) })
        let ns = this.#namespaces.get(path)
        if (ns === undefined) {
          ns = store.namespace(ref.ns[i]!)
          this.#namespaces.set(path, ns)
        }
        store = ns
      }
    }
    const session = ref.key !== undefined ? store.get({ key: ref.key }) : store.get({ name: ref.name! })
    await session.ready()
    const dk = toHex(session.discoveryKey!)
    const existing = this.#cores.get(dk)
    if (existing !== undefined) {
      await session.close()
      return existing
    }
    const core = new HostCore(session)
    this.#cores.set(dk, core)
    const alive = this.#opts.clientAlive
    if (alive !== undefined && this.#storage !== null)
      void sweepRecords(this.#storage, core, alive).catch(() => {})
    return core
  }

  /** @internal Queues an append. */
  _append(ref: CoreRef, blocks: Uint8Array[], req: Request) {
    return this.#queue.append(this._core(ref), blocks, req.writer ?? null)
  }

  /** @internal Queues a truncation. */
  _truncate(ref: CoreRef, length: number, fork: number | null, req: Request) {
    return this.#queue.truncate(this._core(ref), length, fork, req.writer ?? null)
  }

  /** @internal Queues bee writes. */
  _beeWrite(ref: CoreRef, ops: Parameters<WriteQueue['bee']>[1], req: Request) {
    return this.#queue.bee(this._core(ref), ops, req.writer ?? null)
  }

  /**
   * Stops serving: the write being applied finishes, queued and new requests go unanswered (their
   * clients re-send them to the next owner), then every core, the Corestore and the storage close.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  async #close(): Promise<void> {
    await this.#queue.stop()
    for (const session of [...this.#sessions]) session.close()
    await this.corestore.ready().catch(() => {})
    for (const core of this.#cores.values()) await core.close().catch(() => {})
    await this.corestore.close()
  }
}

/** One client's view of a host: answers its requests, forwards events of the cores it opened. */
export class HostSession {
  readonly #host: StoreHost
  readonly #emit: (event: CoreEvent) => void
  readonly #subscribed = new Set<HostCore>()
  /** @internal This client's running downloads, by the id it gave them (null: cancelled early). */
  readonly _downloads = new Map<string, Download | null>()
  #closed = false

  /** Use {@link StoreHost.connect}. */
  constructor(host: StoreHost, emit: (event: CoreEvent) => void) {
    this.#host = host
    this.#emit = emit
  }

  /** @internal Forwards a core event to the client. */
  emit(event: CoreEvent): void {
    if (!this.#closed) this.#emit(event)
  }

  /**
   * The response to `req`, or null when the host is closing (the client then re-sends the
   * request to the next owner). Never rejects: failures are error responses.
   */
  async handle(req: Request): Promise<Response | null> {
    if (this.#closed || this.#host.closing) return null
    try {
      const value = await this.#dispatch(req)
      if (this.#host.closing) return null
      return { id: req.id, ok: true, value }
    } catch (err) {
      if (this.#host.closing) return null
      return { id: req.id, ok: false, error: encodeError(err) }
    }
  }

  /** Drops every subscription of this client. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    for (const download of this._downloads.values()) download?.destroy()
    this._downloads.clear()
    for (const core of this.#subscribed) core.subscribers.delete(this)
    this.#subscribed.clear()
    this.#host._forget(this)
  }

  #dispatch(req: Request): Promise<unknown> {
    const handler = HANDLERS[req.method] as Handler<Method> | undefined
    if (handler === undefined) return Promise.reject(new TypeError(`unknown method ${String(req.method)}`))
    return handler(this.#host, this, req.args as never, req)
  }

  /** @internal Subscribes this client to `core`'s events. */
  _subscribe(core: HostCore): void {
    if (this.#closed) return
    core.subscribers.set(this, (core.subscribers.get(this) ?? 0) + 1)
    this.#subscribed.add(core)
  }

  /** @internal Drops one subscription to `core`. */
  _unsubscribe(core: HostCore): void {
    const n = core.subscribers.get(this) ?? 0
    if (n <= 1) {
      core.subscribers.delete(this)
      this.#subscribed.delete(core)
    } else core.subscribers.set(this, n - 1)
  }
}

type Handler<M extends Method> = (
  host: StoreHost,
  session: HostSession,
  args: Methods[M]['args'],
  req: Request
) => Promise<Methods[M]['result']>

/** A read-only view of the bee at `version` (0: now), with the version it reads. */
function beeAt(core: HostCore, version: number) {
  const bee = core.bee()
  const v = version > 0 ? version : bee.version
  return { view: bee.checkout(v), version: v }
}

const wireNode = (n: { seq: number; key: Uint8Array; value: Uint8Array | null }): WireNode => ({
  seq: n.seq,
  key: tight(n.key),
  value: n.value === null || n.value === undefined ? null : tight(n.value)
})

function rangeOptions(range: WireRange) {
  const out: Record<string, unknown> = { reverse: range.reverse, limit: range.limit }
  if (range.gt !== null) out.gt = range.gt
  if (range.gte !== null) out.gte = range.gte
  if (range.lt !== null) out.lt = range.lt
  if (range.lte !== null) out.lte = range.lte
  return out
}

/** Most blocks one `core.getBatch` reads. */
const MAX_BATCH_BLOCKS = 1024

const HANDLERS: { [M in Method]: Handler<M> } = {
  async 'store.ready'(host, _session, [version]) {
    if (version !== PROTOCOL_VERSION) {
      throw new ProtocolMismatchError(`the owner speaks protocol ${PROTOCOL_VERSION}, the client ${version}`)
    }
    await host.ready()
    return null
  },
  async 'core.open'(host, session, [ref]) {
    const core = await host._core(ref)
    session._subscribe(core)
    return core.info()
  },
  async 'core.close'(host, session, [ref]) {
    session._unsubscribe(await host._core(ref))
    return null
  },
  'core.truncate'(host, _session, [ref, length, fork], req) {
    return host._truncate(ref, length, fork, req)
  },
  'core.append'(host, _session, [ref, blocks], req) {
    return host._append(ref, blocks, req)
  },
  async 'core.get'(host, _session, [ref, index, opts]) {
    const core = await host._core(ref)
    const block = (await core.session.get(index, opts)) as Uint8Array | null
    return block === null ? null : tight(block)
  },
  async 'core.getBatch'(host, _session, [ref, start, end, opts]) {
    if (!(end - start <= MAX_BATCH_BLOCKS))
      throw new BadArgumentError(`a batch read takes at most ${MAX_BATCH_BLOCKS} blocks`)
    const core = await host._core(ref)
    const reads: Promise<unknown>[] = []
    for (let i = start; i < end; i++) reads.push(core.session.get(i, opts))
    return (await Promise.all(reads)).map((b) => (b === null ? null : tight(b as Uint8Array)))
  },
  async 'core.seek'(host, _session, [ref, bytes, opts]) {
    return (await host._core(ref)).session.seek(bytes, opts)
  },
  async 'core.download'(host, session, [ref, id, range]) {
    const core = await host._core(ref)
    const cancelled = session._downloads.get(id) === null // cancelled before it got here
    const download = core.session.download(range)
    session._downloads.set(id, download)
    if (cancelled) download.destroy()
    try {
      await download.done()
    } finally {
      if (session._downloads.get(id) === download) session._downloads.delete(id)
    }
    return null
  },
  async 'core.undownload'(_host, session, [_ref, id]) {
    const download = session._downloads.get(id)
    if (download) download.destroy()
    else session._downloads.set(id, null) // its core.download is still on its way
    return null
  },
  async 'core.clear'(host, _session, [ref, start, end]) {
    const cleared = await (await host._core(ref)).session.clear(start, end, { diff: true })
    return cleared?.blocks ?? 0
  },
  async 'core.has'(host, _session, [ref, start, end]) {
    return (await host._core(ref)).session.has(start, end)
  },
  async 'core.update'(host, _session, [ref, opts]) {
    const core = await host._core(ref)
    const updated = await core.session.update(opts)
    return { updated, state: stateOf(core.session) }
  },
  'bee.write'(host, _session, [ref, ops], req) {
    return host._beeWrite(ref, ops, req)
  },
  async 'bee.get'(host, _session, [ref, key, version, opts]) {
    const core = await host._core(ref)
    if (version <= 0) {
      const node = await core.bee().get(key, opts)
      return node === null ? null : wireNode(node)
    }
    const { view } = beeAt(core, version)
    try {
      const node = await view.get(key, opts)
      return node === null ? null : wireNode(node)
    } finally {
      await view.close()
    }
  },
  async 'bee.range'(host, _session, [ref, range, at]) {
    const core = await host._core(ref)
    await core.bee().ready()
    const { view, version } = beeAt(core, at)
    const nodes: WireNode[] = []
    try {
      for await (const node of view.createReadStream(rangeOptions(range))) nodes.push(wireNode(node))
    } finally {
      await view.close()
    }
    return { version, nodes }
  },
  async 'bee.history'(host, _session, [ref, range, at]) {
    const core = await host._core(ref)
    await core.bee().ready()
    const { view, version } = beeAt(core, at)
    const entries: WireHistoryEntry[] = []
    try {
      const opts = historyOptions(range, version)
      if (opts !== null) {
        for await (const e of view.createHistoryStream(opts)) entries.push({ type: e.type, ...wireNode(e) })
      }
    } finally {
      await view.close()
    }
    return { version, entries }
  },
  async 'bee.diff'(host, _session, [ref, range, left, right]) {
    const core = await host._core(ref)
    await core.bee().ready()
    const view = core.bee().checkout(Math.max(1, left))
    const entries: WireDiffEntry[] = []
    try {
      for await (const e of view.createDiffStream(Math.max(1, right), rangeOptions(range))) {
        entries.push({ left: e.left ? wireNode(e.left) : null, right: e.right ? wireNode(e.right) : null })
      }
    } finally {
      await view.close()
    }
    return entries
  }
}

/** Hyperbee history options for a page, or null when the page is empty. */
function historyOptions(range: WireHistoryRange, version: number) {
  const gte = Math.max(1, range.gte)
  const lt = Math.min(version, range.lt)
  if (gte >= lt || range.limit === 0) return null
  return { gte, lt, reverse: range.reverse, limit: range.limit }
}
