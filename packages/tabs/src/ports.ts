/**
 * One store, held in this page or in a worker. {@link openStore} holds it in this page;
 * {@link serveStore} serves a held store over a MessagePort-like channel (a dedicated worker's
 * scope, a SharedWorker's connection port, one end of a MessageChannel), and
 * {@link connectStore} is the thin client on the other end — the same `SharedStore` API either way.
 */
import type { Storage } from '@orchard/storage'
import { Connection, localTransport, type Transport } from './connection.ts'
import { StoreHost, type StoreHostOptions } from './host.ts'
import { coalesce, type OwnerItem, PROTOCOL_VERSION, type Request } from './protocol.ts'
import { SharedStore, wire } from './store.ts'

/** Marks this package's messages on a channel that may carry others too. */
const TAG = 'orchard-tabs'

type PortMessage =
  | { tag: typeof TAG; kind: 'req'; reqs: Request[] }
  | { tag: typeof TAG; kind: 'out'; items: OwnerItem[] }

/** What both ends need of a channel: a Worker, a MessagePort, a worker's own scope. */
export interface MessagePortLike {
  /** Sends a structured-clone message. */
  postMessage(message: unknown): void
  /** Listens for messages. */
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void
  /** Stops listening. */
  removeEventListener(type: 'message', listener: (event: MessageEvent) => void): void
  /** Starts delivery (MessagePorts from `addEventListener` need it). */
  start?(): void
}

/**
 * A store held in one page or worker has no other owner to fail over to: no client of an earlier
 * one will re-send, so their exactly-once records can go.
 */
const noFailover = () => false

function isOurs(data: unknown): data is PortMessage {
  return typeof data === 'object' && data !== null && (data as { tag?: unknown }).tag === TAG
}

/**
 * Holds a store in this page: the storage root (a `Storage` or a promise of one, e.g.
 * `openIdbStorage('app')`), the Corestore on it and every write, with the `SharedStore` API.
 */
export function openStore(storage: Storage | Promise<Storage>, opts: StoreHostOptions = {}): SharedStore {
  const host = new StoreHost(storage, { clientAlive: noFailover, ...opts })
  const conn = new Connection()
  conn.attach(localTransport((emit) => host.connect(emit), conn))
  const store: SharedStore = new SharedStore(
    wire(conn, {
      ready: () => host.ready(),
      close: async () => {
        conn.close()
        await host.close()
      },
      host: () => host
    })
  )
  store._setOwner(true)
  return store
}

/** A running server of a store on one channel. */
export interface StoreServer {
  /** Stops answering on the channel (the host stays open). */
  close(): void
}

/** Serves `host` to the client at the other end of `port`. */
export function serveStore(host: StoreHost, port: MessagePortLike): StoreServer {
  const send = coalesce<OwnerItem>((items) =>
    port.postMessage({ tag: TAG, kind: 'out', items } satisfies PortMessage)
  )
  const session = host.connect((ev) => send({ ev }))
  const onmessage = (event: MessageEvent) => {
    const data = event.data
    if (!isOurs(data) || data.kind !== 'req') return
    for (const req of data.reqs) {
      void session.handle(req).then((res) => {
        if (res !== null) send({ res })
      })
    }
  }
  port.addEventListener('message', onmessage)
  port.start?.()
  return {
    close() {
      port.removeEventListener('message', onmessage)
      session.close()
    }
  }
}

/**
 * In a worker: holds the store kept in `storage` (or serves `host`) and serves it to the page —
 * the dedicated worker's page through its scope, or every page that connects to a SharedWorker.
 * Returns the host (its `corestore` is there for replication from the worker).
 */
export function serveWorker(
  storage: StoreHost | Storage | Promise<Storage>,
  scope: unknown = globalThis,
  opts: StoreHostOptions = {}
): StoreHost {
  const host =
    storage instanceof StoreHost ? storage : new StoreHost(storage, { clientAlive: noFailover, ...opts })
  const shared = scope as { addEventListener(t: 'connect', l: (e: MessageEvent) => void): void }
  if (typeof (scope as { onconnect?: unknown }).onconnect !== 'undefined') {
    // a SharedWorker: every page connects with its own port
    shared.addEventListener('connect', (event) => {
      for (const port of event.ports) serveStore(host, port)
    })
  } else {
    serveStore(host, scope as MessagePortLike)
  }
  return host
}

/**
 * The thin client of a store held elsewhere — a `Worker`, a SharedWorker's `port`, or one end of
 * a MessageChannel whose other end is served by {@link serveStore} — with the `SharedStore` API.
 */
export function connectStore(port: MessagePortLike): SharedStore {
  const conn = new Connection()
  const onmessage = (event: MessageEvent) => {
    const data = event.data
    if (!isOurs(data) || data.kind !== 'out') return
    for (const item of data.items) {
      if ('res' in item) conn.receive(item.res)
      else conn.event(item.ev)
    }
  }
  const send = coalesce<Request>((reqs) =>
    port.postMessage({ tag: TAG, kind: 'req', reqs } satisfies PortMessage)
  )
  const transport: Transport = {
    send,
    detach() {
      port.removeEventListener('message', onmessage)
    }
  }
  port.addEventListener('message', onmessage)
  port.start?.()
  conn.attach(transport)
  return new SharedStore(
    wire(conn, {
      ready: () => conn.request('store.ready', [PROTOCOL_VERSION]).then(() => {}),
      close: async () => conn.close()
    })
  )
}
