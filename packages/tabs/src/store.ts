/**
 * `SharedStore`: a Corestore held by an owner — this page, a worker, or another tab — used with
 * Corestore's API: `get` a core by name or key, `namespace`, `ready`, `close`. Bees open on its
 * cores with `new SharedBee(store.get({ name }), opts)`, as `new Hyperbee(core, opts)` in-process.
 */
import { Emitter } from '@orchard/events'
import { BadArgumentError } from '@orchard/hypercore'
import type { Connection } from './connection.ts'
import { StoreContext } from './context.ts'
import { SharedCore, type SharedCoreOptions } from './core.ts'
import { StoreClosedError } from './errors.ts'
import type { StoreHost } from './host.ts'
import type { CoreRef, Name } from './protocol.ts'

/** How to find a core: by `name` (in the store's namespace) or by `key`. */
export interface SharedStoreGetOptions extends SharedCoreOptions {
  /** A named core: created on first use, its key derived from the owner's primary key. */
  name?: Name
  /** The core's key (32 bytes or 64 hex characters). */
  key?: Uint8Array | string
}

/** Events of a {@link SharedStore}. */
export interface SharedStoreEvents {
  /** The store is connected to an owner for the first time. */
  ready: []
  /** The store closed. */
  close: []
  /** This tab became the owner (true) or a client of another tab (false). Tab stores only. */
  role: [owner: boolean]
  /** This tab won the election but could not open the store (another tab may take over). */
  error: [err: unknown]
}

/** @internal How a store is wired: its connection and what opening and closing it does. */
export interface StoreWiring {
  ctx: StoreContext
  /** Resolves once the store can serve calls. */
  ready(): Promise<void>
  /** Releases what the store holds (transport, host, locks). */
  close(): Promise<void>
  /** The host when this context holds the store itself. */
  host(): StoreHost | null
}

/** Builds the wiring of a store around `conn`. @internal */
export function wire(
  conn: Connection,
  parts: Omit<StoreWiring, 'ctx' | 'host'> & { host?: () => StoreHost | null }
): StoreWiring {
  return {
    ctx: new StoreContext(conn),
    ready: parts.ready,
    close: parts.close,
    host: parts.host ?? (() => null)
  }
}

/**
 * Cores held by the store's owner, with Corestore's API. Made by {@link openStore} (held in this
 * page), {@link connectStore} (held by a worker) or {@link openSharedStore} (held by one of the
 * origin's tabs).
 */
export class SharedStore extends Emitter<SharedStoreEvents> {
  /** This store's namespace path (`[]` at the root). */
  readonly namespacePath: readonly Name[]
  /** Resolves once the store is connected to an owner. */
  readonly opening: Promise<void>
  /** Whether the store is connected. */
  opened = false
  /** Whether `close()` finished. */
  closed = false
  readonly #wiring: StoreWiring
  readonly #root: SharedStore | null
  readonly #cores = new Set<SharedCore<unknown>>()
  readonly #children = new Set<SharedStore>()
  #closing: Promise<void> | null = null
  #owner = false

  /** @internal Use {@link openStore}, {@link connectStore} or {@link openSharedStore}. */
  constructor(wiring: StoreWiring, ns: readonly Name[] = [], root: SharedStore | null = null) {
    super()
    this.#wiring = wiring
    this.namespacePath = ns
    this.#root = root
    this.opening = (root !== null ? root.opening : wiring.ready()).then(() => {
      this.opened = true
      this.emit('ready')
    })
    this.opening.catch(() => {})
  }

  /** This client's id (its writes carry it). */
  get clientId(): string {
    return this.#wiring.ctx.conn.clientId
  }

  /** Whether this context holds the store itself (it is the owner tab, or the store is in-page). */
  get isOwner(): boolean {
    return (this.#root ?? this).#owner
  }

  /** The Corestore itself, where this context is the owner (for replication); else null. */
  get corestore(): StoreHost['corestore'] | null {
    return this.#wiring.host()?.corestore ?? null
  }

  /** @internal Records this tab's role. */
  _setOwner(owner: boolean): void {
    if (this.#owner === owner) return
    this.#owner = owner
    this.emit('role', owner)
  }

  /** Whether the store is closing or closed. */
  get closing(): boolean {
    return this.#closing !== null || (this.#root?.closing ?? false)
  }

  /** Resolves once the store is connected to an owner. */
  async ready(): Promise<void> {
    await this.opening
  }

  /**
   * A session on a core: `{ name }` (in this store's namespace) or `{ key }` (or the key itself).
   * Opening the same core twice gives two sessions on one core, as in Corestore.
   */
  get<T = Uint8Array>(input: SharedStoreGetOptions | Uint8Array | string): SharedCore<T> {
    if (this.closing) throw new StoreClosedError()
    const opts: SharedStoreGetOptions =
      typeof input === 'string' || input instanceof Uint8Array ? { key: input } : (input ?? {})
    let ref: CoreRef
    if (opts.key !== undefined && opts.key !== null) ref = { ns: [], key: decodeKey(opts.key) }
    else if (opts.name !== undefined && opts.name !== '') {
      if (typeof opts.name !== 'string' && !(opts.name instanceof Uint8Array))
        throw new BadArgumentError('a name must be a string or a Uint8Array')
      ref = { ns: [...this.namespacePath], name: opts.name }
    } else throw new BadArgumentError('Could not derive discovery from input')
    const core = new SharedCore<T>(this.#wiring.ctx, ref, { valueEncoding: opts.valueEncoding })
    this.#cores.add(core as SharedCore<unknown>)
    core.once('close', () => this.#cores.delete(core as SharedCore<unknown>))
    return core
  }

  /** A store whose names resolve in namespace `name` inside this one's (chainable). */
  namespace(name: Name): SharedStore {
    if (this.closing) throw new StoreClosedError()
    const child = new SharedStore(this.#wiring, [...this.namespacePath, name], this.#root ?? this)
    this.#children.add(child)
    child.once('close', () => this.#children.delete(child))
    return child
  }

  /** Closes this store's sessions; the root store also disconnects (and, as owner, closes storage). */
  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  async #close(): Promise<void> {
    await Promise.all([...this.#children].map((c) => c.close()))
    await Promise.all([...this.#cores].map((c) => c.close()))
    if (this.#root === null) await this.#wiring.close()
    this.closed = true
    this.emit('close')
  }
}

function decodeKey(key: Uint8Array | string): Uint8Array {
  if (key instanceof Uint8Array && key.byteLength === 32) return key
  if (typeof key === 'string' && /^[0-9a-f]{64}$/i.test(key))
    return Uint8Array.from(key.match(/../g)!, (b) => Number.parseInt(b, 16))
  throw new BadArgumentError('a key is 32 bytes or 64 hex characters')
}
