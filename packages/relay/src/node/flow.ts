/**
 * Flow control of one session, both ways, so a slow side never makes the relay buffer without
 * bound:
 * - peer → tab: when the tab's WebSocket has more than {@link HIGH_WATER_MARK} bytes unsent, the
 *   session's DHT streams stop being read until it is down to half;
 * - tab → peer: when a DHT stream refuses more (its `write` returned false), the session stops
 *   reading the tab's WebSocket until every such stream drained. One WebSocket carries all of a
 *   session's streams, so one full stream holds back the tab's other streams too — as one TCP
 *   connection would.
 */
import type { WebSocket } from 'ws'
import type { BlindStream } from './hooks.ts'

/** Bytes a tab's WebSocket may hold unsent before the relay stops reading its DHT streams. */
export const HIGH_WATER_MARK = 4 * 1024 * 1024

/** The flow control of one session (see the module doc). */
export class SessionFlow {
  readonly #ws: WebSocket
  readonly #streams: () => Iterable<BlindStream>
  readonly #onBlocked: () => void
  #congested: ReturnType<typeof setInterval> | null = null
  readonly #blocked = new Set<BlindStream>()

  /**
   * Flow control of the session on `ws` whose streams `streams` lists; `onBlocked` counts each time
   * the tab's reading is paused.
   */
  constructor(ws: WebSocket, streams: () => Iterable<BlindStream>, onBlocked: () => void) {
    this.#ws = ws
    this.#streams = streams
    this.#onBlocked = onBlocked
  }

  /** After sending the tab stream bytes: pauses the DHT streams if its WebSocket is backed up. */
  sentToTab(): void {
    if (this.#ws.bufferedAmount <= HIGH_WATER_MARK || this.#congested !== null) return
    for (const s of this.#streams()) s.rawStream?.pause()
    this.#congested = setInterval(() => {
      if (this.#ws.bufferedAmount > HIGH_WATER_MARK / 2) return
      clearInterval(this.#congested!)
      this.#congested = null
      for (const s of this.#streams()) s.rawStream?.resume()
    }, 10)
  }

  /** `blind` refused more bytes from the tab: stop reading the tab until it drained. */
  blocked(blind: BlindStream): void {
    if (this.#blocked.has(blind)) return
    this.#blocked.add(blind)
    if (this.#blocked.size === 1) {
      this.#onBlocked()
      this.#ws.pause()
    }
  }

  /** `blind` drained or closed: resume reading the tab once no stream is full. */
  unblocked(blind: BlindStream): void {
    if (this.#blocked.delete(blind) && this.#blocked.size === 0) this.#ws.resume()
  }

  /** The session ended: no timers left. */
  stop(): void {
    if (this.#congested) clearInterval(this.#congested)
    this.#congested = null
    this.#blocked.clear()
  }
}
