/**
 * Every connection of the swarm, pending or open, by the remote's public key: at most one per key
 * (the swarm's dedup keeps it so). Also the small shuffled priority queue of peers to dial.
 */
import { toHex } from './bytes.ts'
import type { SwarmConnection } from './dht.ts'
import type { PeerInfo } from './peer-info.ts'

/** Connections by remote public key (hex). */
export class ConnectionSet {
  readonly #byKey = new Map<string, SwarmConnection>()

  /** How many keys have a connection. */
  get size(): number {
    return this.#byKey.size
  }

  /** The connections. */
  [Symbol.iterator](): IterableIterator<SwarmConnection> {
    return this.#byKey.values()
  }

  /** True when `key` (bytes or hex) has a connection. */
  has(key: Uint8Array | string): boolean {
    return this.#byKey.has(typeof key === 'string' ? key : toHex(key))
  }

  /** The connection of `key` (bytes or hex). */
  get(key: Uint8Array | string): SwarmConnection | undefined {
    return this.#byKey.get(typeof key === 'string' ? key : toHex(key))
  }

  /** Records `conn` as the connection of `key`. */
  add(key: Uint8Array, conn: SwarmConnection): void {
    this.#byKey.set(toHex(key), conn)
  }

  /** Forgets `conn` as the connection of `key` (a no-op when another one replaced it). */
  delete(key: Uint8Array, conn: SwarmConnection): void {
    const id = toHex(key)
    if (this.#byKey.get(id) === conn) this.#byKey.delete(id)
  }
}

/**
 * Peers waiting to be dialled: highest priority first, random order within a priority (so a
 * swarm does not always dial the same peers first), as hyperswarm's shuffled priority queue.
 */
export class PeerQueue {
  readonly #levels: PeerInfo[][] = [[], [], [], [], []]

  /** How many peers wait. */
  get length(): number {
    let n = 0
    for (const l of this.#levels) n += l.length
    return n
  }

  /** Queues `peer` at its priority. */
  add(peer: PeerInfo): void {
    const level = this.#levels[Math.max(0, Math.min(4, peer.priority))]!
    level.push(peer)
  }

  /** Takes a random peer of the highest non-empty priority. */
  shift(): PeerInfo | undefined {
    for (let p = this.#levels.length - 1; p >= 0; p--) {
      const level = this.#levels[p]!
      if (level.length === 0) continue
      const i = Math.floor(Math.random() * level.length)
      const peer = level[i]!
      level[i] = level[level.length - 1]!
      level.pop()
      return peer
    }
    return undefined
  }

  /** Removes `peer` if it waits. */
  remove(peer: PeerInfo): void {
    for (const level of this.#levels) {
      const i = level.indexOf(peer)
      if (i !== -1) level.splice(i, 1)
    }
  }
}

/**
 * The callers of `swarm.flush()` still waiting, each for the peers queued before it to be dialled
 * to an open connection or a failure. Peers carry the generation ({@link tick}) they were queued in.
 */
export class FlushWaiters {
  /** The current generation: peers queued now belong to it. */
  tick = 0
  #waiting: { resolve: (ok: boolean) => void; missing: number; tick: number }[] = []

  /** Resolves true once `missing` more peers of the current generation (or earlier) are done. */
  wait(missing: number): Promise<boolean> {
    return new Promise((resolve) => this.#waiting.push({ resolve, missing, tick: this.tick++ }))
  }

  /** A peer queued in generation `tick` was dialled, or given up on. */
  peerDone(tick: number): void {
    for (let i = 0; i < this.#waiting.length; i++) {
      const flush = this.#waiting[i]!
      if (tick > flush.tick || --flush.missing > 0) continue
      flush.resolve(true)
      this.#waiting.splice(i--, 1)
    }
  }

  /** Resolves every waiter with `ok`. */
  releaseAll(ok: boolean): void {
    for (const flush of this.#waiting.splice(0)) flush.resolve(ok)
  }
}
