/**
 * A swarm's DHT through a relay that survives the relay going away: {@link RelaySwarmDHT} holds one
 * {@link RelayDHT} session at a time and, when the session is lost (the relay restarted, the
 * network dropped), opens a new one on a new WebSocket with the same key pair, listens again and
 * re-announces the topics it announced. Connections of the lost session close; the swarm dials its
 * peers again (its own backoff), through the new session.
 *
 * It has the shape of `@orchard/swarm`'s `SwarmDHT` (checked at compile time), so a tab writes:
 *
 * ```ts
 * const dht = new RelaySwarmDHT({ socket: () => new WebSocket(url), keyPair })
 * const swarm = new Swarm({ dht, keyPair: dht.defaultKeyPair })
 * ```
 */
import { keyPair as generateKeyPair, type KeyPair, ready } from '@orchard/crypto'
import { Emitter } from '@orchard/events'
import type { RelayConnector, SwarmDHT } from '@orchard/swarm'
import { SecretStream, type WebSocketLike } from '@orchard/wire'
import { RelayError } from '../protocol/index.ts'
import { type RelayAnnounceOptions, RelayDHT, type RelayLookupOptions } from './relay-dht.ts'
import { type RelayConnectionServerOptions, RelayDHTServer } from './server.ts'
import { equal, hex, type LookupReply } from './util.ts'

/** Options of a {@link RelaySwarmDHT}. */
export interface RelaySwarmDHTOptions {
  /** Opens a new WebSocket to the relay: called for the first session and for every reconnect. */
  socket: () => WebSocketLike
  /** The tab's key pair, kept across sessions (default: a fresh one). Its secret key never leaves the tab. */
  keyPair?: KeyPair
  /** Reopen the session when it is lost (default true). */
  reconnect?: boolean
  /** Delays (ms) before successive reconnect attempts; the last one repeats (default 250, 1000, 2500, 5000). */
  reconnectDelays?: number[]
}

/** Events of a {@link RelaySwarmDHT}. */
export interface RelaySwarmDHTEvents {
  /** A session opened (the first one, then each reconnect), already listening and re-announced. */
  session: [session: RelayDHT]
  /** The current session was lost with `err`; a reconnect follows unless disabled. */
  disconnect: [err: RelayError | null]
  /** The DHT was destroyed. */
  close: []
}

const DEFAULT_DELAYS = [250, 1000, 2500, 5000]

/** A reconnecting relay session with the shape of `@orchard/swarm`'s `SwarmDHT` (see the module doc). */
export class RelaySwarmDHT extends Emitter<RelaySwarmDHTEvents> {
  /** The tab's key pair: every session opens with it, and the swarm must use it. */
  readonly defaultKeyPair: KeyPair
  /** True once destroyed. */
  destroyed = false
  /** Sessions opened so far (1 before any reconnect). */
  sessions = 0
  #session: RelayDHT
  readonly #opts: RelaySwarmDHTOptions
  readonly #delays: number[]
  #attempt = 0
  #timer: ReturnType<typeof setTimeout> | null = null
  /** Topics announced and not unannounced: re-announced on every new session. */
  readonly #topics = new Map<string, Uint8Array>()
  #server: RelayDHTServer | null = null
  #serverKeyPair: KeyPair | null = null
  /** The current session's own server, listening for {@link #server}. */
  #inner: RelayDHTServer | null = null
  /** The session the inner server listens on, and that listen. */
  #listening: { session: RelayDHT; done: Promise<void> } | null = null
  #live: Promise<RelayDHT>
  #resolveLive!: (s: RelayDHT) => void
  #rejectLive!: (err: Error) => void

  /** Opens the first session at once (see {@link RelaySwarmDHTOptions}). */
  constructor(opts: RelaySwarmDHTOptions) {
    super()
    this.#opts = opts
    this.#delays = opts.reconnectDelays?.length ? opts.reconnectDelays : DEFAULT_DELAYS
    this.#live = this.#newLive()
    this.#session = this.#open(opts.keyPair)
    this.defaultKeyPair = this.#session.defaultKeyPair
  }

  /** The current session (a new one after each reconnect). */
  get session(): RelayDHT {
    return this.#session
  }

  /**
   * Resolves once a session is open; rejects if the session being opened fails first (a
   * reconnect still follows) or the DHT is destroyed.
   */
  ready(): Promise<void> {
    return this.#live.then(() => {})
  }

  /**
   * The session's key pair without `seed` (a relay session acts with that key only); with `seed`,
   * a key pair from it, as hyperdht's `keyPair(seed)`.
   */
  keyPair(seed?: Uint8Array): KeyPair {
    return seed ? generateKeyPair(seed) : this.defaultKeyPair
  }

  #newLive(): Promise<RelayDHT> {
    const p = new Promise<RelayDHT>((resolve, reject) => {
      this.#resolveLive = resolve
      this.#rejectLive = reject
    })
    p.catch(() => {})
    return p
  }

  #open(keyPair: KeyPair | undefined): RelayDHT {
    const session = new RelayDHT(this.#opts.socket(), keyPair ? { keyPair } : {})
    this.#session = session
    this.sessions++
    session.on('close', (err) => this.#onClose(session, err))
    session.opened.then(
      () => this.#onOpened(session),
      () => {} // 'close' follows
    )
    return session
  }

  async #onOpened(session: RelayDHT): Promise<void> {
    if (session !== this.#session || this.destroyed) return
    this.#attempt = 0
    const kp = this.#serverKeyPair
    if (this.#server && kp) await this.#listenOn(session, kp).catch(() => {})
    for (const topic of this.#topics.values()) {
      session.announce(topic, this.defaultKeyPair).catch(() => {})
    }
    if (session !== this.#session || session.destroyed) return
    this.#resolveLive(session)
    this.emit('session', session)
  }

  #onClose(session: RelayDHT, err: RelayError | null): void {
    if (session !== this.#session || this.destroyed) return
    this.#rejectLive(err ?? new RelayError('CLOSED', 'the session closed'))
    this.#live = this.#newLive()
    this.emit('disconnect', err)
    if (this.#opts.reconnect === false) return
    const delay = this.#delays[Math.min(this.#attempt++, this.#delays.length - 1)]!
    this.#timer = setTimeout(() => {
      this.#timer = null
      if (this.destroyed) return
      ready().then(() => {
        if (!this.destroyed) this.#open(this.defaultKeyPair)
      })
    }, delay)
  }

  /** The open session, waiting for a reconnect when there is none. */
  async #current(signal?: AbortSignal): Promise<RelayDHT> {
    if (this.destroyed) throw new RelayError('CLOSED', 'the DHT was destroyed')
    const s = this.#session
    if (!s.destroyed) {
      await s.opened.catch(() => {})
      if (!s.destroyed) return s
    }
    if (!signal) return this.#live
    signal.throwIfAborted()
    return Promise.race([
      this.#live,
      new Promise<never>((_, reject) =>
        signal.addEventListener('abort', () => reject(signal.reason), { once: true })
      )
    ])
  }

  /** Looks `topic` up through the current session: one reply per DHT node that answered. */
  async *lookup(topic: Uint8Array, opts: RelayLookupOptions = {}): AsyncGenerator<LookupReply> {
    const session = await this.#current(opts.signal)
    yield* session.lookup(topic, opts)
  }

  /** Announces the session's key under `topic` (again on every new session until unannounced). */
  async announce(topic: Uint8Array, keyPair?: KeyPair, opts: RelayAnnounceOptions = {}): Promise<void> {
    this.#checkKey(keyPair)
    this.#topics.set(hex(topic), topic.slice())
    const session = await this.#current(opts.signal)
    await session.announce(topic, keyPair, opts)
  }

  /** Removes the announcement of `topic` (and stops re-announcing it). */
  async unannounce(topic: Uint8Array, keyPair?: KeyPair): Promise<void> {
    this.#checkKey(keyPair)
    this.#topics.delete(hex(topic))
    const session = this.#session
    if (session.destroyed) return // a lost session's records expire with the DHT's TTL
    await session.unannounce(topic, keyPair)
  }

  /** The server of the tab's key: listens through every session, its connections go to `onconnection`. */
  createServer(
    opts: RelayConnectionServerOptions = {},
    onconnection?: (conn: SecretStream) => void
  ): RelayDHTServer {
    const server: RelayDHTServer = new RelayDHTServer(opts, {
      listen: async (keyPair) => {
        this.#checkKey(keyPair)
        if (this.#server && this.#server !== server)
          throw new RelayError('PROTOCOL', 'the DHT already has a server')
        this.#server = server
        this.#serverKeyPair = keyPair
        await this.#listenOn(await this.#current(), keyPair)
        return this.defaultKeyPair.publicKey
      },
      close: async () => {
        if (this.#server !== server) return
        this.#server = null
        this.#serverKeyPair = null
        this.#listening = null
        await this.#inner?.close()
        this.#inner = null
      }
    })
    if (onconnection) server.on('connection', onconnection)
    return server
  }

  /**
   * Listens on `session` for the outer server, forwarding its connections. Once per session: a
   * server created while the first session opens is asked to listen both by `listen()` and by the
   * session opening, and the second ask joins the first.
   */
  #listenOn(session: RelayDHT, keyPair: KeyPair): Promise<void> {
    const outer = this.#server
    if (!outer) return Promise.resolve()
    if (this.#listening?.session === session) return this.#listening.done
    const inner = session.createServer({ firewall: (key) => outer.refuses(key) }, (conn) =>
      outer.emit('connection', conn)
    )
    this.#inner = inner
    const done = inner.listen(keyPair).then(
      () => {},
      (err: unknown) => {
        if (this.#listening?.session === session) this.#listening = null
        throw err
      }
    )
    this.#listening = { session, done }
    return done
  }

  /**
   * Dials `remotePublicKey` through the current session (the connection opens asynchronously).
   * Between sessions it fails at once with a `CLOSED` error: the swarm retries with its backoff.
   */
  connect(remotePublicKey: Uint8Array, opts: { keyPair?: KeyPair } = {}): SecretStream {
    this.#checkKey(opts.keyPair)
    const session = this.#session
    if (!session.destroyed && !this.destroyed) return session.connect(remotePublicKey, opts)
    const conn = new SecretStream(true, null, { keyPair: this.defaultKeyPair })
    conn.remotePublicKey = remotePublicKey.slice()
    queueMicrotask(() => conn.destroy(new RelayError('CLOSED', 'no relay session (reconnecting)')))
    return conn
  }

  #checkKey(keyPair: KeyPair | undefined): void {
    if (keyPair && !equal(keyPair.publicKey, this.defaultKeyPair.publicKey)) {
      throw new RelayError('REFUSED', 'a relay session acts only with the key pair it was opened with')
    }
  }

  /** Stops reconnecting and closes the current session. */
  async destroy(): Promise<void> {
    if (this.destroyed) return
    this.destroyed = true
    if (this.#timer) clearTimeout(this.#timer)
    this.#rejectLive(new RelayError('CLOSED', 'the DHT was destroyed'))
    await this.#session.destroy()
    this.emit('close')
  }
}

/** What {@link refreshOnReconnect} needs of a swarm (`@orchard/swarm`'s `Swarm` is one). */
export interface RefreshableSwarm {
  /** The discoveries of the joined topics. */
  topics(): Iterable<{ refresh(): Promise<unknown> }>
}

/**
 * Re-joins `swarm`'s topics on every new session of `dht` after the first: each discovery is
 * refreshed (announced and looked up again through the new relay session), so the peers found
 * are dialled again even when their retries ran out while the relay was away. Returns a function
 * that stops it.
 */
export function refreshOnReconnect(dht: RelaySwarmDHT, swarm: RefreshableSwarm): () => void {
  const onsession = () => {
    if (dht.sessions < 2) return
    for (const discovery of swarm.topics()) discovery.refresh().catch(() => {})
  }
  dht.on('session', onsession)
  return () => dht.off('session', onsession)
}

/** Options of {@link relayNode}. */
export interface RelayNodeOptions {
  /** Delays (ms) before successive reconnect attempts (see {@link RelaySwarmDHTOptions}). */
  reconnectDelays?: number[]
}

/**
 * A swarm's way onto the DHT through the relay node at `url` (or through the WebSockets `url`
 * opens): pass it as `@orchard/swarm`'s `relay` option. The swarm's key pair stays in the tab; the
 * session reconnects when the relay goes away, and the swarm's topics are announced and looked up
 * again on each new session.
 *
 * ```ts
 * const swarm = new Swarm({ relay: relayNode('wss://relay.example') })
 * swarm.on('connection', (conn) => core.replicate(conn))
 * swarm.join(topic)
 * ```
 */
export function relayNode(url: string | (() => WebSocketLike), opts: RelayNodeOptions = {}): RelayConnector {
  const socket =
    typeof url === 'string'
      ? () => {
          const WS = (globalThis as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket
          if (!WS) {
            throw new TypeError(
              'relayNode(url) needs a global WebSocket; here pass a socket factory, e.g. () => new WebSocket(url) from the ws package'
            )
          }
          return new WS(url)
        }
      : url
  return ({ keyPair, seed }) => {
    const kp = keyPair ?? generateKeyPair(seed)
    const dht = new RelaySwarmDHT({ socket, keyPair: kp, reconnectDelays: opts.reconnectDelays })
    return { dht, keyPair: kp, attach: (swarm) => refreshOnReconnect(dht, swarm) }
  }
}

type AssertTrue<T extends true> = T

/**
 * Compile-time proof that a relay session ({@link RelayDHT}) and the reconnecting
 * {@link RelaySwarmDHT} are `@orchard/swarm` `SwarmDHT`s: the typecheck fails otherwise.
 * @internal
 */
export type RelayDHTFitsSwarm = AssertTrue<
  RelayDHT extends SwarmDHT ? (RelaySwarmDHT extends SwarmDHT ? true : false) : false
>
