/**
 * The small DHT interface the swarm runs on: a typed subset of `hyperdht`'s own API, so the Node
 * implementation (`@orchard/swarm/dht`) is a thin wrapper over the real `hyperdht`, and a relay
 * client (tabs, workers) can mimic it over a relay connection.
 */
import type { KeyPair } from '@orchard/crypto'
import type { SecretStream } from '@orchard/wire'

export type { KeyPair }

/** A peer announced under a topic, as a DHT lookup reply lists it. */
export interface DHTPeer {
  /** The peer's static public key (its swarm key): what to `connect` to. */
  publicKey: Uint8Array
}

/** One reply of a lookup or announce query: the peers one DHT node holds for the topic. */
export interface LookupReply {
  /** The peers that node knows under the topic (may include ourselves). */
  peers: DHTPeer[]
}

/** Options of {@link SwarmDHT.lookup}. */
export interface LookupOptions {
  /** Aborting stops the query; the iterator then ends (or throws the abort reason). */
  signal?: AbortSignal
}

/** Options of {@link SwarmDHT.announce}. */
export interface AnnounceOptions {
  /** Aborting stops the announce; the promise then settles (resolving or rejecting). */
  signal?: AbortSignal
  /**
   * Called with every reply the announce query sees on its way (hyperdht's announce is a lookup
   * that also stores us): the swarm learns the peers of a topic it both serves and looks up from
   * this one query. An implementation should call it for every reply.
   */
  onreply?: (reply: LookupReply) => void
}

/** The events every connection the swarm hands out emits (listener arguments loosely typed). */
export type SwarmConnectionEvent = 'data' | 'end' | 'close' | 'error'

/**
 * The encrypted duplex of one connection, as `'connection'` hands it out: the structural common
 * ground of Holepunch's `@hyperswarm/secret-stream` (what `hyperdht` returns) and Orchard's
 * `SecretStream` (`@orchard/wire`). One `write` is one message; `opened` resolves true once
 * messages flow, false if the stream died first. Either replicates with `core.replicate(conn)`.
 */
export interface SwarmConnection {
  /** Our static public key on this connection. */
  readonly publicKey: Uint8Array | null
  /** The remote's static public key (always set on connections the swarm hands out). */
  readonly remotePublicKey: Uint8Array | null
  /** The Noise handshake hash once known: unique to this connection. */
  readonly handshakeHash: Uint8Array | null
  /** True on the side that dialled. */
  readonly isInitiator: boolean
  /** Resolves true once encrypted messages can flow, false if the stream closed first. */
  readonly opened: Promise<boolean>
  /** True once destroyed (locally or by the remote). */
  readonly destroyed: boolean
  /** Raw bytes read, where the stream counts them (Holepunch's does): the dedup's "established" test. */
  readonly rawBytesRead?: number
  /** Raw bytes written, where the stream counts them (Holepunch's does). */
  readonly rawBytesWritten?: number
  /** Sends one message; false when the caller should wait for `drain`. */
  write(message: Uint8Array): boolean
  /** Ends our side. */
  end(): unknown
  /** Tears the connection down; `err` is reported as `error` then `close`. */
  destroy(err?: Error): unknown
  /** Sends an empty keep-alive message, where the stream has it (Holepunch's does). */
  sendKeepAlive?(): void
  /** Adds `listener` for `event` (`'data'` gets one message; `'error'` the error). */
  // biome-ignore lint/suspicious/noExplicitAny: both emitters type their listeners differently
  on(event: SwarmConnectionEvent, listener: (...args: any[]) => void): unknown
  /** Adds `listener` for the next `event` only. */
  // biome-ignore lint/suspicious/noExplicitAny: as `on`
  once(event: SwarmConnectionEvent, listener: (...args: any[]) => void): unknown
  /** Removes a listener added with `on` or `once`. */
  // biome-ignore lint/suspicious/noExplicitAny: as `on`
  off(event: SwarmConnectionEvent, listener: (...args: any[]) => void): unknown
}

/** Options of {@link SwarmDHT.createServer}. */
export interface DHTServerOptions {
  /**
   * Decides on every incoming handshake before the connection exists: true refuses
   * (`remotePayload` is the DHT's handshake payload, implementation-specific).
   */
  firewall?(remotePublicKey: Uint8Array, remotePayload?: unknown): boolean
}

/** Where a {@link DHTServer} listens, as hyperdht's `server.address()`. */
export interface DHTServerAddress {
  /** The key the server accepts connections to. */
  publicKey: Uint8Array
  /** The host of our DHT node, where the implementation knows it (null or absent otherwise). */
  host?: string | null
  /** The UDP port of our DHT node, where the implementation knows it (null or absent otherwise). */
  port?: number | null
}

/** A server: accepts connections to one key pair, announced by the swarm under its topics. */
export interface DHTServer {
  /** Starts accepting connections to `keyPair.publicKey`. */
  listen(keyPair: KeyPair): Promise<unknown>
  /** Stops accepting (existing connections stay up). */
  close(): Promise<void>
  /** Where the server listens, once it does (null before). */
  address(): DHTServerAddress | null
  /** The key the server listens on, once it does. */
  readonly publicKey: Uint8Array | null
  /** Pauses accepting (optional). */
  suspend?(): Promise<void>
  /** Resumes accepting (optional). */
  resume?(): Promise<void>
}

/**
 * The DHT the swarm finds peers on and connects through. The Node implementation wraps `hyperdht`
 * (`createNodeDHT` from `@orchard/swarm/dht`); a tab's goes through a relay node.
 */
export interface SwarmDHT {
  /** The key pair `connect`/`listen` use when none is given. */
  readonly defaultKeyPair: KeyPair
  /** A fresh key pair (from `seed` when given), as the DHT's own `keyPair()`. */
  keyPair(seed?: Uint8Array): KeyPair
  /** Looks a topic up: one reply per DHT node that answered. */
  lookup(topic: Uint8Array, opts?: LookupOptions): AsyncIterable<LookupReply>
  /** Announces `keyPair.publicKey` under `topic`; resolves once the announce query finished. */
  announce(topic: Uint8Array, keyPair: KeyPair, opts?: AnnounceOptions): Promise<void>
  /** Removes our announcement of `topic`; resolves once done. */
  unannounce(topic: Uint8Array, keyPair: KeyPair): Promise<void>
  /** A server whose accepted (already encrypted) connections go to `onconnection`. */
  createServer(opts: DHTServerOptions, onconnection: (conn: SwarmConnection) => void): DHTServer
  /**
   * Dials `remotePublicKey` with `opts.keyPair`: returns at once; the connection opens
   * asynchronously (`opened`), failures arrive as `error` then `close`.
   */
  connect(remotePublicKey: Uint8Array, opts: { keyPair: KeyPair }): SwarmConnection
  /** Pauses the DHT (optional). */
  suspend?(): Promise<void>
  /** Resumes the DHT (optional). */
  resume?(): Promise<void>
  /** Closes every server and socket. */
  destroy(): Promise<void>
}

type AssertTrue<T extends true> = T

/**
 * Compile-time proof that Orchard's own `SecretStream` (`@orchard/wire`, what a relay client hands
 * out) is a {@link SwarmConnection}: the typecheck fails otherwise. (`dht-node.ts` returns
 * hyperdht's streams, typed after `@hyperswarm/secret-stream`, as `SwarmConnection`s.)
 * @internal
 */
export type OrchardSecretStreamFits = AssertTrue<SecretStream extends SwarmConnection ? true : false>
