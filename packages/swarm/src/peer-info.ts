/**
 * What the swarm knows of one remote peer (by public key), as hyperswarm's `PeerInfo`: the topics
 * it was found under, whether it is an explicit (`joinPeer`) peer, its ban, and the attempt
 * history that sets its priority in the connect queue and its retry backoff.
 */
import { Emitter } from '@orchard/events'
import { toHex } from './bytes.ts'
import type { ConnectionType } from './webrtc-upgrade.ts'

/** A connection that lasted at least this long resets the attempt count (fast retry). */
const MIN_CONNECTION_TIME = 15000

/** Priorities of the connect queue, lowest first. */
export const Priority = {
  /** Dialled last: a peer tried but never reached, or with more than three failed attempts. */
  VERY_LOW: 0,
  /** Three failed attempts since its last lasting connection. */
  LOW: 1,
  /** The default: a fresh peer, or one whose last connection lasted (attempts reset). */
  NORMAL: 2,
  /** Two failed attempts: retried ahead of fresh peers. */
  HIGH: 3,
  /** One failed attempt: retried first, most likely a transient drop. */
  VERY_HIGH: 4
} as const

/** The events of a {@link PeerInfo}. */
export interface PeerInfoEvents {
  /** The peer was found under a new topic. */
  topic: [topic: Uint8Array]
}

/** One remote peer as the swarm sees it. */
export class PeerInfo extends Emitter<PeerInfoEvents> {
  /** The peer's static public key. */
  readonly publicKey: Uint8Array
  /** Whether the swarm reconnects to it after a drop (see {@link reconnect}). */
  reconnecting = true
  /** True once a connection to it ever opened. */
  proven = false
  /** When its connection opened (ms since epoch), -1 when not connected. */
  connectedTime = -1
  /** When its last connection closed (ms since epoch). */
  disconnectedTime = 0
  /** Banned: never connected to nor accepted again (see {@link ban}). */
  banned = false
  /** True once a connection to it was tried. */
  tried = false
  /** Joined by key (`joinPeer`): kept and reconnected regardless of topics. */
  explicit = false
  /** Waiting in the retry timer. */
  waiting = false
  /** In the connect queue. */
  queued = false
  /** True when our side dialled its current (or last) connection. */
  client = false
  /**
   * How its latest connection reaches it: `'relay'`, `'dht'`, or `'webrtc'` once upgraded to a
   * direct data channel (the swarm's `webrtc` option); null before any.
   */
  connectionType: ConnectionType | null = null
  /** The topics it was found under. */
  readonly topics: Uint8Array[] = []
  /** Failed or ended connection attempts since the last long-lived connection. */
  attempts = 0
  /** Its priority in the connect queue (see {@link Priority}). */
  priority: number = Priority.NORMAL
  /** @internal the flush generation it was queued in */
  _flushTick = 0
  /** @internal the swarm drops the peer's connection on a ban */
  _onban: ((banned: boolean) => void) | null = null
  readonly #seenTopics = new Set<string>()

  /** The info of the peer with key `publicKey`. */
  constructor(publicKey: Uint8Array) {
    super()
    this.publicKey = publicKey
  }

  /** True when the remote dialled the current (or last) connection. */
  get server(): boolean {
    return !this.client
  }

  /** True when its priority is normal or higher. */
  get prioritized(): boolean {
    return this.priority >= Priority.NORMAL
  }

  /** Bans (`true`, the default) or unbans the peer. A banned peer is neither dialled nor accepted. */
  ban(banned = true): void {
    this.banned = banned
    this._onban?.(banned)
  }

  /** Whether to reconnect to it after a drop. */
  reconnect(value: boolean): void {
    this.reconnecting = value
  }

  /** True when nothing keeps it in the swarm's peer map. */
  shouldGC(): boolean {
    return !(this.banned || this.queued || this.explicit || this.waiting)
  }

  /** @internal */
  _getPriority(): number {
    const stale = this.tried && !this.proven
    if (stale || this.attempts > 3) return Priority.VERY_LOW
    if (this.attempts === 3) return Priority.LOW
    if (this.attempts === 2) return Priority.HIGH
    if (this.attempts === 1) return Priority.VERY_HIGH
    return Priority.NORMAL
  }

  /** @internal a connection to it opened */
  _connected(): void {
    this.proven = true
    this.connectedTime = Date.now()
  }

  /** @internal its connection closed (or the attempt failed) */
  _disconnected(): void {
    this.disconnectedTime = Date.now()
    if (this.connectedTime > -1) {
      if (this.disconnectedTime - this.connectedTime >= MIN_CONNECTION_TIME) this.attempts = 0
      this.connectedTime = -1
    }
    this.attempts++
  }

  /** @internal found again by a lookup: start over */
  _reset(): void {
    this.client = false
    this.proven = false
    this.tried = false
    this.attempts = 0
  }

  /** @internal false when it must not be queued (banned, queued, given up on) */
  _updatePriority(): boolean {
    if (this.explicit && this.attempts > 3) this.attempts = 3
    if (this.banned || this.queued || this.attempts > 3) return false
    this.priority = this._getPriority()
    return true
  }

  /** @internal */
  _topic(topic: Uint8Array): void {
    const id = toHex(topic)
    if (this.#seenTopics.has(id)) return
    this.#seenTopics.add(id)
    this.topics.push(topic)
    this.emit('topic', topic)
  }
}
