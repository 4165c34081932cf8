/**
 * Discovery of one topic, as hyperswarm's `PeerDiscovery`: announces us under the topic while any
 * session is a server, looks the topic up while any session is a client, reports every peer found
 * to the swarm, and refreshes every ~10 minutes. `swarm.join(topic)` returns a
 * {@link PeerDiscoverySession}; the sessions of one topic share one {@link PeerDiscovery}.
 */
import { toHex } from './bytes.ts'
import type { DHTPeer, KeyPair, LookupReply, SwarmDHT } from './dht.ts'

const REFRESH_INTERVAL = 1000 * 60 * 10
const RANDOM_JITTER = 1000 * 60 * 2
/** A refresh timer this late (a laptop slept) refreshes soon instead of now. */
const DELAY_GRACE_PERIOD = 1000 * 30
const MAX_DISCOVERY_CACHE = 64

/** What a discovery needs of its swarm. */
export interface DiscoveryHost {
  /** The DHT to announce on and look the topic up on. */
  readonly dht: SwarmDHT
  /** Our key pair: the key announced under the topic. */
  readonly keyPair: KeyPair
  /** Starts (once) listening for connections; resolves when listening. */
  listen(): Promise<unknown>
  /** The pending listen, once started. */
  readonly listening: Promise<unknown> | null
  /** Forgets the topic (the last session left). */
  leave(topic: Uint8Array): Promise<void>
  /** True when a connection (pending or open) to this hex key exists. */
  hasConnection(id: string): boolean
}

/**
 * The {@link DiscoveryHost} of `swarm` (read live: its DHT, key pair and listen), where
 * `hasConnection` tells whether a key has a connection.
 */
export function discoveryHost(
  swarm: Omit<DiscoveryHost, 'hasConnection'>,
  hasConnection: (id: string) => boolean
): DiscoveryHost {
  return {
    get dht() {
      return swarm.dht
    },
    get keyPair() {
      return swarm.keyPair
    },
    get listening() {
      return swarm.listening
    },
    listen: () => swarm.listen(),
    leave: (topic) => swarm.leave(topic),
    hasConnection
  }
}

/** Options of {@link PeerDiscoverySession.refresh} (and of `swarm.join`). */
export interface DiscoveryOptions {
  /** Announce us under the topic, so peers dial us (default true). */
  server?: boolean
  /** Look the topic up and dial the peers found (default true). */
  client?: boolean
  /** Dial at most this many of the peers found per refresh. */
  limit?: number
}

/** Discovery state of one topic, shared by all sessions that joined it. */
export class PeerDiscovery {
  /** The topic (32 bytes). */
  readonly topic: Uint8Array
  /** True while we are announced under the topic (a session is a server). */
  isServer = false
  /** True while we look the topic up (a session is a client). */
  isClient = false
  /** True once destroyed (left). */
  destroyed = false
  /** True while suspended. */
  suspended: boolean
  /** Dial at most this many of the peers found per refresh. */
  limit: number
  /** @internal */
  _clientSessions = 0
  /** @internal */
  _serverSessions = 0
  /** @internal */
  readonly _sessions: PeerDiscoverySession[] = []
  readonly #host: DiscoveryHost
  readonly #onpeer: (peer: DHTPeer) => void
  #destroying: Promise<void> | null = null
  #active: AbortController | null = null
  #timer: ReturnType<typeof setTimeout> | null = null
  #currentRefresh: Promise<void> | null = null
  #needsUnannounce = false
  #refreshes = 0
  #wait: Promise<unknown> | null
  readonly #discovered = new Set<string>()
  #budget = Number.POSITIVE_INFINITY

  /** @internal created by the swarm's `join` */
  constructor(
    host: DiscoveryHost,
    topic: Uint8Array,
    opts: {
      wait?: Promise<unknown> | null
      suspended?: boolean
      limit?: number
      onpeer: (peer: DHTPeer) => void
    }
  ) {
    this.#host = host
    this.topic = topic
    this.#wait = opts.wait ?? null
    this.suspended = opts.suspended ?? false
    this.limit = opts.limit ?? Number.POSITIVE_INFINITY
    this.#onpeer = opts.onpeer
  }

  /** A new session on this topic, refreshed with `opts`. */
  session(opts: DiscoveryOptions = {}): PeerDiscoverySession {
    if (this.destroyed) throw new Error('PeerDiscovery is destroyed')
    const session = new PeerDiscoverySession(this)
    this._sessions.push(session)
    session
      .refresh({ server: opts.server ?? true, client: opts.client ?? true, limit: opts.limit })
      .catch(noop)
    return session
  }

  #isActive(): boolean {
    return !this.destroyed && !this.suspended
  }

  #refreshLater(eager: boolean): void {
    const jitter = Math.round(Math.random() * RANDOM_JITTER)
    const delay = eager ? jitter : REFRESH_INTERVAL + jitter
    if (this.#timer) clearTimeout(this.#timer)
    const start = Date.now()
    this.#timer = setTimeout(() => {
      this.#timer = null
      if (Date.now() - start > delay + DELAY_GRACE_PERIOD) this.#refreshLater(true)
      else this.refresh().catch(noop)
    }, delay)
  }

  #onreply(reply: LookupReply, clock: number): void {
    if (!this.isClient || !this.#isActive() || clock !== this.#refreshes) return
    for (const peer of reply.peers) {
      if (this.#budget < Number.POSITIVE_INFINITY) {
        const id = toHex(peer.publicKey)
        if (this.#discovered.size < MAX_DISCOVERY_CACHE) this.#discovered.add(id)
        if (this.#budget === 0) continue
        if (!this.#host.hasConnection(id)) this.#budget--
      }
      this.#onpeer(peer)
    }
  }

  async #refresh(): Promise<void> {
    if (this.suspended) return
    const clock = ++this.#refreshes
    if (this.#wait) {
      await this.#wait
      this.#wait = null
      if (clock !== this.#refreshes || !this.#isActive()) return
    }

    // the limit counts peers already connected from the last round
    let budget = this.limit
    if (budget < Number.POSITIVE_INFINITY && budget > 0) {
      for (const id of this.#discovered) {
        if (!this.#host.hasConnection(id)) continue
        if (--budget === 0) break
      }
    }
    this.#budget = budget
    this.#discovered.clear()

    const ac = new AbortController()
    this.#active = ac
    const dht = this.#host.dht
    const { keyPair } = this.#host
    try {
      if (this.isServer) {
        await this.#host.listen()
        // a newer refresh started meanwhile: yield to it
        if (clock !== this.#refreshes || !this.#isActive()) return
        this.#needsUnannounce = true
        await dht.announce(this.topic, keyPair, {
          signal: ac.signal,
          onreply: (reply) => this.#onreply(reply, clock)
        })
      } else {
        if (this.#needsUnannounce) {
          await dht.unannounce(this.topic, keyPair)
          if (clock === this.#refreshes) this.#needsUnannounce = false
        }
        for await (const reply of dht.lookup(this.topic, { signal: ac.signal })) {
          this.#onreply(reply, clock)
        }
      }
    } catch (err) {
      if (this.#isActive() && !ac.signal.aborted) throw err
    } finally {
      if (this.#active === ac) {
        this.#active = null
        if (this.#isActive()) this.#refreshLater(false)
      }
    }
  }

  /** Runs a lookup/announce now with the sessions' combined roles; false if it failed. */
  async refresh(): Promise<boolean> {
    if (this.destroyed) throw new Error('PeerDiscovery is destroyed')
    const server = this._serverSessions > 0
    const client = this._clientSessions > 0
    if (this.suspended) return true

    if (server === this.isServer && client === this.isClient) {
      this.#currentRefresh ??= this.#refresh()
    } else {
      this.#active?.abort()
      this.isServer = server
      this.isClient = client
      this.#currentRefresh = this.#refresh()
    }

    const refresh = this.#currentRefresh
    try {
      await refresh
      return true
    } catch {
      return false
    } finally {
      if (refresh === this.#currentRefresh) this.#currentRefresh = null
    }
  }

  /** Resolves once the current announce/lookup finished (true) or failed (false). */
  async flushed(): Promise<boolean> {
    if (this.#host.listening) await this.#host.listening.catch(noop)
    try {
      await this.#currentRefresh
      return true
    } catch {
      return false
    }
  }

  /** @internal a session left: leave the topic, or stop announcing */
  async _destroyMaybe(): Promise<void> {
    if (this.destroyed) return
    try {
      if (this._sessions.length === 0) await this.#host.leave(this.topic)
      else if (this._serverSessions === 0 && this.#needsUnannounce) await this.refresh()
    } catch {
      // network failures while tearing down are not the caller's problem
    }
  }

  /** Stops discovery of the topic and unannounces us. */
  destroy(): Promise<void> {
    if (this.#destroying) return this.#destroying
    this.destroyed = true
    this.#destroying = this.#abort()
    return this.#destroying
  }

  async #abort(): Promise<void> {
    if (this.#wait) await this.#wait
    this.#active?.abort()
    this.#active = null
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    if (this.#currentRefresh) await this.#currentRefresh.catch(noop)
    if (this.#isActive()) return
    if (this.#needsUnannounce) {
      this.#needsUnannounce = false
      await this.#host.dht.unannounce(this.topic, this.#host.keyPair).catch(noop)
    }
  }

  /** Pauses discovery (and unannounces); see {@link resume}. */
  async suspend(): Promise<void> {
    if (this.suspended) return
    this.suspended = true
    await this.#abort().catch(noop)
  }

  /** Resumes discovery after {@link suspend}. */
  resume(): void {
    if (!this.suspended) return
    this.suspended = false
    this.refresh().catch(noop)
  }
}

/** One `join` of a topic: its own server/client roles, combined with the topic's other sessions. */
export class PeerDiscoverySession {
  /** The shared discovery of the topic. */
  readonly discovery: PeerDiscovery
  /** True while this session looks the topic up. */
  isClient = false
  /** True while this session announces us. */
  isServer = false
  /** True once destroyed. */
  destroyed = false

  /** @internal created by {@link PeerDiscovery.session} */
  constructor(discovery: PeerDiscovery) {
    this.discovery = discovery
  }

  /** The topic. */
  get topic(): Uint8Array {
    return this.discovery.topic
  }

  /**
   * Changes this session's roles (either stays as it is when omitted) and runs a lookup/announce
   * now; resolves false when it failed.
   */
  async refresh(opts: DiscoveryOptions = {}): Promise<boolean> {
    if (this.destroyed) throw new Error('PeerDiscovery is destroyed')
    const client = opts.client ?? this.isClient
    const server = opts.server ?? this.isServer
    if (!client && !server) throw new Error('Cannot refresh with neither client nor server option')
    if (client !== this.isClient) {
      this.isClient = client
      this.discovery._clientSessions += client ? 1 : -1
    }
    if (server !== this.isServer) {
      this.isServer = server
      this.discovery._serverSessions += server ? 1 : -1
    }
    this.discovery.limit = opts.limit ?? Number.POSITIVE_INFINITY
    return this.discovery.refresh()
  }

  /** Resolves once the topic's current announce/lookup finished (true) or failed (false). */
  flushed(): Promise<boolean> {
    return this.discovery.flushed()
  }

  /** Ends this session; the last one of a topic leaves it (and unannounces). */
  async destroy(): Promise<void> {
    if (this.destroyed) return
    this.destroyed = true
    if (this.isClient) this.discovery._clientSessions--
    if (this.isServer) this.discovery._serverSessions--
    const sessions = this.discovery._sessions
    const i = sessions.indexOf(this)
    if (i !== -1) sessions.splice(i, 1)
    return this.discovery._destroyMaybe()
  }
}

/** Swallows what nobody needs to hear (a settled announce, a closing connection's error). */
export function noop(): void {}

/** The swarm's joined topics: one {@link PeerDiscovery} per topic, by hex topic. */
export class TopicDiscoveries {
  readonly #byId = new Map<string, PeerDiscovery>()
  readonly #host: DiscoveryHost
  readonly #onpeer: (peer: DHTPeer, topic: Uint8Array) => void

  /** Discoveries on `host`, reporting every peer found (with its topic) to `onpeer`. */
  constructor(host: DiscoveryHost, onpeer: (peer: DHTPeer, topic: Uint8Array) => void) {
    this.#host = host
    this.#onpeer = onpeer
  }

  /** A new session of `topic`'s discovery (started now unless it runs already); see `swarm.join`. */
  join(topic: Uint8Array, opts: DiscoveryOptions, suspended: boolean): PeerDiscoverySession {
    if (!(topic instanceof Uint8Array) || topic.byteLength !== 32) {
      throw new TypeError('Topic is required and must be a 32-byte Uint8Array')
    }
    const own = new Uint8Array(topic) // our own copy: callers may reuse theirs
    const id = toHex(own)
    let discovery = this.#byId.get(id)
    if (discovery && !discovery.destroyed) return discovery.session(opts)
    discovery = new PeerDiscovery(this.#host, own, {
      limit: opts.limit,
      wait: discovery ? discovery.destroy() : null,
      suspended,
      onpeer: (peer) => this.#onpeer(peer, own)
    })
    this.#byId.set(id, discovery)
    return discovery.session(opts)
  }

  /** Stops and forgets `topic`'s discovery (network failures while unannouncing are ignored). */
  async leave(topic: Uint8Array): Promise<void> {
    const id = toHex(topic)
    const discovery = this.#byId.get(id)
    if (!discovery) return
    await discovery.destroy().catch(() => {})
    if (this.#byId.get(id) === discovery) this.#byId.delete(id)
  }

  /** The discovery of `topic` (bytes or hex), if joined. */
  get(topic: Uint8Array | string): PeerDiscovery | undefined {
    return this.#byId.get(typeof topic === 'string' ? topic : toHex(topic))
  }

  /** Every joined topic's discovery. */
  values(): IterableIterator<PeerDiscovery> {
    return this.#byId.values()
  }

  /** Stops and forgets every discovery; resolves once all unannounced (or failed to). */
  async clear(): Promise<void> {
    const leaving = [...this.#byId.values()].map((d) => d.destroy())
    this.#byId.clear()
    await Promise.allSettled(leaving)
  }
}
