/**
 * `@orchard/relay/client` (isomorphic: browsers, workers, Node): a tab's session on an Orchard
 * relay node, with hyperdht's API shape (`lookup`, `announce`, `unannounce`,
 * `createServer().listen`, `connect`, `destroy`). The tab's secret key never leaves it; connections
 * are `@orchard/wire` secret-streams running end to end over the relayed bytes.
 *
 * ```ts
 * const dht = new RelayDHT(new WebSocket('wss://relay.example'), { keyPair })
 * await dht.ready()
 * await dht.announce(topic, keyPair)
 * const conn = dht.connect(remotePublicKey, { keyPair })
 * ```
 *
 * @module \@orchard/relay/client
 */
export * from '../protocol/index.ts'
export { RelayedRawStream } from './raw-stream.ts'
export {
  type RelayAnnounceOptions,
  RelayDHT,
  type RelayDHTEvents,
  type RelayDHTOptions,
  type RelayLookupOptions
} from './relay-dht.ts'
export { type RelayConnectionServerOptions, RelayDHTServer, type RelayDHTServerEvents } from './server.ts'
export {
  type RefreshableSwarm,
  type RelayDHTFitsSwarm,
  type RelayNodeOptions,
  RelaySwarmDHT,
  type RelaySwarmDHTEvents,
  type RelaySwarmDHTOptions,
  refreshOnReconnect,
  relayNode
} from './swarm-dht.ts'
export type { DHTPeer, LookupReply } from './util.ts'
