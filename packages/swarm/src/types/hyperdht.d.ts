/** The subset of `hyperdht` 6 (untyped JavaScript) that `dht-node.ts` uses. */
declare module 'hyperdht' {
  import type { Buffer } from 'node:buffer'
  import type { EventEmitter } from 'node:events'

  interface HyperKeyPair {
    publicKey: Buffer
    secretKey: Buffer
  }

  interface QueryReply {
    peers: { publicKey: Buffer; relayAddresses?: unknown[] }[]
  }

  /** A dht-rpc query: a readable stream of replies. */
  interface Query extends AsyncIterable<QueryReply> {
    destroy(err?: Error): void
    finished(): Promise<void>
    closestNodes: unknown[] | null
  }

  /** `@hyperswarm/secret-stream` as hyperdht hands it out. */
  interface NoiseSecretStream extends EventEmitter {
    publicKey: Buffer | null
    remotePublicKey: Buffer | null
    handshakeHash: Buffer | null
    isInitiator: boolean
    opened: Promise<boolean>
    destroyed: boolean
    rawBytesRead: number
    rawBytesWritten: number
    write(data: Uint8Array): boolean
    end(): unknown
    destroy(err?: Error): unknown
    sendKeepAlive(): void
  }

  interface Server extends EventEmitter {
    listen(keyPair?: HyperKeyPair): Promise<Server>
    close(): Promise<void>
    suspend(): Promise<void>
    resume(): Promise<void>
    address(): { publicKey: Buffer; host: string | null; port: number | null } | null
    readonly publicKey: Buffer | null
  }

  interface DHTOptions {
    bootstrap?: (string | { host: string; port: number })[]
    port?: number
    host?: string
    keyPair?: HyperKeyPair
    seed?: Uint8Array
    ephemeral?: boolean
    firewalled?: boolean
  }

  class HyperDHT extends EventEmitter {
    constructor(opts?: DHTOptions)
    static keyPair(seed?: Uint8Array): HyperKeyPair
    readonly defaultKeyPair: HyperKeyPair
    readonly destroyed: boolean
    ready(): Promise<void>
    lookup(target: Uint8Array, opts?: object): Query
    announce(target: Uint8Array, keyPair: HyperKeyPair, relayAddresses?: unknown[], opts?: object): Query
    unannounce(target: Uint8Array, keyPair: HyperKeyPair, opts?: object): Promise<void>
    createServer(
      opts: { firewall?: (remotePublicKey: Buffer, remotePayload: unknown, address: unknown) => boolean },
      onconnection: (conn: NoiseSecretStream) => void
    ): Server
    connect(remotePublicKey: Uint8Array, opts?: { keyPair?: HyperKeyPair }): NoiseSecretStream
    suspend(): Promise<void>
    resume(): Promise<void>
    destroy(opts?: { force?: boolean }): Promise<void>
  }

  export = HyperDHT
}
