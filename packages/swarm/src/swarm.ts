/**
 * The swarm: Hyperswarm 4's API on a {@link SwarmDHT}. It joins topics (announce and/or look up),
 * dials the peers found through a priority queue, accepts the peers that dial us, keeps exactly
 * one connection per remote key (resolving simultaneous dials by the same rule as hyperswarm, so
 * both ends, ours or Holepunch's, keep the same one), and retries dropped peers with backoff.
 */
import { Emitter } from '@orchard/events'
import { compare, equals, toHex } from './bytes.ts'
import { ConnectionSet, FlushWaiters, PeerQueue } from './connection-set.ts'
import type { DHTPeer, DHTServer, KeyPair, SwarmConnection, SwarmDHT } from './dht.ts'
import {
  type DiscoveryOptions,
  discoveryHost,
  noop,
  type PeerDiscovery,
  type PeerDiscoverySession,
  TopicDiscoveries
} from './peer-discovery.ts'
import { PeerInfo } from './peer-info.ts'
import { RetryTimer } from './retry-timer.ts'
import {
  type Firewall,
  openSwarmDHT,
  type SwarmEvents,
  type SwarmOptions,
  type SwarmStats
} from './swarm-types.ts'
import { type ConnectionType, type WebRtcUpgrades, webRtcUpgrades } from './webrtc-upgrade.ts'

export type {
  Firewall,
  RelayConnector,
  RelayedDHT,
  SwarmEvents,
  SwarmOptions,
  SwarmStats
} from './swarm-types.ts'

const MAX_PEERS = 64
const MAX_PARALLEL = 3

/**
 * A swarm of peers: `join(topic)` to find peers by topic, `joinPeer(key)` to keep a connection to
 * one peer, `'connection'` for every encrypted connection.
 *
 * ```ts
 * const swarm = new Swarm({ dht: createNodeDHT() })
 * swarm.on('connection', (conn) => core.replicate(conn))
 * await swarm.join(core.discoveryKey).flushed()
 * ```
 */
export class Swarm extends Emitter<SwarmEvents> {
  /** Our static key pair. */
  readonly keyPair: KeyPair
  /** The DHT underneath. */
  readonly dht: SwarmDHT
  /** The server accepting connections to {@link keyPair}. */
  readonly server: DHTServer
  /** True once {@link destroy} ran. */
  destroyed = false
  /** True between {@link suspend} and {@link resume}. */
  suspended = false
  /** Most connections to keep. */
  maxPeers: number
  /** Most connections we dial. */
  maxClientConnections: number
  /** Most connections we accept. */
  maxServerConnections: number
  /** Most dials in flight at once. */
  maxParallel: number
  /** Dials in flight. */
  connecting = 0
  /** Open connections. */
  readonly connections = new Set<SwarmConnection>()
  /** Known peers by hex public key. */
  readonly peers = new Map<string, PeerInfo>()
  /** Peers joined by key. */
  readonly explicitPeers = new Set<PeerInfo>()
  /** The pending (or finished) listen, once a topic was joined as a server. */
  listening: Promise<unknown> | null = null
  /** Connection counters. */
  readonly stats: SwarmStats = {
    updates: 0,
    connects: { client: { opened: 0, closed: 0, attempted: 0 }, server: { opened: 0, closed: 0 } },
    bannedPeers: 0
  }

  readonly #discovery = new TopicDiscoveries(
    discoveryHost(this, (id) => this.#all.has(id)),
    (peer, topic) => this.#handlePeer(peer, topic)
  )
  #timer: RetryTimer
  #queue = new PeerQueue()
  /** Every connection, pending or open, by remote key. */
  readonly #all = new ConnectionSet()
  /** Connections known to have opened (the dedup's "established" test where bytes are not counted). */
  readonly #opened = new WeakSet<SwarmConnection>()
  readonly #flushes = new FlushWaiters()
  #draining = false
  #clientConnections = 0
  #serverConnections = 0
  readonly #firewall: Firewall
  /** How the DHT's connections travel: `'relay'` for a swarm opened through a relay. */
  readonly #transport: ConnectionType
  /** WebRTC upgrades, when asked for. */
  readonly #webrtc: WebRtcUpgrades | null

  /** A swarm on `opts.dht`. */
  constructor(opts: SwarmOptions) {
    super()
    const opened = openSwarmDHT(opts)
    this.dht = opened.dht
    this.keyPair = opened.keyPair
    opened.attach?.(this)
    this.maxPeers = opts.maxPeers ?? MAX_PEERS
    this.maxClientConnections = opts.maxClientConnections ?? Number.POSITIVE_INFINITY
    this.maxServerConnections = opts.maxServerConnections ?? Number.POSITIVE_INFINITY
    this.maxParallel = opts.maxParallel ?? MAX_PARALLEL
    this.#firewall = opts.firewall ?? (() => false)
    this.#transport = opts.relay && !opts.dht ? 'relay' : 'dht'
    this.#webrtc = webRtcUpgrades(opts.webrtc, {
      keyPair: this.keyPair,
      adopt: (relayed, direct, peer) => this.#adopt(relayed, direct, peer),
      upgraded: (direct, relayed, peer) => this.emit('upgrade', direct, relayed, peer),
      failed: (err, conn, peer) => this.emit('upgrade-error', err, conn, peer)
    })
    const timerOpts = { backoffs: opts.backoffs, jitter: opts.jitter }
    this.#timer = new RetryTimer((batch) => this.#requeue(batch), timerOpts)
    this.server = this.dht.createServer(
      { firewall: (key, payload) => this.#handleFirewall(key, payload ?? null, true) },
      (conn) => this.#handleServerConnection(conn)
    )
    this.on('update', () => {
      this.stats.updates++
    })
  }

  // --- topics and peers ------------------------------------------------------------------------

  /**
   * Joins `topic` (32 bytes): as a server (announced, peers dial us) and/or a client (we look it
   * up and dial the peers found); both by default. `await discovery.flushed()` waits until the
   * announce/lookup finished.
   */
  join(topic: Uint8Array, opts: DiscoveryOptions = {}): PeerDiscoverySession {
    if (this.destroyed) throw new Error('Swarm destroyed')
    return this.#discovery.join(topic, opts, this.suspended)
  }

  /** Leaves `topic`: no more lookups or announces (existing connections stay). */
  leave(topic: Uint8Array): Promise<void> {
    return this.#discovery.leave(topic)
  }

  /**
   * How `conn` (one of {@link connections}) reaches its peer: `'webrtc'` once upgraded to a direct
   * data channel (the `webrtc` option), else `'relay'` for a swarm opened through a relay, `'dht'`.
   */
  connectionType(conn: SwarmConnection): ConnectionType {
    return this.#webrtc?.isDirect(conn) ? 'webrtc' : this.#transport
  }

  /** The discovery of `topic`, or null when not joined. */
  status(topic: Uint8Array): PeerDiscovery | null {
    return this.#discovery.get(topic) ?? null
  }

  /** The discoveries of every joined topic. */
  topics(): IterableIterator<PeerDiscovery> {
    return this.#discovery.values()
  }

  /** Keeps a connection to the peer with `publicKey` (dialling it, and redialling with backoff). */
  joinPeer(publicKey: Uint8Array): void {
    const peer = this.#upsertPeer(publicKey)
    if (!peer) return
    if (!this.explicitPeers.has(peer)) {
      peer.explicit = true
      this.explicitPeers.add(peer)
    }
    if (this.#all.has(publicKey)) return
    if (peer._updatePriority()) this.#enqueue(peer)
  }

  /** Stops keeping a connection to `publicKey` (an open one stays). */
  leavePeer(publicKey: Uint8Array): void {
    const peer = this.peers.get(toHex(publicKey))
    if (!peer) return
    peer.explicit = false
    this.explicitPeers.delete(peer)
    this.#maybeDeletePeer(peer)
  }

  /** Starts listening for connections (joining as a server does it). */
  listen(): Promise<unknown> {
    if (!this.listening) {
      if (this.destroyed) throw new Error('Swarm destroyed')
      this.listening = this.server.listen(this.keyPair)
    }
    return this.listening
  }

  /**
   * Resolves once every topic's announce/lookup finished and every peer found then was dialled to
   * an open connection or a failure (true), or false if the swarm was destroyed meanwhile.
   */
  async flush(): Promise<boolean> {
    await Promise.all([...this.#discovery.values()].map((d) => d.flushed()))
    if (this.#flushAllMaybe()) return true
    const pending = this.#all.size - this.connections.size
    if (this.#queue.length === 0 && pending === 0) return true
    return this.#flushes.wait(this.#queue.length + pending)
  }

  // --- lifecycle -------------------------------------------------------------------------------

  /** Leaves every topic (unannouncing). */
  clear(): Promise<void> {
    return this.#discovery.clear()
  }

  /** Leaves every topic, closes every connection and the server, and destroys the DHT. */
  async destroy(): Promise<void> {
    if (this.destroyed) return
    this.destroyed = true
    this.#timer.destroy()
    await this.clear()
    await this.server.close().catch(noop)
    this.#webrtc?.closeAll()
    for (const conn of this.#all) {
      conn.on('error', noop)
      conn.destroy()
    }
    this.#flushes.releaseAll(false)
    await this.dht.destroy()
  }

  /** Pauses everything (e.g. an app going to the background): drops connections, stops discovery. */
  async suspend(): Promise<void> {
    if (this.suspended) return
    const pending: Promise<unknown>[] = []
    if (this.server.suspend) pending.push(this.server.suspend())
    for (const d of this.#discovery.values()) pending.push(d.suspend())
    const closing: Promise<unknown>[] = []
    this.#webrtc?.closeAll()
    for (const conn of this.#all) {
      closing.push(new Promise((resolve) => conn.once('close', resolve)))
      conn.on('error', noop)
      conn.destroy()
    }
    this.suspended = true
    await Promise.allSettled(pending)
    if (this.dht.suspend) await this.dht.suspend()
    await Promise.all(closing)
    const { backoffs, jitter } = this.#timer
    this.#timer.destroy()
    this.#timer = new RetryTimer((batch) => this.#requeue(batch), { backoffs, jitter })
    this.#queue = new PeerQueue()
  }

  /** Resumes after {@link suspend}: discovery restarts and explicit peers are redialled. */
  async resume(): Promise<void> {
    if (!this.suspended) return
    if (this.dht.resume) await this.dht.resume()
    if (this.server.resume) await this.server.resume()
    for (const d of this.#discovery.values()) d.resume()
    this.suspended = false
    this.#attemptClientConnections()
  }

  // --- internals: discovery ------------------------------------------------------------------

  #upsertPeer(publicKey: Uint8Array): PeerInfo | null {
    if (equals(publicKey, this.keyPair.publicKey)) return null
    const id = toHex(publicKey)
    let peer = this.peers.get(id)
    if (peer) return peer
    peer = new PeerInfo(new Uint8Array(publicKey))
    peer._onban = (banned) => {
      if (!banned) return
      // a banned peer's connection goes too
      const conn = this.#all.get(id)
      if (conn) {
        conn.on('error', noop)
        conn.destroy(new Error('Peer is banned'))
      }
    }
    this.peers.set(id, peer)
    return peer
  }

  #handlePeer(found: DHTPeer, topic: Uint8Array): void {
    const peer = this.#upsertPeer(found.publicKey)
    if (peer) peer._topic(topic)
    if (!peer || this.#all.has(found.publicKey)) return
    if (!peer.prioritized || peer.server) peer._reset()
    if (peer._updatePriority()) this.#enqueue(peer)
  }

  #maybeDeletePeer(peer: PeerInfo): void {
    if (!peer.shouldGC()) return
    if (this.#all.has(peer.publicKey)) return
    this.peers.delete(toHex(peer.publicKey))
  }

  #shouldRequeue(peer: PeerInfo): boolean {
    if (this.suspended || this.destroyed) return false
    if (peer.explicit) return true
    for (const topic of peer.topics) if (this.#discovery.get(topic)) return true
    return false
  }

  // --- internals: the connect queue --------------------------------------------------------

  #enqueue(peer: PeerInfo): void {
    if (peer.queued) return
    peer.queued = true
    peer._flushTick = this.#flushes.tick
    this.#queue.add(peer)
    this.#attemptClientConnections()
  }

  #requeue(batch: PeerInfo[]): void {
    if (this.suspended || this.destroyed) return
    for (const peer of batch) {
      peer.waiting = false
      if (!peer._updatePriority() || this.#all.has(peer.publicKey) || peer.queued) continue
      peer.queued = true
      peer._flushTick = this.#flushes.tick
      this.#queue.add(peer)
    }
    this.#attemptClientConnections()
  }

  #withinMaxPeers(): boolean {
    const e = this.explicitPeers.size
    const factor = e === 0 ? 1 : e < 2 ? 2 : e < 4 ? 3 : 4
    return factor * this.#all.size < this.maxPeers
  }

  #flushAllMaybe(): boolean {
    if (
      this.connecting > 0 ||
      (this.#withinMaxPeers() && this.#clientConnections < this.maxClientConnections)
    ) {
      return false
    }
    this.#flushes.releaseAll(true)
    return true
  }

  #shouldConnect(): boolean {
    return (
      !this.destroyed &&
      !this.suspended &&
      this.connecting < this.maxParallel &&
      this.#withinMaxPeers() &&
      this.#clientConnections < this.maxClientConnections
    )
  }

  #attemptClientConnections(): void {
    if (this.#draining || this.suspended || this.destroyed) return
    this.#draining = true
    try {
      // explicit peers first, each with a linear backoff of its own
      for (const peer of this.explicitPeers) {
        if (this.destroyed || this.suspended || this.connecting >= this.maxParallel) break
        if (peer.attempts >= 5 || Date.now() - peer.disconnectedTime < peer.attempts * 1000) continue
        this.#connect(peer, false)
      }
      while (this.#queue.length > 0 && this.#shouldConnect()) {
        const peer = this.#queue.shift()!
        peer.queued = false
        this.#connect(peer, true)
      }
    } finally {
      this.#draining = false
    }
    if (this.connecting === 0) this.#flushAllMaybe()
  }

  #connectDone(): void {
    this.connecting--
    if (this.connecting < this.maxParallel) this.#attemptClientConnections()
    if (this.connecting === 0) this.#flushAllMaybe()
  }

  // --- internals: connections ------------------------------------------------------------

  /** Dials `peer` (unless connected, banned or firewalled). */
  #connect(peer: PeerInfo, queued: boolean): void {
    if (peer.banned || this.#all.has(peer.publicKey) || this.#handleFirewall(peer.publicKey, null, false)) {
      if (queued) this.#flushes.peerDone(peer._flushTick)
      return
    }
    const key = peer.publicKey
    const conn = this.dht.connect(key, { keyPair: this.keyPair })
    this.#all.add(key, conn)
    this.stats.connects.client.attempted++
    this.connecting++
    this.#clientConnections++
    peer.tried = true
    let opened = false
    let closed = false

    // dial failures are reported through close; the app sees errors only once it has the connection
    conn.on('error', noop)
    conn.opened.then(
      (ok) => {
        if (!ok || closed || conn.destroyed) return
        opened = true
        this.#opened.add(conn)
        this.stats.connects.client.opened++
        this.#connectDone()
        this.connections.add(conn)
        conn.off('error', noop)
        peer._connected()
        peer.client = true
        this.#emitConnection(conn, peer)
        if (queued) this.#flushes.peerDone(peer._flushTick)
        this.emit('update')
      },
      () => {}
    )
    conn.once('close', () => {
      closed = true
      this.#afterUpgrade(conn, () => {
        if (!opened) this.#connectDone()
        if (!opened && queued) this.#flushes.peerDone(peer._flushTick)
        this.stats.connects.client.closed++
        this.#untrack(conn, peer, true)
      })
    })
    this.emit('update')
  }

  /** True refuses `remotePublicKey`: ourselves, a banned peer, or the app's firewall (which bans). */
  #handleFirewall(remotePublicKey: Uint8Array, payload: unknown, incoming: boolean): boolean {
    if (equals(remotePublicKey, this.keyPair.publicKey)) return true
    let peer = this.peers.get(toHex(remotePublicKey))
    if (peer?.banned) return true
    if (incoming && !this.#all.has(remotePublicKey)) {
      // a replacement of an existing connection is always welcome; a new one must fit the limits
      if (this.#all.size >= this.maxPeers || this.#serverConnections >= this.maxServerConnections) return true
    }
    const refused = this.#firewall(remotePublicKey, payload)
    if (refused) {
      peer ??= this.#upsertPeer(remotePublicKey) ?? undefined
      if (peer) this.#banPeer(peer, new Error('Peer is firewalled'))
    }
    return refused
  }

  #banPeer(peer: PeerInfo, err: Error): void {
    peer.ban(true)
    this.stats.bannedPeers++
    this.emit('ban', peer, err)
  }

  /**
   * Dedup, as hyperswarm: of two connections between the same pair of keys, keep the new one if
   * the existing one is established (the remote lost it and redialled); otherwise keep the one
   * dialled by the peer with the greater public key. Both ends compute the same answer.
   */
  #handleServerConnection(conn: SwarmConnection): void {
    if (this.destroyed || this.suspended) {
      conn.on('error', noop)
      conn.destroy(new Error('Swarm has been destroyed'))
      return
    }
    const remote = conn.remotePublicKey
    if (!remote) {
      conn.on('error', noop)
      conn.destroy(new Error('Connection without a remote public key'))
      return
    }
    const existing = this.#all.get(remote)
    if (existing) {
      const existingIsOutdated = this.#established(existing)
      const expectedInitiator = compare(conn.publicKey ?? this.keyPair.publicKey, remote) > 0
      const keepNew = existingIsOutdated || expectedInitiator === conn.isInitiator
      if (!keepNew) {
        existing.sendKeepAlive?.()
        conn.on('error', noop)
        conn.destroy(new Error('Duplicate connection'))
        return
      }
      existing.on('error', noop)
      existing.destroy(new Error('Duplicate connection'))
      this.#swapIn(existing, conn)
      return
    }

    this.stats.connects.server.opened++
    const peer = this.#upsertPeer(remote)
    if (!peer) {
      conn.on('error', noop)
      conn.destroy(new Error('Connection to ourselves'))
      return
    }
    this.#track(conn, peer, false)
    conn.once('close', () =>
      this.#afterUpgrade(conn, () => {
        this.stats.connects.server.closed++
        this.#untrack(conn, peer, false)
      })
    )
    peer.client = false
    this.#emitConnection(conn, peer)
    this.emit('update')
  }

  /** Takes `conn` in once `existing` (which it replaces) has closed, unless `conn` closed first. */
  #swapIn(existing: SwarmConnection, conn: SwarmConnection): void {
    let closed = false
    const onclose = () => {
      closed = true
    }
    conn.on('error', noop)
    conn.on('close', onclose)
    // after `existing`'s own close handling, which waits for an upgrade of it in flight
    existing.once('close', () =>
      this.#afterUpgrade(existing, () => {
        if (closed) return
        conn.off('error', noop)
        conn.off('close', onclose)
        this.#handleServerConnection(conn)
      })
    )
  }

  /** Has `conn` exchanged bytes both ways (Holepunch's counters), or at least opened? */
  #established(conn: SwarmConnection): boolean {
    if (typeof conn.rawBytesRead === 'number' && typeof conn.rawBytesWritten === 'number') {
      return conn.rawBytesRead > 0 && conn.rawBytesWritten > 0
    }
    return this.#opened.has(conn)
  }

  /** Counts `conn`, open, as `peer`'s connection (`client`: one we dialled). */
  #track(conn: SwarmConnection, peer: PeerInfo, client: boolean): void {
    this.#opened.add(conn)
    this.connections.add(conn)
    this.#all.add(peer.publicKey, conn)
    if (client) this.#clientConnections++
    else this.#serverConnections++
  }

  /**
   * Forgets `peer`'s closed connection `conn` (`client`: one we dialled, whose peer is then dialled
   * again with backoff while wanted).
   */
  #untrack(conn: SwarmConnection, peer: PeerInfo, client: boolean): void {
    this.connections.delete(conn)
    this.#all.delete(peer.publicKey, conn)
    if (client) this.#clientConnections--
    else this.#serverConnections--
    // a connection its WebRTC upgrade retired is no drop: the peer is still connected
    if (client && !this.#webrtc?.retired(conn)) {
      peer._disconnected()
      peer.waiting = this.#shouldRequeue(peer) && this.#timer.add(peer)
    }
    this.#maybeDeletePeer(peer)
    this.#attemptClientConnections()
    this.emit('update')
  }

  // --- internals: WebRTC upgrades ----------------------------------------------------------------

  /** Hands `conn` to the app; with WebRTC on, its upgrade starts first, in the same turn. */
  #emitConnection(conn: SwarmConnection, peer: PeerInfo): void {
    const current = () => this.#all.get(peer.publicKey) === conn && !conn.destroyed
    if (this.#webrtc?.holdBack(() => current() && this.#emitConnection(conn, peer))) return
    peer.connectionType = this.connectionType(conn)
    this.#webrtc?.start(conn, peer)
    this.emit('connection', conn, peer)
  }

  /** Runs `fn`, `conn`'s close handling, once an upgrade of `conn` in flight settled (or now). */
  #afterUpgrade(conn: SwarmConnection, fn: () => void): void {
    if (!this.#webrtc?.defer(conn, fn)) fn()
  }

  /**
   * `direct`, the WebRTC upgrade of `relayed`, becomes the peer's connection, as a replacing
   * duplicate would (`relayed` retires). When it closes, a peer we dialled is dialled again.
   */
  #adopt(relayed: SwarmConnection, direct: SwarmConnection, peer: PeerInfo): boolean {
    if (this.destroyed || this.suspended || this.#all.get(peer.publicKey) !== relayed) return false
    const client = relayed.isInitiator
    this.connections.delete(relayed)
    this.#track(direct, peer, client)
    // the direct path dies as any connection drops: a peer we dialled is dialled again (relayed)
    direct.once('close', () => this.#untrack(direct, peer, client))
    this.#emitConnection(direct, peer)
    this.emit('update')
    return true
  }
}
