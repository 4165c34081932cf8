/**
 * Live sync: one swarm per tab, reaching the HyperDHT through the relay (the relay never holds the
 * tab's secret key nor sees plaintext), replicating the whole store on every connection — the
 * store opens on demand the cores a peer asks for, so one connection carries every notebook both
 * sides have. The open notebook's topic is joined as server and client, so readers serve each
 * other too and any peer that holds the blocks can hand them on.
 *
 * When the relay or the network goes away the swarm's relay session reconnects by itself (and
 * looks its topics up again); writes made meanwhile sit in IndexedDB and flow on reconnect.
 *
 * While the tab has no peer it looks its topics up again every {@link LONELY_REFRESH_MS}: two peers
 * that announce at the same moment (both coming back after an outage) can each miss the other's
 * record, and a swarm otherwise looks a topic up only when it joins it or its session reconnects.
 *
 * With blind peers in the config (`pnpm start` runs one beside its relay), the open notebook's cores
 * are handed to them too: they keep the notebook available while every tab is closed, and a tab that
 * opens a link later reads it from them.
 *
 * Topics are joined once the first relay session is open. Joining earlier makes the swarm listen
 * while the session is still opening, and `RelaySwarmDHT` then listens twice on that session (once
 * for the swarm's call, once on its own when the session opens): the second fails with
 * `PROTOCOL: the session already has a server`, and the swarm's `listening` stays rejected, so no
 * topic is ever announced or looked up again.
 */
import { BlindPeering } from '@orchard/blind-peering'
import type { Corestore } from '@orchard/corestore'
import { Emitter } from '@orchard/events'
import type { Hypercore } from '@orchard/hypercore'
import { type RelaySwarmDHT, relayNode } from '@orchard/relay/client'
import { Swarm, type SwarmConnection } from '@orchard/swarm'
import { toHex } from './link.ts'

/** How often a tab with no peers looks its topics up again. */
export const LONELY_REFRESH_MS = 10_000

/** How long a blind peer may take to confirm it holds what was written before the tab says so. */
const KEPT_TIMEOUT_MS = 60_000

/**
 * Where the open notebook stands with the blind peers: `off` (none configured), `sending` (they do
 * not hold every block yet), `kept` (they hold every block: the tab may close), `unreachable`.
 */
export type KeptState = 'off' | 'sending' | 'kept' | 'unreachable'

/** The relay session's state. */
export type RelayState = 'connecting' | 'online' | 'offline'

/** Events of {@link Sync}. */
export interface SyncEvents {
  /** The relay state or the peer count changed. */
  status: []
}

/** The tab's swarm and what the UI shows of it. */
export class Sync extends Emitter<SyncEvents> {
  readonly swarm: Swarm
  readonly relayUrl: string
  relay: RelayState = 'connecting'
  /** The blind peers keeping the open notebook's cores (null when the config names none). */
  readonly blind: BlindPeering | null
  /** See {@link KeptState}. */
  kept: KeptState = 'off'
  /** Bumped on destroy: a check still running then changes nothing. */
  #keptRound = 0
  #checking = false
  #checkAgain: Hypercore[] | null = null
  /** Errors of connections (a peer that went away resets its stream: expected, kept for debugging). */
  readonly errors: string[] = []
  readonly #store: Corestore
  readonly #joined = new Map<string, Uint8Array>()
  /** Resolves when the first relay session is open (see the module doc). */
  readonly #firstSession: Promise<void>
  readonly #timer: ReturnType<typeof setInterval>

  constructor(store: Corestore, relayUrl: string, blindPeers: readonly string[] = []) {
    super()
    this.#store = store
    this.relayUrl = relayUrl
    this.swarm = new Swarm({ relay: relayNode(relayUrl, { reconnectDelays: [250, 1000, 2000, 3000] }) })
    const dht = this.swarm.dht as RelaySwarmDHT
    // the blind peers are dialled on their own connections, which replicate the whole store too
    this.blind =
      blindPeers.length > 0
        ? new BlindPeering(dht, store, { keys: blindPeers, keyPair: dht.defaultKeyPair })
        : null
    this.#firstSession = new Promise((resolve) => dht.once('session', () => resolve()))
    dht.on('session', () => this.#setRelay('online'))
    dht.on('disconnect', () => this.#setRelay('offline'))
    dht.ready().then(
      () => this.#setRelay('online'),
      () => this.#setRelay('offline')
    )
    this.swarm.on('connection', (conn) => this.#onConnection(conn))
    this.swarm.on('update', () => this.emit('status'))
    this.#timer = setInterval(() => {
      if (this.relay === 'online' && this.peers === 0) this.refresh()
    }, LONELY_REFRESH_MS)
  }

  /** Announces and looks up every joined topic again (e.g. when the network comes back). */
  refresh(): void {
    for (const discovery of this.swarm.topics()) discovery.refresh().catch(() => {})
  }

  /** Open connections to peers. */
  get peers(): number {
    return this.swarm.connections.size
  }

  #setRelay(state: RelayState): void {
    if (this.relay === state) return
    this.relay = state
    this.emit('status')
  }

  #onConnection(conn: SwarmConnection): void {
    conn.on('error', (err: Error) => {
      this.errors.push(err.message)
      if (this.errors.length > 20) this.errors.shift()
    })
    conn.on('close', () => this.emit('status'))
    this.#store.replicate(conn)
    this.emit('status')
  }

  /** Joins `topic` (a notebook's discovery key): announced, looked up, peers dialled. */
  join(topic: Uint8Array): void {
    const id = toHex(topic)
    if (this.#joined.has(id)) return
    this.#joined.set(id, topic)
    this.#firstSession.then(() => {
      if (this.#joined.get(id) === topic && !this.swarm.destroyed) this.swarm.join(topic)
    })
  }

  /** Leaves `topic` (open connections stay: they may carry other notebooks). */
  async leave(topic: Uint8Array): Promise<void> {
    if (!this.#joined.delete(toHex(topic))) return
    await this.swarm.leave(topic)
  }

  /**
   * Asks the blind peers to keep `cores` (the open notebook's; asking again is free) and checks
   * that they hold every block written so far: {@link kept} says where that stands.
   */
  keep(cores: Hypercore[]): void {
    const blind = this.blind
    if (!blind) return
    for (const core of cores) blind.addCoreBackground(core)
    this.#setKept('sending')
    // one check at a time: one asked for meanwhile runs when it ends, on the cores of that moment
    if (this.#checking) {
      this.#checkAgain = cores
      return
    }
    this.#checking = true
    const round = this.#keptRound
    Promise.all(cores.map((core) => blind.synced(core, { length: core.length, timeout: KEPT_TIMEOUT_MS })))
      .then(
        () => 'kept' as const,
        () => 'unreachable' as const
      )
      .then((state) => {
        this.#checking = false
        if (round !== this.#keptRound) return
        const again = this.#checkAgain
        this.#checkAgain = null
        if (again) this.keep(again)
        else this.#setKept(state)
      })
  }

  #setKept(state: KeptState): void {
    if (this.kept === state) return
    this.kept = state
    this.emit('status')
  }

  /** Leaves every topic and closes the connections, the blind peers' and the relay session. */
  async destroy(): Promise<void> {
    clearInterval(this.#timer)
    this.#keptRound++
    await this.blind?.close()
    await this.swarm.destroy()
  }
}
