/**
 * Many tabs, one store. Every tab of the origin that opens store `name` asks for the Web Lock
 * `orchard-tabs:<name>`; the tab holding it is the owner: it opens the storage root, holds the
 * Corestore (and the network, if the app replicates `store.corestore`) and serves the others over
 * the BroadcastChannel `orchard-tabs:<name>`. The other tabs are clients: the same `SharedStore`
 * API, every call a request to the owner.
 *
 * When the owner tab closes (or crashes), the browser releases its locks; the next tab in the
 * lock's queue becomes the owner — it opens the storage (waiting for the old owner's storage lock
 * if the browser releases that one later), re-sends its own unanswered requests to itself, and
 * announces itself. Every client re-sends its unanswered requests to the new owner; writes carry
 * writer ids, so one the old owner committed but could not acknowledge is not applied twice (see
 * `recorder.ts`). No acknowledged write is lost: a write is acknowledged once its storage
 * transaction committed.
 *
 * On the channel, a message is addressed by client id (a BroadcastChannel reaches every tab):
 * requests go to the owner's id, responses and events to the client's.
 */
import { idbDatabaseName, openIdbStorage, type Storage, StorageLockedError } from '@orchard/storage'
import { Connection, localTransport, type Transport } from './connection.ts'
import { type HostSession, StoreHost, type StoreHostOptions } from './host.ts'
import { coalesce, type OwnerItem, PROTOCOL_VERSION, type Request } from './protocol.ts'
import { SharedStore, wire } from './store.ts'

const TAG = 'orchard-tabs'

type ChannelMessage = { tag: typeof TAG; v: number; from: string } & (
  | { kind: 'hello' }
  | { kind: 'owner'; epoch: number }
  | { kind: 'gone'; epoch: number }
  | { kind: 'bye' }
  | { kind: 'req'; to: string; reqs: Request[] }
  | { kind: 'out'; to: string; items: OwnerItem[] }
)

/** Options of {@link openSharedStore}. */
export interface SharedStoreOptions extends StoreHostOptions {
  /**
   * Opens the storage root when this tab becomes the owner (default: `openIdbStorage(name)`). It
   * must take the root's exclusive writer lock, failing with `StorageLockedError` while the
   * previous owner still holds it: the tab then waits and tries again.
   */
  openStorage?: (name: string) => Promise<Storage>
}

/**
 * Opens store `name` shared by every tab of this origin: one tab (elected through Web Locks) holds
 * it, the others use it through that tab. The returned store works the same in every tab and
 * across owner changes; `store.isOwner` and the `'role'` event say which this tab is.
 *
 * ```ts
 * const store = openSharedStore('my-app')
 * const bee = new SharedBee(store.get({ name: 'db' }), { keyEncoding: 'utf-8', valueEncoding: 'json' })
 * await bee.put('greeting', { hello: 'world' })
 * ```
 */
export function openSharedStore(name: string, opts: SharedStoreOptions = {}): SharedStore {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError('a shared store needs a name')
  if (typeof navigator === 'undefined' || typeof navigator.locks?.request !== 'function')
    throw new TypeError('openSharedStore needs Web Locks (navigator.locks)')
  return new TabStore(name, opts).store
}

class TabStore {
  readonly store: SharedStore
  readonly #name: string
  readonly #opts: SharedStoreOptions
  readonly #conn = new Connection()
  readonly #channel: BroadcastChannel
  readonly #abort = new AbortController()
  /** The owner we send to (our own id when we are it). */
  #owner: string | null = null
  /** The owner's term: each owner counts one more than the last (kept in the storage root). */
  #epoch = 0
  #host: StoreHost | null = null
  readonly #clients = new Map<string, { session: HostSession; send: (item: OwnerItem) => void }>()
  #release: (() => void) | null = null
  #closed = false
  #locks: { at: number; names: Promise<Set<string>> } | null = null

  constructor(name: string, opts: SharedStoreOptions) {
    this.#name = name
    this.#opts = opts
    this.#channel = new BroadcastChannel(`${TAG}:${name}`)
    this.store = new SharedStore(
      wire(this.#conn, {
        ready: () => this.#conn.request('store.ready', [PROTOCOL_VERSION]).then(() => {}),
        close: () => this.#close(),
        host: () => this.#host
      })
    )
    // This tab's own lock, held while it lives: the owner waits on it to learn when this client is
    // gone. Nothing is sent before it is held, or the owner could take it first.
    void navigator.locks
      .request(this.#clientLock(this.#conn.clientId), { signal: this.#abort.signal }, () => {
        this.#join()
        return this.#untilClosed()
      })
      .catch(() => {})
  }

  /** Listens on the channel, stands for election, and asks who the owner is. */
  #join(): void {
    if (this.#closed) return
    this.#channel.onmessage = (event: MessageEvent) => this.#onmessage(event.data)
    void navigator.locks
      .request(`${TAG}:${this.#name}`, { signal: this.#abort.signal }, () => this.#own())
      .catch(() => {})
    this.#post({ kind: 'hello' })
  }

  /** Whether client `id`'s tab is alive (holds its lock), from a snapshot at most a second old. */
  async #alive(id: string): Promise<boolean> {
    if (this.#locks === null || performance.now() - this.#locks.at > 1000) {
      const at = performance.now()
      const names = navigator.locks.query().then((state) => {
        const held = new Set<string>()
        // a live client holds its lock before it sends anything (see the constructor)
        for (const lock of state.held ?? []) if (lock.name) held.add(lock.name)
        return held
      })
      this.#locks = { at, names }
    }
    return (await this.#locks.names).has(this.#clientLock(id))
  }

  #clientLock(id: string): string {
    return `${TAG}:${this.#name}:client:${id}`
  }

  #untilClosed(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#closed) resolve()
      else this.#abort.signal.addEventListener('abort', () => resolve(), { once: true })
    })
  }

  #post(msg: Record<string, unknown>): void {
    if (this.#closed && msg.kind !== 'gone' && msg.kind !== 'bye') return
    this.#channel.postMessage({ tag: TAG, v: PROTOCOL_VERSION, from: this.#conn.clientId, ...msg })
  }

  /** Holds the election lock: this tab is the owner until it closes. */
  async #own(): Promise<void> {
    if (this.#closed) return
    let storage: Storage | null = null
    let host: StoreHost | null = null
    try {
      storage = await openWhenFree(this.#name, this.#opts.openStorage ?? ((n) => openIdbStorage(n)))
      this.#epoch = await nextEpoch(storage)
      host = new StoreHost(storage, { clientAlive: (id) => this.#alive(id), ...this.#opts })
      await host.ready()
    } catch (err) {
      // cannot hold the store here: let another tab try
      await (host ?? storage)?.close().catch(() => {})
      this.store.emit('error', err)
      return
    }
    if (this.#closed) {
      await host.close()
      return
    }
    this.#host = host
    this.#owner = this.#conn.clientId
    const serving = host
    this.#conn.attach(localTransport((emit) => serving.connect(emit), this.#conn))
    this.store._setOwner(true)
    this.#post({ kind: 'owner', epoch: this.#epoch })
    await new Promise<void>((resolve) => {
      this.#release = resolve
    })
  }

  #onmessage(data: unknown): void {
    const msg = data as ChannelMessage
    if (typeof msg !== 'object' || msg === null || msg.tag !== TAG || msg.v !== PROTOCOL_VERSION) return
    const me = this.#conn.clientId
    if (msg.from === me) return
    switch (msg.kind) {
      case 'hello':
        if (this.#host !== null) this.#post({ kind: 'owner', epoch: this.#epoch })
        return
      case 'owner':
        // a late message of an owner that is gone carries an older term: ignore it
        if (this.#host === null && this.#owner !== msg.from && msg.epoch >= this.#epoch) {
          this.#owner = msg.from
          this.#epoch = msg.epoch
          this.#conn.attach(this.#toOwner(msg.from))
          this.store._setOwner(false)
        }
        return
      case 'gone':
        if (this.#host === null && this.#owner === msg.from) {
          this.#owner = null
          this.#conn.attach(null) // requests wait for the next owner
        }
        return
      case 'bye':
        this.#drop(msg.from)
        return
      case 'req':
        if (this.#host !== null && msg.to === me) for (const req of msg.reqs) this.#serve(msg.from, req)
        return
      case 'out':
        if (msg.to !== me || msg.from !== this.#owner) return
        for (const item of msg.items) {
          if ('res' in item) this.#conn.receive(item.res)
          else this.#conn.event(item.ev)
        }
        return
    }
  }

  #toOwner(owner: string): Transport {
    let detached = false
    const send = coalesce<Request>((reqs) => {
      if (!detached) this.#post({ kind: 'req', to: owner, reqs })
    })
    return {
      send,
      detach() {
        detached = true // what was gathered for this owner is re-sent to the next
      }
    }
  }

  #serve(client: string, req: Request): void {
    const host = this.#host!
    let line = this.#clients.get(client)
    if (line === undefined) {
      const send = coalesce<OwnerItem>((items) => {
        if (this.#host === host) this.#post({ kind: 'out', to: client, items })
      })
      line = { session: host.connect((ev) => send({ ev })), send }
      this.#clients.set(client, line)
      // the client's own lock is free once its tab is gone: then forget its subscriptions
      void navigator.locks
        .request(this.#clientLock(client), { signal: this.#abort.signal }, () => this.#drop(client))
        .catch(() => {})
    }
    const { session, send } = line
    void session.handle(req).then((res) => {
      if (res !== null) send({ res })
    })
  }

  #drop(client: string): void {
    const line = this.#clients.get(client)
    if (line === undefined) return
    this.#clients.delete(client)
    line.session.close()
  }

  async #close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const host = this.#host
    if (host !== null) {
      // clients hold on to their requests until the next owner announces itself
      this.#post({ kind: 'gone', epoch: this.#epoch })
      for (const client of [...this.#clients.keys()]) this.#drop(client)
      await host.close() // releases the storage lock before the election lock below
    } else {
      this.#post({ kind: 'bye' })
    }
    this.#conn.close()
    this.#host = null
    this.#abort.abort()
    this.#release?.()
    this.#channel.close()
  }
}

/** Where the owners' term counter lives: the `local` store, under a prefix no core id takes. */
const EPOCH_KEY = new Uint8Array([
  0xff,
  0xff,
  0xff,
  0xff,
  ...new TextEncoder().encode('orchard-tabs/owner-epoch')
])

/** Takes the next owner term of the storage root (one more than the last owner's). */
async function nextEpoch(storage: Storage): Promise<number> {
  const stored = await storage.get('local', EPOCH_KEY)
  const epoch = (stored === null ? 0 : Number(new TextDecoder().decode(stored)) || 0) + 1
  await storage.write([
    { type: 'put', store: 'local', key: EPOCH_KEY, value: new TextEncoder().encode(String(epoch)) }
  ])
  return epoch
}

/**
 * Opens the storage root with `open`, waiting while another context still holds its writer lock:
 * the browser releases a closed tab's locks in no set order, so the election lock can come first.
 */
async function openWhenFree(name: string, open: (name: string) => Promise<Storage>): Promise<Storage> {
  for (;;) {
    try {
      return await open(name)
    } catch (err) {
      if (!(err instanceof StorageLockedError)) throw err
    }
    // wait for the IndexedDB root's lock (it is named as the database) to be free, then retry
    await navigator.locks.request(idbDatabaseName(name), () => {})
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
