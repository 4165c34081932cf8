/**
 * The relay node: a real `hyperdht` node (on the network given by `bootstrap`, or on an embedded
 * loopback testnet), a WebSocket server for tab sessions, `/health` and `/metrics` over HTTP, and a
 * graceful close.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { toHex } from '@orchard/codec'
import { ready } from '@orchard/crypto'
import { WebSocketServer } from 'ws'
import { type RunningBlindPeer, startBlindPeer } from './node/blind-peer.ts'
import { createTestnet, HyperDHT, type HyperDHTNode, type Testnet } from './node/hyperdht.ts'
import { Metrics } from './node/metrics.ts'
import { Session, type SessionContext, type TapDirection } from './node/session.ts'
import { closeCode, DEFAULT_LIMITS, ErrorCode, encodeMessage, type Limits } from './protocol/index.ts'

/** Options of a {@link RelayServer}. */
export interface RelayServerOptions {
  /** TCP port of the HTTP/WebSocket server (default 0: any free port). */
  port?: number
  /** Interface to bind (default `127.0.0.1`). */
  host?: string
  /**
   * DHT bootstrap nodes (`host:port` strings or objects). Absent: an embedded `@hyperswarm/testnet`
   * on loopback is started and the relay joins it.
   */
  bootstrap?: (string | { host: string; port: number })[]
  /**
   * Interface the DHT node's UDP socket binds (default: `127.0.0.1` with the embedded testnet,
   * all interfaces otherwise). Loopback peers on one host only reach each other bound to loopback.
   */
  dhtHost?: string
  /** Nodes of the embedded testnet (default 3). */
  testnetSize?: number
  /** Limits (defaults: {@link DEFAULT_LIMITS}). */
  limits?: Partial<Limits>
  /** Receives one structured record per event (the CLI prints them as JSON lines). */
  log?: (record: Record<string, unknown>) => void
  /** Sees every byte the relay receives and sends per session (for audits and tests). */
  tap?: (sessionId: number, direction: TapDirection, bytes: Uint8Array) => void
  /**
   * Also run Holepunch's real `blind-peer` beside the relay, storing in `storage`: tabs ask it
   * (`@orchard/blind-peering`) to keep their cores while they are closed. Its key is
   * {@link RelayServer.blindPeer}'s and `/health`'s `blindPeer`.
   */
  blindPeer?: { storage: string; maxBytes?: number }
  /** Milliseconds sessions get to unannounce (with their tab's signatures) on close (default 5000). */
  shutdownTimeout?: number
}

/** A running relay: DHT node + WebSocket server. Create it with {@link RelayServer.start}. */
export class RelayServer {
  /** The relay's counters and gauges (also served at `/metrics`). */
  readonly metrics = new Metrics()
  /** The limits in force. */
  readonly limits: Limits
  /** The DHT node tab sessions borrow. */
  readonly dht: HyperDHTNode
  /** The embedded testnet, when no bootstrap was given. */
  readonly testnet: Testnet | null
  /** The DHT bootstrap list the relay uses (the testnet's when embedded). */
  readonly bootstrap: (string | { host: string; port: number })[]
  /** The blind peer running beside the relay (`blindPeer` option), or null. */
  blindPeer: RunningBlindPeer | null = null
  readonly #http: Server
  readonly #wss: WebSocketServer
  readonly #sessions = new Set<Session>()
  readonly #opts: RelayServerOptions
  #nextId = 1
  #closing: Promise<void> | null = null

  private constructor(
    opts: RelayServerOptions,
    dht: HyperDHTNode,
    testnet: Testnet | null,
    bootstrap: (string | { host: string; port: number })[]
  ) {
    this.#opts = opts
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits }
    this.dht = dht
    this.testnet = testnet
    this.bootstrap = bootstrap
    this.#http = createServer((req, res) => this.#onHttp(req, res))
    this.#wss = new WebSocketServer({
      server: this.#http,
      maxPayload: Math.max(2 * this.limits.maxFrame, 1024 * 1024)
    })
    this.#wss.on('connection', (ws) => this.#onConnection(ws))
  }

  /** Starts the DHT node (and testnet), then listens for HTTP/WebSocket on `host:port`. */
  static async start(opts: RelayServerOptions = {}): Promise<RelayServer> {
    await ready()
    let testnet: Testnet | null = null
    let bootstrap = opts.bootstrap
    if (!bootstrap) {
      testnet = await createTestnet(opts.testnetSize ?? 3, { host: '127.0.0.1' })
      bootstrap = testnet.bootstrap
    }
    const dhtHost = opts.dhtHost ?? (testnet ? '127.0.0.1' : undefined)
    // On its own loopback testnet every peer runs on this host and can dial the relay's nodes
    // directly, so they say they are reachable. Left firewalled, a native peer in another process
    // started as hyperswarm starts (firewalled too) could not connect to a tab announced here, nor
    // to the blind peer: two firewalled nodes on loopback in different processes do not holepunch.
    const reachable = testnet !== null
    const dht = new HyperDHT({
      bootstrap,
      ...(dhtHost ? { host: dhtHost } : {}),
      ...(reachable ? { firewalled: false } : {})
    })
    try {
      await dht.ready()
    } catch (err) {
      await dht.destroy()
      await testnet?.destroy()
      throw err
    }
    const relay = new RelayServer(opts, dht, testnet, bootstrap)
    if (opts.blindPeer) {
      try {
        relay.blindPeer = await startBlindPeer({
          ...opts.blindPeer,
          bootstrap,
          reachable,
          ...(dhtHost ? { host: dhtHost } : {})
        })
      } catch (err) {
        await dht.destroy()
        await testnet?.destroy()
        throw err
      }
    }
    await new Promise<void>((resolve, reject) => {
      relay.#http.once('error', reject)
      relay.#http.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
        relay.#http.off('error', reject)
        resolve()
      })
    })
    relay.#log({
      event: 'listening',
      url: relay.url,
      dht: dht.address(),
      testnet: testnet !== null,
      blindPeer: relay.blindPeer ? toHex(relay.blindPeer.publicKey) : null
    })
    return relay
  }

  /** The HTTP/WebSocket address. */
  address(): { host: string; port: number } {
    const a = this.#http.address() as AddressInfo
    return { host: a.address, port: a.port }
  }

  /** `ws://host:port` of the relay. */
  get url(): string {
    const { host, port } = this.address()
    return `ws://${host.includes(':') ? `[${host}]` : host}:${port}`
  }

  /** Open sessions. */
  get sessions(): number {
    return this.#sessions.size
  }

  #log(record: Record<string, unknown>): void {
    this.#opts.log?.({ time: new Date().toISOString(), ...record })
  }

  #onHttp(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0]
    if (path === '/health') {
      const ok = !this.#closing && !this.dht.destroyed
      // readable from any page: tabs learn the blind peer's key here
      res.writeHead(ok ? 200 : 503, {
        'content-type': 'application/json',
        'access-control-allow-origin': '*'
      })
      const blindPeer = this.blindPeer ? toHex(this.blindPeer.publicKey) : null
      res.end(JSON.stringify({ ok, sessions: this.#sessions.size, dht: this.dht.address(), blindPeer }))
      return
    }
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
      res.end(this.metrics.render())
      return
    }
    res.writeHead(404, { 'content-type': 'text/plain' })
    res.end('not found\n')
  }

  #onConnection(ws: import('ws').WebSocket): void {
    if (this.#closing || this.#sessions.size >= this.limits.maxSessions) {
      const code = this.#closing ? 'SHUTDOWN' : 'TOO_MANY_SESSIONS'
      this.metrics.error(code)
      this.#log({ event: 'session_refused', code })
      const message = this.#closing ? 'the relay is shutting down' : 'the relay holds its maximum of sessions'
      ws.send(encodeMessage({ type: 'ERROR', id: 0, code: ErrorCode[code], message }))
      ws.close(closeCode(code), message)
      return
    }
    const ctx: SessionContext = {
      dht: this.dht,
      limits: this.limits,
      metrics: this.metrics,
      log: (r) => this.#log(r),
      onClose: (s) => {
        if (this.#sessions.delete(s)) this.metrics.sessions--
      },
      tap: this.#opts.tap
    }
    const session = new Session(this.#nextId++, ws, ctx)
    this.#sessions.add(session)
    this.metrics.sessions++
    this.metrics.sessionsTotal++
  }

  /**
   * Graceful close: stops accepting sessions, lets every session unannounce (with its tab's
   * signatures, bounded by `shutdownTimeout`), closes them with `SHUTDOWN`, then the DHT node and
   * the testnet.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  async #close(): Promise<void> {
    this.#log({ event: 'shutdown', sessions: this.#sessions.size })
    const timeout = this.#opts.shutdownTimeout ?? 5000
    await Promise.allSettled([...this.#sessions].map((s) => s.shutdown(timeout)))
    for (const ws of this.#wss.clients) ws.terminate()
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()))
    await new Promise<void>((resolve) => this.#http.close(() => resolve()))
    await this.blindPeer?.close()
    await this.dht.destroy()
    await this.testnet?.destroy()
    this.#log({ event: 'closed' })
  }
}
