/**
 * `@orchard/swarm`: Hyperswarm 4's API, typed, for tabs, workers and Node.
 *
 * The story, in files:
 * - {@link SwarmDHT} (`dht.ts`): the small DHT interface everything runs on — lookup, announce,
 *   servers and dials — a typed subset of `hyperdht`. In Node, `@orchard/swarm/dht` implements it
 *   on the real `hyperdht`; in a tab, a relay client does. Connections are {@link SwarmConnection}s:
 *   Holepunch's secret-streams or Orchard's, and `core.replicate(conn)` takes either.
 * - {@link Swarm} (`swarm.ts`): `join(topic)`, `joinPeer(key)`, `'connection'`, the connect queue,
 *   one connection per pair of keys (hyperswarm's dedup rule, so both ends agree), retries.
 * - {@link PeerDiscovery} (`peer-discovery.ts`): announce/lookup of one topic, refreshed.
 * - {@link PeerInfo} (`peer-info.ts`): what the swarm knows of a peer; priorities, bans.
 * - {@link RetryTimer} (`retry-timer.ts`): the backoff of dropped peers.
 * - {@link ConnectionSet} (`connection-set.ts`): connections by key; the connect queue.
 * - `webrtc-upgrade.ts`: the `webrtc` option — connections upgraded to direct WebRTC data
 *   channels (`@orchard/webrtc`, loaded only when asked for), the relay as the fallback.
 *
 * This entry imports no Node built-in and no `hyperdht`: the DHT is always passed in.
 *
 * @module \@orchard/swarm
 */

export { ConnectionSet, PeerQueue } from './connection-set.ts'
export type {
  AnnounceOptions,
  DHTPeer,
  DHTServer,
  DHTServerAddress,
  DHTServerOptions,
  KeyPair,
  LookupOptions,
  LookupReply,
  SwarmConnection,
  SwarmConnectionEvent,
  SwarmDHT
} from './dht.ts'
export {
  type DiscoveryHost,
  type DiscoveryOptions,
  PeerDiscovery,
  PeerDiscoverySession
} from './peer-discovery.ts'
export { PeerInfo, type PeerInfoEvents, Priority } from './peer-info.ts'
export { DEFAULT_BACKOFFS, RetryTimer, type RetryTimerOptions } from './retry-timer.ts'
export {
  type Firewall,
  type RelayConnector,
  type RelayedDHT,
  Swarm,
  type SwarmEvents,
  type SwarmOptions,
  type SwarmStats
} from './swarm.ts'
export {
  type ConnectionType,
  RETIRE_GRACE_MS,
  type SwarmWebRtcOptions
} from './webrtc-upgrade.ts'
