/**
 * Stream bytes on their way to the tab, coalesced: a UDX stream hands the relay one packet (~1.4
 * KB) at a time, and one WebSocket message per packet costs an encode, a frame and a send on the
 * relay and a decode on the tab. The outbox gathers each stream's bytes until the end of the
 * event-loop turn (or a full frame) and sends them as few `DATA` messages as the frame limit
 * allows. A stream's `END`/`CLOSE` flushes its bytes first, so order per stream is kept.
 */

/** Sends one `DATA` message of `stream`. */
export type SendData = (stream: number, data: Uint8Array) => void

interface Pending {
  chunks: Uint8Array[]
  bytes: number
}

/** The coalescing outbox of one session (see the module doc). */
export class TabOutbox {
  readonly #send: SendData
  readonly #maxData: number
  readonly #pending = new Map<number, Pending>()
  #scheduled = false

  /** An outbox sending through `send`, at most `maxData` bytes per message. */
  constructor(send: SendData, maxData: number) {
    this.#send = send
    this.#maxData = maxData
  }

  /** Queues `chunk` of `stream`; sends at once when a full message is gathered. */
  push(stream: number, chunk: Uint8Array): void {
    let p = this.#pending.get(stream)
    if (!p) {
      p = { chunks: [], bytes: 0 }
      this.#pending.set(stream, p)
    }
    p.chunks.push(chunk)
    p.bytes += chunk.byteLength
    if (p.bytes >= this.#maxData) this.flush(stream)
    else if (!this.#scheduled) {
      this.#scheduled = true
      setImmediate(() => this.flushAll())
    }
  }

  /** Sends what `stream` has gathered (before its `END` or `CLOSE`). */
  flush(stream: number): void {
    const p = this.#pending.get(stream)
    if (!p) return
    this.#pending.delete(stream)
    const bytes = p.chunks.length === 1 ? p.chunks[0]! : concat(p.chunks, p.bytes)
    for (let at = 0; at < bytes.byteLength; at += this.#maxData) {
      this.#send(stream, bytes.subarray(at, at + this.#maxData))
    }
  }

  /** Sends everything gathered. */
  flushAll(): void {
    this.#scheduled = false
    for (const stream of [...this.#pending.keys()]) this.flush(stream)
  }

  /** Drops what `stream` gathered (it was closed without a word to the tab). */
  drop(stream: number): void {
    this.#pending.delete(stream)
  }
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.byteLength
  }
  return out
}
