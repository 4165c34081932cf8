/**
 * The client of Holepunch's blind peers, as `blind-peering` 2: ask one or more blind peers (by
 * key) to keep cores available. Each blind peer gets one connection, dialled through the DHT (in a
 * tab: through a relay), on which the store replicates and the asks travel; cores spread over the
 * blind peers by XOR distance to a target, so many clients balance over one list of mirrors.
 */
import { equalBytes, toHex } from '@orchard/codec'
import type { Corestore } from '@orchard/corestore'
import type { KeyPair } from '@orchard/crypto'
import type { Hypercore } from '@orchard/hypercore'
import type { SwarmDHT } from '@orchard/swarm'
import { BlindPeeringError } from './errors.ts'
import { closestKeys, decodeKey } from './keys.ts'
import { BlindPeerLink, type LinkHost, RECONNECT_BACKOFF_MS } from './link.ts'

/** Options of {@link BlindPeering}. */
export interface BlindPeeringOptions {
  /** The blind peers (mirrors) to use: 32-byte keys, hex or z-base-32. */
  keys?: readonly (Uint8Array | string)[]
  /** The key pair connections are made with (default: the DHT's). */
  keyPair?: KeyPair
  /** Start suspended (nothing connects until `resume`). Default false. */
  suspended?: boolean
  /** How many of the closest blind peers keep each core by default. Default 2. */
  pick?: number
  /** How often an unused connection is checked for idleness, in ms; 4 idle checks close it. Default 2000. */
  gcWait?: number
  /** Delays between reconnection attempts, in ms. */
  backoff?: readonly number[]
}

/** Options of {@link BlindPeering.addCore}. */
export interface AddCoreOptions {
  /** The key the blind peers are chosen closest to (default: the core's key). */
  target?: Uint8Array
  /** A core (autobase's wakeup key) whose peers the blind peer notifies of updates. */
  referrer?: Uint8Array | null
  /** 0 normal, 1 high (blind peers cap untrusted clients at 1). Default 0. */
  priority?: number
  /** Ask the blind peer to announce the core (honoured for its trusted clients only). Default false. */
  announce?: boolean
  /** How many blind peers keep it (default: the instance's `pick`). */
  pick?: number
  /** Blind peers to choose from (default: the instance's keys). */
  keys?: readonly (Uint8Array | string)[]
}

/** Asks blind peers to keep cores, and keeps them connected while they do. */
export class BlindPeering implements LinkHost {
  readonly dht: SwarmDHT
  readonly store: Corestore
  readonly keyPair: KeyPair
  readonly backoff: readonly number[]
  /** The blind peers to choose from. */
  keys: Uint8Array[]
  /** Default number of blind peers per core. */
  readonly pick: number
  readonly gcWait: number
  suspended: boolean
  closed = false
  /** Counters, as blind-peering's. */
  readonly stats = { addCore: 0, addCoresTx: 0 }
  readonly #links = new Map<string, BlindPeerLink>()
  readonly #idle = new Map<BlindPeerLink, { strikes: number; written: number }>()
  #gcTimer: ReturnType<typeof setInterval> | null = null

  /** A client on `dht` (a swarm's `dht`; in a tab, a relay's) replicating `store`. */
  constructor(dht: SwarmDHT, store: Corestore, opts: BlindPeeringOptions = {}) {
    this.dht = dht
    this.store = store
    this.keyPair = opts.keyPair ?? dht.defaultKeyPair
    this.keys = (opts.keys ?? []).map(decodeKey)
    this.pick = opts.pick ?? 2
    this.gcWait = opts.gcWait ?? 2000
    this.backoff = opts.backoff ?? RECONNECT_BACKOFF_MS
    this.suspended = opts.suspended === true
  }

  /** Replaces the list of blind peers (cores already placed stay where they are). */
  setKeys(keys: readonly (Uint8Array | string)[]): void {
    this.keys = keys.map(decodeKey)
  }

  /** The connections, one per blind peer in use. */
  get links(): BlindPeerLink[] {
    return [...this.#links.values()]
  }

  /**
   * Asks the closest blind peers to keep `core`; resolves once their connections opened and the
   * ask went out (or their attempts stopped). The blind peer then downloads the core from us, on
   * that connection. Throws `NO_BLIND_PEERS` without keys, `CLOSED` after `close`.
   */
  async addCore(core: Hypercore, opts: AddCoreOptions = {}): Promise<void> {
    if (this.closed) throw new BlindPeeringError('CLOSED', 'the blind peering is closed')
    const keys = opts.keys ? opts.keys.map(decodeKey) : this.keys
    if (keys.length === 0) throw new BlindPeeringError('NO_BLIND_PEERS', 'no blind peer keys were given')
    await core.ready()
    if (!core.readable || this.closed) return
    const ask = {
      priority: opts.priority ?? 0,
      announce: opts.announce === true,
      referrer: opts.referrer ?? null
    }
    const links = closestKeys(opts.target ?? core.key!, keys, opts.pick ?? this.pick).map((key) =>
      this.#link(key)
    )
    for (const link of links) {
      this.stats.addCore++
      link.addCore(core, ask)
    }
    for (const link of links) await link.connecting
  }

  /** {@link addCore} without waiting; failures are dropped, as blind-peering's. */
  addCoreBackground(core: Hypercore, opts?: AddCoreOptions): void {
    this.addCore(core, opts).catch(() => {})
  }

  /**
   * Orchard's addition: resolves once every blind peer keeping `core` says it holds its first
   * `length` blocks (default: the core's length now) — the point where the writer may go offline.
   * Rejects with `TIMEOUT` after `timeout` ms (default: waits as long as it takes).
   */
  async synced(core: Hypercore, opts: { length?: number; timeout?: number } = {}): Promise<void> {
    const length = opts.length ?? core.length
    const deadline = opts.timeout === undefined ? Number.POSITIVE_INFINITY : Date.now() + opts.timeout
    for (;;) {
      const links = this.links.filter((l) => l.holds(core))
      if (links.length === 0) throw new BlindPeeringError('NO_BLIND_PEERS', 'no blind peer keeps this core')
      const done = links.every((link) =>
        core.peers.some(
          (p) =>
            p.remotePublicKey !== null &&
            equalBytes(p.remotePublicKey, link.remotePublicKey) &&
            p.remoteContiguousLength >= length
        )
      )
      if (done) return
      if (this.closed) throw new BlindPeeringError('CLOSED', 'the blind peering is closed')
      if (Date.now() >= deadline) {
        throw new BlindPeeringError('TIMEOUT', `the blind peers did not store ${length} blocks in time`)
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  #link(key: Uint8Array): BlindPeerLink {
    const id = toHex(key)
    let link = this.#links.get(id)
    if (!link) {
      link = new BlindPeerLink(this, key)
      this.#links.set(id, link)
    }
    this.#idle.delete(link)
    return link
  }

  /** @internal A link holds no cores: close it once its connection went quiet. */
  onUnused(link: BlindPeerLink): void {
    if (this.#idle.has(link)) return
    this.#idle.set(link, { strikes: 0, written: link.bytesWritten })
    this.#gcTimer ??= setInterval(() => this.#collect(), this.gcWait)
    ;(this.#gcTimer as { unref?: () => void }).unref?.()
  }

  #collect(): void {
    for (const [link, idle] of this.#idle) {
      if (link.size > 0 || link.destroyed) {
        this.#idle.delete(link)
        continue
      }
      // still uploading (a blind peer catching up): not idle yet
      const written = link.bytesWritten
      if (written !== idle.written) {
        idle.written = written
        idle.strikes = 0
        continue
      }
      if (++idle.strikes < 4) continue
      this.#idle.delete(link)
      this.#links.delete(toHex(link.remotePublicKey))
      link.destroy()
    }
    if (this.#idle.size === 0) this.#stopCollecting()
  }

  #stopCollecting(): void {
    if (this.#gcTimer !== null) clearInterval(this.#gcTimer)
    this.#gcTimer = null
  }

  /** Closes every connection and stops reconnecting until {@link resume}. */
  suspend(): void {
    this.suspended = true
    this.#stopCollecting()
    for (const link of this.#links.values()) link.suspend()
  }

  /** Reconnects the blind peers that keep cores. */
  resume(): void {
    this.suspended = false
    for (const link of this.#links.values()) link.resume()
  }

  /** Closes every connection for good. */
  async close(): Promise<void> {
    this.closed = true
    this.#stopCollecting()
    this.#idle.clear()
    for (const link of this.#links.values()) link.destroy()
    this.#links.clear()
  }
}
