/**
 * The parts of `hyperdht` 6 (and `@hyperswarm/testnet`) the relay uses, typed here and loaded with
 * `createRequire` (they are CommonJS without types). Only what the relay calls is declared.
 */
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

/** A key pair as hyperdht takes it; the relay's never has a secret key. */
export interface DHTKeyPair {
  publicKey: Buffer
  secretKey?: Buffer | null
}

/** One DHT node's reply to a lookup or announce query. */
export interface QueryReply {
  token: Buffer | null
  from: { id: Buffer | null; host: string; port: number }
  peers: { publicKey: Buffer; relayAddresses: { host: string; port: number }[] }[]
}

/** A running DHT query: an async iterable of replies. */
export interface Query extends AsyncIterable<QueryReply> {
  finished(): Promise<void>
  destroy(err?: Error): void
}

/** hyperdht's announce payload as the sign hooks see it. */
export interface AnnounceRecord {
  peer: { publicKey: Buffer; relayAddresses: { host: string; port: number }[] } | null
  refresh: Buffer | null
}

/** hyperdht's `signAnnounce`/`signUnannounce` hook. */
export type SignHook = (
  target: Buffer,
  token: Buffer,
  nodeId: Buffer,
  ann: AnnounceRecord,
  keyPair: DHTKeyPair
) => Promise<Buffer>

/** What hyperdht's `final()` of a handshake returns (tx/rx stay with the tab). */
export interface HandshakeFinal {
  isInitiator: boolean
  publicKey: Buffer
  remotePublicKey: Buffer
  holepunchSecret: Buffer
  /** The relay's stream id for this connection (hyperdht's own is undefined here). */
  streamId: number
  remoteId: null
  hash: null
  tx: null
  rx: null
}

/** The object hyperdht's `createHandshake` hook returns (noise-wrap's shape). */
export interface DHTHandshake {
  readonly isInitiator: boolean
  remotePublicKey: Buffer | null
  send(payload: unknown): Promise<Buffer>
  recv(noise: Buffer): Promise<unknown>
  final(): HandshakeFinal
}

/** A UDX stream as hyperdht hands it to `createSecretStream` (a streamx Duplex). */
export interface RawStream {
  write(data: Buffer): boolean
  end(): void
  destroy(err?: Error): void
  pause(): void
  resume(): void
  on(event: 'data', listener: (chunk: Buffer) => void): this
  on(event: 'end' | 'drain', listener: () => void): this
  on(event: 'close', listener: () => void): this
  on(event: 'error', listener: (err: Error) => void): this
}

/** Options of `createSecretStream` as hyperdht passes them. */
export interface SecretStreamHookOptions {
  handshake?: HandshakeFinal
  publicKey?: Buffer
  remotePublicKey?: Buffer
  keepAlive?: number
  autoStart?: boolean
}

/** The hooks of `createServer` and `connect`. */
export interface ConnectionHooks {
  createHandshake(keyPair: DHTKeyPair, remotePublicKey: Buffer | null): DHTHandshake
  createSecretStream(
    isInitiator: boolean,
    rawStream: RawStream | null,
    opts: SecretStreamHookOptions
  ): unknown
}

/** A hyperdht server. */
export interface HyperDHTServer {
  readonly relayAddresses: { host: string; port: number }[]
  listen(keyPair: DHTKeyPair, opts?: { signAnnounce?: SignHook; signUnannounce?: SignHook }): Promise<unknown>
  close(): Promise<void>
}

/** A hyperdht node. */
export interface HyperDHTNode {
  readonly destroyed: boolean
  /** Whether peers must holepunch to reach the node (false: they dial it directly). */
  readonly firewalled: boolean
  ready(): Promise<void>
  address(): { host: string; port: number }
  lookup(target: Buffer): Query
  announce(
    target: Buffer,
    keyPair: DHTKeyPair,
    relayAddresses: { host: string; port: number }[],
    opts?: { signAnnounce?: SignHook; signUnannounce?: SignHook }
  ): Query
  unannounce(target: Buffer, keyPair: DHTKeyPair, opts?: { signUnannounce?: SignHook }): Promise<void>
  createServer(opts: ConnectionHooks & { firewall?: unknown }): HyperDHTServer
  connect(publicKey: Buffer, opts: ConnectionHooks & { keyPair: DHTKeyPair }): unknown
  destroy(): Promise<void>
}

/** Options of a hyperdht node. */
export interface HyperDHTOptions {
  bootstrap?: (string | { host: string; port: number })[]
  host?: string
  port?: number
  ephemeral?: boolean
  firewalled?: boolean
}

/** The embedded loopback testnet. */
export interface Testnet {
  readonly bootstrap: { host: string; port: number }[]
  destroy(): Promise<void>
}

type CompactEncoding = {
  encode(enc: unknown, value: unknown): Buffer
  decode(enc: unknown, bytes: Buffer): unknown
}

/** The `hyperdht` constructor. */
export const HyperDHT = require('hyperdht') as new (opts?: HyperDHTOptions) => HyperDHTNode

const dhtRequire = createRequire(require.resolve('hyperdht'))
const messages = dhtRequire('./lib/messages.js') as { noisePayload: unknown; peer: unknown }
const c = dhtRequire('compact-encoding') as CompactEncoding

/** hyperdht's handshake payload encoding (`m.noisePayload`), as noise-wrap encodes it. */
export function encodeNoisePayload(payload: unknown): Buffer {
  return c.encode(messages.noisePayload, payload)
}

/** Decodes a handshake payload (throws on bad bytes). */
export function decodeNoisePayload(bytes: Buffer): unknown {
  return c.decode(messages.noisePayload, bytes)
}

/** hyperdht's peer record encoding (`m.peer`): what an announce signature covers. */
export function encodePeer(peer: AnnounceRecord['peer']): Buffer {
  return c.encode(messages.peer, peer)
}

/** Starts a loopback DHT testnet of `size` nodes (`@hyperswarm/testnet`). */
export function createTestnet(size: number, opts: { host?: string; port?: number } = {}): Promise<Testnet> {
  const create = require('@hyperswarm/testnet') as (size: number, opts: object) => Promise<Testnet>
  return create(size, opts)
}

/** A zero-copy Buffer view of `bytes`. */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}
