/**
 * A relay session's server, hyperdht's `createServer()` shape: `listen(keyPair)` has the relay
 * listen on the DHT with the tab's key; every incoming connection's handshake runs in the tab, and
 * the encrypted connection (our secret-stream) is emitted as `connection`.
 */
import type { KeyPair } from '@orchard/crypto'
import { Emitter } from '@orchard/events'
import type { SecretStream } from '@orchard/wire'

/** Options of {@link RelayDHTServer}. */
export interface RelayConnectionServerOptions {
  /** Decides on each incoming handshake once the remote key is known: true refuses it. */
  firewall?(remotePublicKey: Uint8Array): boolean
}

/** Events of a {@link RelayDHTServer}. */
export interface RelayDHTServerEvents {
  /** An incoming encrypted connection. */
  connection: [conn: SecretStream]
  /** The server listens. */
  listening: []
  /** The server stopped listening. */
  close: []
}

/** What the server needs from its session. @internal */
export interface ServerSession {
  listen(keyPair: KeyPair): Promise<Uint8Array>
  close(): Promise<void>
}

/** A server on a relay session (see the module doc). */
export class RelayDHTServer extends Emitter<RelayDHTServerEvents> {
  /** The key the server listens on, once it does. */
  publicKey: Uint8Array | null = null
  readonly #opts: RelayConnectionServerOptions
  readonly #session: ServerSession
  #listening: Promise<this> | null = null

  /** @internal created by `RelayDHT.createServer`. */
  constructor(opts: RelayConnectionServerOptions, session: ServerSession) {
    super()
    this.#opts = opts
    this.#session = session
  }

  /** True while listening. */
  get listening(): boolean {
    return this.publicKey !== null
  }

  /** Starts accepting connections to `keyPair.publicKey` (the session's key). */
  listen(keyPair: KeyPair): Promise<this> {
    this.#listening ??= this.#session.listen(keyPair).then(
      (publicKey) => {
        this.publicKey = publicKey
        this.emit('listening')
        return this
      },
      (err) => {
        this.#listening = null
        throw err
      }
    )
    return this.#listening
  }

  /** Stops accepting (existing connections stay up). */
  async close(): Promise<void> {
    if (!this.#listening) return
    this.#listening = null
    this.publicKey = null
    await this.#session.close()
    this.emit('close')
  }

  /** Where the server listens: its key (a relayed server has no address of its own). */
  address(): { publicKey: Uint8Array; host: null; port: null } | null {
    return this.publicKey ? { publicKey: this.publicKey, host: null, port: null } : null
  }

  /** @internal whether the firewall refuses `remotePublicKey`. */
  refuses(remotePublicKey: Uint8Array): boolean {
    try {
      return this.#opts.firewall?.(remotePublicKey) === true
    } catch {
      return true
    }
  }
}
