/**
 * The swarm's public option, event and stats types, and how its options open the DHT (the class is
 * in `swarm.ts`).
 */
import type { KeyPair, SwarmConnection, SwarmDHT } from './dht.ts'
import type { PeerInfo } from './peer-info.ts'
import type { SwarmWebRtcOptions } from './webrtc-upgrade.ts'

/** Decides on a remote key (and the DHT's handshake payload, null for our own dials): true refuses. */
export type Firewall = (remotePublicKey: Uint8Array, payload: unknown) => boolean

/** Options of a {@link Swarm}. */
export interface SwarmOptions {
  /** The DHT to discover and connect on (Node: `createNodeDHT()` from `@orchard/swarm/dht`). Give this or `relay`. */
  dht?: SwarmDHT
  /**
   * A tab's (or worker's) way onto the DHT: a relay node, e.g. `relayNode('wss://relay.example')`
   * from `@orchard/relay/client`. The swarm opens its DHT through it with its key pair, which never
   * leaves the tab. Give this or `dht`.
   */
  relay?: RelayConnector
  /** Our static key pair: our identity to every peer (default: a fresh one, from `seed` if given). */
  keyPair?: KeyPair
  /** Seed of the default key pair. */
  seed?: Uint8Array
  /** Most connections to keep (dialling stops here; incoming beyond it are refused). Default 64. */
  maxPeers?: number
  /** Most connections we dial. Default unlimited. */
  maxClientConnections?: number
  /** Most connections we accept. Default unlimited. */
  maxServerConnections?: number
  /** Most dials in flight at once. Default 3. */
  maxParallel?: number
  /** Refuses peers: called for every incoming handshake and before every dial. */
  firewall?: Firewall
  /** Retry backoffs in ms (short, medium, long, extra-long); default ~1 s, 5 s, 15 s, 10 min. */
  backoffs?: readonly number[]
  /** Random extra delay of each backoff, up to this many ms. Default 500. */
  jitter?: number
  /**
   * Upgrade connections to direct WebRTC data channels (`true`, or options; default off). Once a
   * connection opens — through a relay, typically tab to tab — both peers try `@orchard/webrtc`'s
   * `upgrade()`, signalled over the connection itself. On success the direct connection is
   * emitted as a new `'connection'` (its `connectionType` is `'webrtc'`) and replaces the relayed
   * one, which closes; on failure (no ICE path, timeout, a peer without WebRTC) the relayed one
   * stays. When the direct connection dies, the peer is dialled again through the relay. Both
   * peers must enable it, and run protomux on their connections (replication does).
   */
  webrtc?: boolean | SwarmWebRtcOptions
}

/** What a {@link RelayConnector} opens for a swarm. */
export interface RelayedDHT {
  /** The DHT, through the relay. */
  dht: SwarmDHT
  /** The swarm's key pair (the one asked for, or a fresh one). */
  keyPair: KeyPair
  /** Called with the new swarm, e.g. to rejoin its topics when the relay comes back. */
  attach?: (swarm: { topics(): Iterable<{ refresh(): Promise<unknown> }> }) => void
}

/** Opens a swarm's DHT through a relay node, for `keyPair` (or a fresh one, from `seed` if given). */
export type RelayConnector = (opts: { keyPair?: KeyPair; seed?: Uint8Array }) => RelayedDHT

/** The events of a {@link Swarm}. */
export interface SwarmEvents {
  /** A new connection opened (one per remote key at a time), with what we know of the peer. */
  connection: [conn: SwarmConnection, peerInfo: PeerInfo]
  /** Connections, pending dials or peers changed. */
  update: []
  /** A peer was banned (by the firewall), with why. */
  ban: [peerInfo: PeerInfo, err: Error]
  /**
   * A connection moved to a direct WebRTC data channel (the `webrtc` option): `direct`, already
   * emitted as `'connection'`, replaces `relayed`, which is closing.
   */
  upgrade: [direct: SwarmConnection, relayed: SwarmConnection, peerInfo: PeerInfo]
  /**
   * An upgrade to WebRTC failed (a `WebRtcError` from `@orchard/webrtc`, with its `code`:
   * `ICE_FAILED`, `TIMEOUT`, `REFUSED`, …); `conn` carries on as it was.
   */
  'upgrade-error': [err: Error, conn: SwarmConnection, peerInfo: PeerInfo]
}

/** Connection counters, as hyperswarm's `stats`. */
export interface SwarmStats {
  /** `'update'` events emitted. */
  updates: number
  /** Connections by side: `client` for the ones we dialled, `server` for the ones we accepted. */
  connects: {
    /** Connections we dialled. */
    client: {
      /** Dials that opened. */
      opened: number
      /** Dials that ended: failed, or opened and later closed. */
      closed: number
      /** Dials started. */
      attempted: number
    }
    /** Connections the remote dialled. */
    server: {
      /** Connections accepted. */
      opened: number
      /** Accepted connections that closed. */
      closed: number
    }
  }
  /** Peers banned by the firewall. */
  bannedPeers: number
}

/** The DHT and key pair `opts` ask for (calling `attach` is the swarm's), or a `TypeError`. @internal */
export function openSwarmDHT(opts: SwarmOptions): RelayedDHT {
  if (opts?.dht) return { dht: opts.dht, keyPair: opts.keyPair ?? opts.dht.keyPair(opts.seed) }
  if (opts?.relay) return opts.relay({ keyPair: opts.keyPair, seed: opts.seed })
  throw new TypeError(
    'Swarm needs a dht (in Node: createNodeDHT() from @orchard/swarm/dht) or a relay (in a tab: relayNode(url) from @orchard/relay/client)'
  )
}
