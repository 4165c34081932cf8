/**
 * WebRTC upgrades of a swarm's connections (opt-in: `new Swarm({ relay, webrtc: true })`). Once a
 * connection to a peer opens — typically relayed, tab to tab — both sides run `@orchard/webrtc`'s
 * `upgrade()` on it: a data channel signalled over the connection itself, carrying a new
 * secret-stream authenticated by the same key pairs. On success the swarm takes the direct stream
 * as the peer's connection (a new `'connection'`, as hyperswarm hands out a replacing duplicate)
 * and the relayed one retires; on failure nothing changes. When the direct stream dies later it
 * closes like any dropped connection, and the swarm dials the peer again through the relay.
 *
 * `@orchard/webrtc` (simple-peer) is loaded on demand, when a swarm asks for WebRTC: swarms
 * without it neither load nor bundle-in its code path until then.
 */
import type { AuthenticatedConnection, IceServer, WebRtcImplementation } from '@orchard/webrtc'
import type { KeyPair, SwarmConnection } from './dht.ts'
import type { PeerInfo } from './peer-info.ts'

/**
 * How a connection reaches its peer: `'dht'` straight over the DHT (UDX, holepunched), `'relay'`
 * through a relay node (a swarm opened with `relay`), `'webrtc'` over a direct WebRTC data channel
 * the connection was upgraded to.
 */
export type ConnectionType = 'dht' | 'relay' | 'webrtc'

/** The swarm's `webrtc` option: how to upgrade connections to direct WebRTC data channels. */
export interface SwarmWebRtcOptions {
  /** A WebRTC implementation where there is no global one (Node: `@roamhq/wrtc`); browsers need none. */
  wrtc?: WebRtcImplementation
  /**
   * STUN/TURN servers. Default none: host candidates only, so nothing beyond the two peers is
   * contacted (peers on one network connect; peers behind different NATs need STUN, and TURN).
   */
  iceServers?: IceServer[]
  /** `'relay'` uses TURN servers only; default `'all'`. */
  iceTransportPolicy?: 'all' | 'relay'
  /** Milliseconds one upgrade may take before the connection stays as it is (default 15 000). */
  timeout?: number
}

/**
 * How long a retired connection may take to close after its graceful end (the remote ends its side
 * once it took the direct path too) before it is torn down.
 */
export const RETIRE_GRACE_MS = 10_000

/** What the upgrades need of their swarm. @internal */
export interface UpgradeHost {
  /** The swarm's key pair: the one its connections authenticated. */
  readonly keyPair: KeyPair
  /**
   * Puts `direct` in the place of `relayed` as `peer`'s connection and hands it to the app; false
   * when `relayed` is no longer the peer's connection (the direct stream is then dropped).
   */
  adopt(relayed: SwarmConnection, direct: SwarmConnection, peer: PeerInfo): boolean
  /** `relayed` was upgraded to `direct`, which the app already has. */
  upgraded(direct: SwarmConnection, relayed: SwarmConnection, peer: PeerInfo): void
  /** An upgrade of `conn` failed; `conn` carries on as it was. */
  failed(err: Error, conn: SwarmConnection, peer: PeerInfo): void
}

type WebRtcModule = typeof import('@orchard/webrtc')

/** The upgrades a swarm's `webrtc` option asks for (`true`: defaults), or null when off. @internal */
export function webRtcUpgrades(
  option: SwarmWebRtcOptions | boolean | undefined,
  host: UpgradeHost
): WebRtcUpgrades | null {
  return option ? new WebRtcUpgrades(option === true ? {} : option, host) : null
}

/**
 * The upgrades of one swarm: one attempt per connection, started by both sides as the connection is
 * handed to the app; the roles inside follow the connection's (its initiator makes the offer), so
 * the two sides never race each other. @internal
 */
export class WebRtcUpgrades {
  readonly #opts: SwarmWebRtcOptions
  readonly #host: UpgradeHost
  #module: WebRtcModule | null = null
  #loadError: Error | null = null
  readonly #loading: Promise<void>
  /** Attempts in flight by connection: settled once the outcome was applied. */
  readonly #inFlight = new Map<SwarmConnection, { settled: Promise<void>; abort: AbortController }>()
  /** Connections that are direct paths (never upgraded again). */
  readonly #direct = new WeakSet<SwarmConnection>()
  /** Connections a direct path replaced. */
  readonly #retired = new WeakSet<SwarmConnection>()
  /** Retired connections still closing. */
  readonly #retiring = new Set<SwarmConnection>()

  /** Starts loading `@orchard/webrtc` at once, so it is there when the first connection opens. */
  constructor(opts: SwarmWebRtcOptions, host: UpgradeHost) {
    this.#opts = opts
    this.#host = host
    this.#loading = import('@orchard/webrtc').then(
      (m) => {
        this.#module = m
      },
      (err: unknown) => {
        this.#loadError = err instanceof Error ? err : new Error(String(err))
      }
    )
  }

  /**
   * True once `@orchard/webrtc` loaded (or failed to). Until then the swarm holds new connections
   * back from the app: an upgrade must start before anything else runs a protomux on the
   * connection, or the remote's signalling channel is rejected.
   */
  get ready(): boolean {
    return this.#module !== null || this.#loadError !== null
  }

  /** Before {@link ready}: true, and `resume` runs once ready. Then: false. */
  holdBack(resume: () => void): boolean {
    if (this.ready) return false
    this.#loading.then(resume)
    return true
  }

  /** True when `conn` is a direct path this swarm upgraded to. */
  isDirect(conn: SwarmConnection): boolean {
    return this.#direct.has(conn)
  }

  /** True when `conn` was retired by its upgrade: a direct path replaced it. */
  retired(conn: SwarmConnection): boolean {
    return this.#retired.has(conn)
  }

  /**
   * Runs `fn` once the attempt in flight on `conn` settled and its outcome was applied (the direct
   * stream adopted, or the failure reported); false, running nothing, when none is in flight. The
   * swarm defers a connection's close handling so: a connection retired by its upgrade must not
   * count as a dropped peer, even when its close overtakes the upgrade's last step (the remote
   * retires its side as soon as it has the direct path).
   */
  defer(conn: SwarmConnection, fn: () => void): boolean {
    const attempt = this.#inFlight.get(conn)
    if (attempt) attempt.settled.then(fn, fn)
    return attempt !== undefined
  }

  /**
   * Starts upgrading `conn`, a connection of `peer` the swarm is handing to the app. Must run in the
   * same turn, before the app's listeners (see {@link ready}).
   */
  start(conn: SwarmConnection, peer: PeerInfo): void {
    if (this.#direct.has(conn) || this.#inFlight.has(conn) || conn.destroyed) return
    const m = this.#module
    if (m === null) {
      const cause = this.#loadError
      this.#host.failed(new Error('@orchard/webrtc could not be loaded', { cause }), conn, peer)
      return
    }
    const abort = new AbortController()
    const { wrtc, iceServers, iceTransportPolicy, timeout } = this.#opts
    // our SwarmConnections are Orchard secret-streams (relayed) or hyperdht's: both event emitters
    // with the keys `upgrade` checks
    const attempt = m.upgrade(conn as unknown as AuthenticatedConnection, {
      keyPair: this.#host.keyPair,
      wrtc,
      iceServers,
      iceTransportPolicy,
      timeout,
      signal: abort.signal
    })
    const settled = attempt
      .then(
        (direct) => this.#onDirect(conn, direct as unknown as SwarmConnection, peer),
        (err: Error) => {
          if (!abort.signal.aborted) this.#host.failed(err, conn, peer)
        }
      )
      .finally(() => this.#inFlight.delete(conn))
    this.#inFlight.set(conn, { settled, abort })
  }

  /** Aborts every attempt in flight and tears down the connections still retiring. */
  closeAll(): void {
    for (const { abort } of this.#inFlight.values()) abort.abort()
    for (const conn of this.#retiring) conn.destroy()
  }

  #onDirect(relayed: SwarmConnection, direct: SwarmConnection, peer: PeerInfo): void {
    this.#direct.add(direct)
    this.#retired.add(relayed)
    if (!this.#host.adopt(relayed, direct, peer)) {
      this.#retired.delete(relayed)
      direct.on('error', noop)
      direct.destroy()
      return
    }
    this.#retire(relayed)
    this.#host.upgraded(direct, relayed, peer)
  }

  /**
   * Ends `relayed` gracefully: what we wrote on it before (our side of the signalling above all)
   * still reaches the remote, which ends its side once it took the direct path too. Torn down
   * after {@link RETIRE_GRACE_MS} otherwise.
   */
  #retire(relayed: SwarmConnection): void {
    relayed.on('error', noop)
    if (relayed.destroyed) return
    this.#retiring.add(relayed)
    const timer = setTimeout(() => relayed.destroy(), RETIRE_GRACE_MS)
    ;(timer as { unref?: () => void }).unref?.()
    relayed.once('close', () => {
      clearTimeout(timer)
      this.#retiring.delete(relayed)
    })
    relayed.end()
  }
}

function noop(): void {}
