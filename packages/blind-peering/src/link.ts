/**
 * One blind peer as the client sees it: the cores it was asked to keep, and one connection to it
 * (dialled by key, reconnected with backoff while it has cores). On every connection the whole
 * store replicates, and the cores are sent once in `blind-peer` messages — so the blind peer
 * downloads what it was asked for from us, and serves it to others later.
 */
import type { Corestore } from '@orchard/corestore'
import type { KeyPair } from '@orchard/crypto'
import { Hypercore } from '@orchard/hypercore'
import type { SwarmConnection, SwarmDHT } from '@orchard/swarm'
import type { Channel } from '@orchard/wire'
import { BLIND_PEER_PROTOCOL, type CoresRequest, coresRequest } from './messages.ts'

/** Delays between reconnection attempts, as blind-peering's (the last one repeats). */
export const RECONNECT_BACKOFF_MS = [
  1000, 1000, 1000, 2000, 2000, 3000, 3000, 5000, 5000, 15000, 30000, 60000
]

/** What a link needs from the {@link BlindPeering} that owns it. */
export interface LinkHost {
  readonly dht: SwarmDHT
  readonly keyPair: KeyPair
  readonly store: Corestore
  readonly suspended: boolean
  readonly backoff: readonly number[]
  /** Counters: `addCoresTx` is bumped per message sent. */
  readonly stats: { addCoresTx: number }
  /** The link holds no cores any more (the host may close it once it went idle). */
  onUnused(link: BlindPeerLink): void
}

/** How one core was asked for. */
interface CoreAsk {
  priority: number
  announce: boolean
  referrer: Uint8Array | null
  /** The connection number it was last sent on (0: never). */
  sentOn: number
}

/** A blind peer, its cores, and the connection to it. */
export class BlindPeerLink {
  /** The blind peer's public key. */
  readonly remotePublicKey: Uint8Array
  readonly #host: LinkHost
  readonly #cores = new Map<Hypercore, CoreAsk>()
  /** The current connection, once dialled (null before, and after `destroy`). */
  connection: SwarmConnection | null = null
  #channel: Channel | null = null
  /** True while the connection is open. */
  connected = false
  /** The running connection attempt, if any. */
  connecting: Promise<void> | null = null
  /** How many connections were made (each gets every core sent again). */
  #connects = 0
  #suspended: boolean
  /** True once destroyed (closed for good). */
  destroyed = false
  #wait: { timer: ReturnType<typeof setTimeout>; done: () => void } | null = null

  constructor(host: LinkHost, remotePublicKey: Uint8Array) {
    this.#host = host
    this.remotePublicKey = remotePublicKey
    this.#suspended = host.suspended
  }

  /** Cores this link keeps at the blind peer. */
  get size(): number {
    return this.#cores.size
  }

  /** Whether this link keeps `core`. */
  holds(core: Hypercore): boolean {
    return this.#cores.has(core)
  }

  /** Raw bytes written on the current connection, where the stream counts them. */
  get bytesWritten(): number {
    return this.connection?.rawBytesWritten ?? 0
  }

  /** Asks the blind peer to keep `core` (once per core), and connects if needed. */
  addCore(core: Hypercore, ask: Omit<CoreAsk, 'sentOn'>): void {
    if (this.#cores.has(core) || this.destroyed) return
    const entry: CoreAsk = { ...ask, sentOn: 0 }
    this.#cores.set(core, entry)
    core.once('close', () => {
      if (this.#cores.get(core) !== entry) return
      this.#cores.delete(core)
      this.update()
    })
    this.update()
  }

  /** Connects while there are cores, and sends what this connection has not carried yet. */
  update(): void {
    if (this.destroyed || this.#suspended) return
    if (this.#cores.size === 0) {
      this.#host.onUnused(this)
      return
    }
    if (!this.connected) {
      this.connect().catch(() => {}) // failures retry with backoff inside; nothing to report here
      return
    }
    this.#send()
  }

  /** Opens the connection (resolves once open, or once the attempts stopped). */
  connect(): Promise<void> {
    if (this.connecting) return this.connecting
    if (this.connected) return Promise.resolve()
    this.connecting = this.#connect().finally(() => {
      this.connecting = null
    })
    return this.connecting
  }

  #active(): boolean {
    return !this.destroyed && !this.#suspended && this.#cores.size > 0
  }

  async #connect(): Promise<void> {
    for (let attempt = 0; this.#active(); attempt++) {
      if (attempt > 0) {
        const backoff = this.#host.backoff
        await this.#sleep(backoff[Math.min(attempt - 1, backoff.length - 1)]!)
        if (!this.#active()) break
      }
      const conn = this.#host.dht.connect(this.remotePublicKey, { keyPair: this.#host.keyPair })
      conn.on('error', () => {}) // a refused or dropped connection is retried, not thrown
      this.connection = conn
      this.#channel = this.#openChannel(conn)
      if ((await conn.opened) && !conn.destroyed && this.connection === conn) {
        this.connected = true
        this.#connects++
        break
      }
    }
    if (this.connected && this.#active()) this.#send()
    else if (!this.connected) this.#channel?.close()
  }

  #openChannel(conn: SwarmConnection): Channel | null {
    const stream = this.#host.store.replicate(conn)
    const mux = Hypercore.getProtocolMuxer(stream)
    const channel = mux.createChannel({
      protocol: BLIND_PEER_PROTOCOL,
      messages: [{ encoding: coresRequest }],
      onclose: () => {
        const wasConnected = this.connected && this.connection === conn
        conn.destroy()
        if (this.connection !== conn) return
        this.connected = false
        this.#channel = null
        if (wasConnected && this.#active()) this.connect().catch(() => {})
      }
    })
    channel?.open()
    return channel
  }

  /** Sends every core this connection has not carried, one message each (corked together). */
  #send(): void {
    const channel = this.#channel
    if (!this.connected || channel === null) return
    const pending = [...this.#cores].filter(([, ask]) => ask.sentOn !== this.#connects)
    if (pending.length === 0) return
    if (pending.length > 1) channel.cork()
    for (const [core, ask] of pending) {
      const request: CoresRequest = {
        referrer: ask.referrer,
        priority: ask.priority,
        announce: ask.announce,
        cores: [{ key: core.key!, length: core.length }]
      }
      channel.messages[0]!.send(request)
      this.#host.stats.addCoresTx++
      ask.sentOn = this.#connects
    }
    if (pending.length > 1) channel.uncork()
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        if (this.#wait === null) return
        clearTimeout(this.#wait.timer)
        this.#wait = null
        resolve()
      }
      this.#wait = { timer: setTimeout(done, ms), done }
    })
  }

  /** Stops connecting and closes the connection; `resume` picks up again. */
  suspend(): void {
    if (this.#suspended) return
    this.#suspended = true
    this.#wait?.done()
    this.#drop()
  }

  /** Reconnects (if there are cores) after `suspend`. */
  resume(): void {
    if (!this.#suspended) return
    this.#suspended = false
    this.update()
  }

  /** Closes for good. */
  destroy(): void {
    if (this.destroyed) return
    this.destroyed = true
    this.#wait?.done()
    this.#drop()
    this.#cores.clear()
  }

  #drop(): void {
    const conn = this.connection
    this.connected = false
    this.#channel?.close()
    this.#channel = null
    this.connection = null
    conn?.destroy()
  }
}
