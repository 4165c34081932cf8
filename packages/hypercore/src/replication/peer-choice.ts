/**
 * Whom the replicator asks: for a block, the least busy peer that holds it, within its request
 * window; for an upgrade, the peer furthest ahead that can prove it; and, for blocks no peer is
 * known to hold, which peers to ask for their bitfield (`want`), once per window.
 */
import type { Core } from '../core.ts'
import { MESSAGE_TYPES as T } from './messages.ts'
import type { Peer } from './peer.ts'

/** `want` windows: aligned, a power of two within hypercore's accepted [32, 2^21]. */
const DEFAULT_WANT_WINDOW = 32768
/** hypercore 11's `SMALL_WANTS` feature flag: 128 bitfield words per want. */
export const SMALL_WANT_WINDOW = 4096
let wantWindow = DEFAULT_WANT_WINDOW

/** Sets the want window of every replicator (`Hypercore.enable(Hypercore.SMALL_WANTS)`). */
export function useSmallWants(small: boolean): void {
  wantWindow = small ? SMALL_WANT_WINDOW : DEFAULT_WANT_WINDOW
}

/** The want window in blocks now. */
export function currentWantWindow(): number {
  return wantWindow
}

/**
 * A peer whose request window filled up takes more download requests only once this many of them
 * came back, and then that many at once — one message of requests per refill, not one per answer.
 * A tab downloading 4 000 × 4 KiB over WebRTC sent ~930 messages of requests for ~1 020 of blocks
 * (each a data-channel send and SCTP packets on CPU-bound tabs); with refills, 110. A `get`
 * someone waits for is still asked for at once.
 */
const REFILL = 32

/** The per-peer request window: `max` requests in flight, refilled in batches for downloads. */
export class RequestWindow {
  readonly max: number
  /** A full window takes download requests again at this many in flight. */
  readonly refillAt: number

  constructor(max: number) {
    this.max = max
    this.refillAt = max - Math.min(REFILL, Math.ceil(max / 2))
  }

  /**
   * The least busy peer that has `index`; null if none has it, undefined if all are busy. For a
   * download (`refill`), a peer whose window filled up is busy until it has room for a refill.
   */
  peerFor(peers: readonly Peer[], fork: number, index: number, refill: boolean): Peer | null | undefined {
    let best: Peer | null = null
    let busy = false
    for (const p of peers) {
      if (
        !p.remoteOpened ||
        p.remoteFork !== fork ||
        !p.remote.has(index) ||
        p.notAvailable.has(index) ||
        !p.canRequest(index)
      )
        continue
      const inflight = p.inflight.size
      if (inflight >= this.max) p.windowFull = true
      else if (inflight <= this.refillAt) p.windowFull = false
      if (inflight >= this.max || (refill && p.windowFull)) {
        busy = true
        continue
      }
      if (best === null || inflight < best.inflight.size) best = p
    }
    return best ?? (busy ? undefined : null)
  }

  /** The peer furthest ahead of `core` on its fork that can prove it and has room; null if none. */
  upgradePeer(peers: readonly Peer[], core: Core): Peer | null {
    let best: Peer | null = null
    for (const p of peers) {
      if (!p.remoteOpened || p.remoteFork !== core.fork || p.remoteLength <= core.length) continue
      if (!p.remoteCanUpgrade || p.lengthAcked !== core.length || p.inflight.size >= this.max) continue
      if (best === null || p.remoteLength > best.remoteLength) best = p
    }
    return best
  }
}

/** Asks peers for their bitfield around blocks nobody is known to hold, once per peer and window. */
export class WhoHas {
  readonly #sent = new WeakMap<Peer, Set<number>>()

  /** Asks the peers that may have `index` (they are long enough) about its window. */
  ask(peers: readonly Peer[], index: number): void {
    const size = wantWindow
    const window = Math.floor(index / size)
    for (const p of peers) {
      if (p.remoteLength <= index || p.remote.has(index)) continue
      let sent = this.#sent.get(p)
      if (!sent) {
        sent = new Set()
        this.#sent.set(p, sent)
      }
      if (sent.has(window)) continue
      sent.add(window)
      p.channel.send(T.want, { start: window * size, length: size })
    }
  }
}
