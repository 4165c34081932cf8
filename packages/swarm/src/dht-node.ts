/**
 * `@orchard/swarm/dht`: the swarm's DHT in Node, on the real `hyperdht` (Node only).
 *
 * {@link NodeDHT} is a thin wrapper mapping the {@link SwarmDHT} interface onto a `HyperDHT`
 * node; connections are hyperdht's own (`@hyperswarm/secret-stream`), so Orchard peers and
 * unmodified Holepunch peers meet on the same DHT. {@link NodeSwarm} is the {@link Swarm} that
 * makes its own `NodeDHT` when none is given, as `new Hyperswarm()` does.
 *
 * ```ts
 * import { NodeSwarm } from '@orchard/swarm/dht'
 * const swarm = new NodeSwarm({ bootstrap })
 * swarm.on('connection', (conn) => core.replicate(conn))
 * swarm.join(core.discoveryKey)
 * ```
 *
 * @module \@orchard/swarm/dht
 */
import { Buffer } from 'node:buffer'
import HyperDHT from 'hyperdht'
import type {
  AnnounceOptions,
  DHTServer,
  DHTServerOptions,
  KeyPair,
  LookupOptions,
  LookupReply,
  SwarmConnection,
  SwarmDHT
} from './dht.ts'
import { Swarm, type SwarmOptions } from './swarm.ts'

/** A DHT node to bootstrap from, as `hyperdht` takes it (the other form is a `'host:port'` string). */
export interface BootstrapNode {
  /** Its host name or IP address. */
  host: string
  /** Its UDP port. */
  port: number
}

/** Options of a {@link NodeDHT} (passed to `new HyperDHT`). */
export interface NodeDHTOptions {
  /** Bootstrap nodes (`'host:port'` or `{ host, port }`); default: the public HyperDHT network. */
  bootstrap?: (string | BootstrapNode)[]
  /** UDP port to bind (default: hyperdht's, or any free one). */
  port?: number
  /** Interface to bind (default all). */
  host?: string
  /** The DHT's default key pair. */
  keyPair?: KeyPair
}

/** A view of `bytes` as a Node buffer (hyperdht's natives want one), without copying. */
function nodeBytes(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

function nodeKeyPair(kp: KeyPair): { publicKey: Buffer; secretKey: Buffer } {
  return { publicKey: nodeBytes(kp.publicKey), secretKey: nodeBytes(kp.secretKey) }
}

/** Stops `query` when `signal` aborts; returns the cleanup. */
function abortWith(query: { destroy(): void }, signal: AbortSignal | undefined): () => void {
  if (!signal) return () => {}
  const onabort = () => query.destroy()
  if (signal.aborted) onabort()
  else signal.addEventListener('abort', onabort, { once: true })
  return () => signal.removeEventListener('abort', onabort)
}

/**
 * A `hyperdht` node (`new HyperDHT()` from the `hyperdht` package), as {@link NodeDHT} takes and
 * exposes it. `hyperdht` ships no types, so the public API names only the few members an app
 * reaches for; this package's own typings of the rest stay private. Pass only a real hyperdht
 * node: {@link NodeDHT} calls more of it than these.
 */
export interface HyperDHTNode {
  /** The node's default key pair. */
  readonly defaultKeyPair: KeyPair
  /** True once destroyed. */
  readonly destroyed: boolean
  /** Resolves once the node is bootstrapped. */
  ready(): Promise<void>
  /** Closes the node and its sockets. */
  destroy(): Promise<void>
}

/** Options of a {@link NodeDHT} wrapping an existing hyperdht node. */
export interface NodeDHTWrapOptions {
  /** The hyperdht node to wrap, configured by its maker (`destroy()` on the wrapper destroys it). */
  dht: HyperDHTNode
}

/** `node` as this package's own typings of `hyperdht` see it: a {@link HyperDHTNode} is a real one. */
function hyper(node: HyperDHTNode): HyperDHT {
  return node as HyperDHT
}

/** The {@link SwarmDHT} on a real `hyperdht` node. */
export class NodeDHT implements SwarmDHT {
  /** The hyperdht node underneath. */
  readonly dht: HyperDHTNode

  /** A wrapper over `opts.dht`, or over a new `HyperDHT(opts)`. */
  constructor(opts: NodeDHTOptions | NodeDHTWrapOptions = {}) {
    if ('dht' in opts) this.dht = opts.dht
    else {
      const { keyPair, ...rest } = opts
      this.dht = new HyperDHT({ ...rest, keyPair: keyPair ? nodeKeyPair(keyPair) : undefined })
    }
  }

  /** The hyperdht node's default key pair. */
  get defaultKeyPair(): KeyPair {
    return this.dht.defaultKeyPair
  }

  /** `HyperDHT.keyPair(seed)`. */
  keyPair(seed?: Uint8Array): KeyPair {
    return HyperDHT.keyPair(seed ? nodeBytes(seed) : undefined)
  }

  /** Resolves once the node is bootstrapped. */
  ready(): Promise<void> {
    return this.dht.ready()
  }

  async *lookup(topic: Uint8Array, opts: LookupOptions = {}): AsyncIterable<LookupReply> {
    const query = hyper(this.dht).lookup(nodeBytes(topic))
    const cleanup = abortWith(query, opts.signal)
    try {
      for await (const reply of query) yield reply
    } finally {
      cleanup()
      query.destroy()
    }
  }

  async announce(topic: Uint8Array, keyPair: KeyPair, opts: AnnounceOptions = {}): Promise<void> {
    const query = hyper(this.dht).announce(nodeBytes(topic), nodeKeyPair(keyPair), [])
    const cleanup = abortWith(query, opts.signal)
    try {
      // the query stream ends once the announces to the closest nodes are committed
      for await (const reply of query) opts.onreply?.(reply)
    } finally {
      cleanup()
    }
  }

  unannounce(topic: Uint8Array, keyPair: KeyPair): Promise<void> {
    return hyper(this.dht).unannounce(nodeBytes(topic), nodeKeyPair(keyPair))
  }

  createServer(opts: DHTServerOptions, onconnection: (conn: SwarmConnection) => void): DHTServer {
    const firewall = opts.firewall
    const server = hyper(this.dht).createServer(
      { firewall: firewall ? (key, payload) => firewall(key, payload) : undefined },
      onconnection
    )
    return {
      listen: (keyPair) => server.listen(nodeKeyPair(keyPair)),
      close: () => server.close(),
      address: () => server.address(),
      get publicKey() {
        return server.publicKey
      },
      suspend: () => server.suspend(),
      resume: () => server.resume()
    }
  }

  connect(remotePublicKey: Uint8Array, opts: { keyPair: KeyPair }): SwarmConnection {
    return hyper(this.dht).connect(nodeBytes(remotePublicKey), { keyPair: nodeKeyPair(opts.keyPair) })
  }

  suspend(): Promise<void> {
    return hyper(this.dht).suspend()
  }

  resume(): Promise<void> {
    return hyper(this.dht).resume()
  }

  destroy(): Promise<void> {
    return this.dht.destroy()
  }
}

/** A {@link NodeDHT} on a new hyperdht node. */
export function createNodeDHT(opts: NodeDHTOptions = {}): NodeDHT {
  return new NodeDHT(opts)
}

/** Options of a {@link NodeSwarm}: a {@link Swarm}'s, with the DHT optional. */
export interface NodeSwarmOptions extends Omit<SwarmOptions, 'dht'>, Omit<NodeDHTOptions, 'keyPair'> {
  /** The DHT (default: a new {@link NodeDHT} with `bootstrap`, `port`, `host`). */
  dht?: SwarmDHT
}

/** The {@link Swarm} for Node, as `new Hyperswarm(opts)`: makes its own hyperdht node unless given one. */
export class NodeSwarm extends Swarm {
  /** A swarm on `opts.dht`, or on a new hyperdht node. */
  constructor(opts: NodeSwarmOptions = {}) {
    const { bootstrap, port, host, dht, ...rest } = opts
    super({ ...rest, dht: dht ?? new NodeDHT({ bootstrap, port, host }) })
  }
}

export type { SwarmConnection, SwarmDHT } from './dht.ts'
export { Swarm, type SwarmOptions } from './swarm.ts'
