/**
 * A simple-peer data channel as a byte {@link Duplex}. Writes become binary messages of
 * {@link MAX_DATACHANNEL_MESSAGE} bytes (what every SCTP stack takes): large writes are cut, the
 * small writes of one turn packed together, since SCTP pays per message. Their boundaries mean
 * nothing to the stream, whose layers above (the secret-stream) frame their own messages.
 *
 * Backpressure follows the channel's `bufferedAmount`: `write` returns false past a high-water
 * mark, and `drain` comes with `bufferedamountlow` — or, on WebRTC ports without that event
 * (`@roamhq/wrtc`), when a poll sees the buffer half empty.
 *
 * Data channels have no half-close, and closing one (or its connection) may drop messages still
 * queued — `bufferedAmount` can read 0 before a send reached the transport. So the end of a
 * side's bytes is a text message in band, `end`, which the remote answers with `end-ack` once
 * every byte before it arrived; the connection is torn down only when both sides ended and ours
 * was acknowledged (or the remote tore it down first), so no byte is lost to the close.
 */
import { Duplex, MAX_DATACHANNEL_MESSAGE } from '@orchard/wire'
import { fromPeerError, WebRtcError } from './errors.ts'
import type { PeerDataChannel, SimplePeerLike } from './peer.ts'

/**
 * Bytes the channel may hold unsent before `write` asks the writer to wait for `drain`. Measured in
 * Chromium (`pnpm bench webrtc`): with 1 MiB held, SCTP stalls for seconds once a few MiB went out
 * (2–7 MB/s); with 64 KiB it runs at 15–25 MB/s.
 */
export const HIGH_WATER_MARK = 64 * 1024
/**
 * The same for ports without `bufferedamountlow` (wrtc), whose buffer is polled every `POLL_MS`:
 * 64 KiB per poll would cap them at a few MB/s.
 */
export const POLLED_HIGH_WATER_MARK = 1024 * 1024
/** How often a channel without `bufferedamountlow` is checked while a writer waits. */
const POLL_MS = 5
/** How long a cleanly ended duplex waits for the remote to acknowledge its end before tearing down. */
const LINGER_MS = 30_000
/** The in-band control messages (text; the stream's bytes are always binary). */
const END = 'end'
const END_ACK = 'end-ack'

/** Options of a {@link PeerDuplex}. */
export interface PeerDuplexOptions {
  /**
   * Bytes buffered in the channel before `write` returns false (default {@link HIGH_WATER_MARK}, or
   * {@link POLLED_HIGH_WATER_MARK} where the channel has no `bufferedamountlow`).
   */
  highWaterMark?: number
}

/**
 * A simple-peer peer's data channel as a byte {@link Duplex} (see {@link fromSimplePeer}). While the
 * peer is still connecting the duplex is `connecting`: writes are queued, and `connect` follows.
 * The peer must already have its data channel, as peers from {@link createPeer} (whose channel is
 * negotiated up front) do, and the remote must be a `PeerDuplex` too (for the in-band end).
 */
export class PeerDuplex extends Duplex {
  /** The wrapped simple-peer instance; the duplex owns it (destroying one destroys the other). */
  readonly peer: SimplePeerLike
  readonly #highWaterMark: number
  readonly #channel: PeerDataChannel
  #open = false
  #queue: Uint8Array[] = []
  #queued = 0
  #needsDrain = false
  #pollTimer: ReturnType<typeof setInterval> | null = null
  /** Bytes handed to the channel since the last timer turn (see `#buffered`). */
  #sentThisTurn = 0
  #turnTimer: ReturnType<typeof setTimeout> | null = null
  /**
   * The tail of the last write, shorter than a message, waiting until the end of this turn for
   * more bytes to fill it: SCTP pays per message, so a reply of a few KiB after each 16 KiB message
   * would cost nearly as much as the whole message did.
   */
  #pack: Uint8Array | null = null
  #packed = 0
  #packScheduled = false
  #endSent = false
  /** Whether the in-band END went out (it waits behind queued bytes). */
  #endWritten = false
  #endReceived = false
  #endAcked = false
  #lingerTimer: ReturnType<typeof setTimeout> | null = null

  /** Wraps `peer`, connected or still connecting; throws `CHANNEL_FAILED` when it has no data channel. */
  constructor(peer: SimplePeerLike, opts: PeerDuplexOptions = {}) {
    super()
    const channel = peer._channel
    if (channel === null) {
      throw new WebRtcError('CHANNEL_FAILED', 'the peer has no data channel yet (create it with createPeer)')
    }
    this.peer = peer
    this.#channel = channel
    const lowEvent = typeof channel.bufferedAmountLowThreshold === 'number'
    this.#highWaterMark = opts.highWaterMark ?? (lowEvent ? HIGH_WATER_MARK : POLLED_HIGH_WATER_MARK)
    // messages are read off the channel itself. simple-peer's own handler goes: it wrapped every
    // message in a Buffer and pushed it through a readable stream nobody reads (a tenth of a
    // downloading tab's main thread); what it buffered before flows into nothing
    channel.onmessage = null
    channel.addEventListener('message', (e) => this.#onMessage(e.data))
    peer.resume()
    if (lowEvent) {
      channel.bufferedAmountLowThreshold = this.#highWaterMark / 2
      channel.addEventListener('bufferedamountlow', () => this.#onLow())
    }
    peer.on('error', (err) => this.destroy(fromPeerError(err)))
    peer.on('close', () => this.#onPeerClose())
    if (peer.destroyed) {
      queueMicrotask(() => this.#onPeerClose())
    } else if (peer.connected) {
      this.#open = true
    } else {
      this.connecting = true
      peer.once('connect', () => this.#onConnect())
    }
  }

  #onMessage(data: unknown): void {
    if (this.#gone()) return
    if (data instanceof ArrayBuffer) {
      if (!this.destroyed) this.emit('data', new Uint8Array(data))
    } else if (ArrayBuffer.isView(data)) {
      if (!this.destroyed) this.emit('data', new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
    } else if (data === END) {
      this.#endReceived = true
      this.#sendControl(END_ACK)
      this._onRemoteEnd()
    } else if (data === END_ACK) {
      this.#endAcked = true
      if (this.destroyed) this.#teardown()
    } else {
      this.destroy(new WebRtcError('CHANNEL_FAILED', 'the data channel carried an unknown text message'))
    }
  }

  /** The peer is gone: after both ends that is the normal close; before the remote's, its channel died. */
  #onPeerClose(): void {
    if (this.destroyed) this.#teardown()
    else if (this.#endReceived) this.destroy()
    else this.destroy(new WebRtcError('CHANNEL_FAILED', 'the data channel closed before the remote ended'))
  }

  #onConnect(): void {
    if (this.destroyed) return
    this.#open = true
    this.connecting = false
    const flushed = this.#flush()
    this.emit('connect')
    if (this.destroyed) return
    if (!flushed || this.#buffered() >= this.#highWaterMark) this.#waitForDrain()
    else if (this.#needsDrain) this.#onLow()
  }

  write(chunk: Uint8Array): boolean {
    if (this.destroyed) return false
    if (this.#open && this.#queue.length === 0) {
      // hand over no more than the channel takes below its high-water mark: one large write (a
      // corked batch of hundreds of blocks) sent whole is a burst that stalls SCTP for seconds
      const sent = this.#sendSome(chunk)
      if (this.destroyed) return false
      if (sent === chunk.byteLength && this.#buffered() < this.#highWaterMark) return true
      if (sent < chunk.byteLength) this.#enqueue(chunk.subarray(sent))
      this.#waitForDrain()
      return false
    }
    // Not connected yet, or the channel holds a high-water mark already: keep it here. A writer
    // that does not wait for 'drain' (hypercore answering hundreds of requests) would otherwise
    // overflow the channel's own queue, which fails the channel (16 MiB in Chromium).
    this.#enqueue(chunk)
    if (this.#open) {
      this.#waitForDrain()
      return false
    }
    if (this.#queued < this.#highWaterMark) return true
    this.#needsDrain = true
    return false
  }

  /**
   * Keeps `chunk` to send later — not a copy: a written chunk is the transport's (the `Duplex`
   * contract), and copying every queued byte was most of this class's time in a replicating tab.
   */
  #enqueue(chunk: Uint8Array): void {
    this.#queue.push(chunk)
    this.#queued += chunk.byteLength
  }

  /**
   * Sends queued chunks while the channel is below the high-water mark, then the in-band END if the
   * writable side ended. Returns whether the queue is empty.
   */
  #flush(): boolean {
    const queue = this.#queue
    let i = 0
    while (i < queue.length && this.#buffered() < this.#highWaterMark) {
      const chunk = queue[i]!
      const sent = this.#sendSome(chunk)
      if (this.#gone()) return false
      this.#queued -= sent
      if (sent < chunk.byteLength) {
        queue[i] = chunk.subarray(sent)
        break
      }
      i++
    }
    if (i > 0) queue.splice(0, i)
    if (queue.length > 0) return false
    if (this.#endSent && !this.#endWritten) {
      if (!this.#sendPack()) return false
      this.#endWritten = true
      this.#sendControl(END)
    }
    return true
  }

  /**
   * What the channel holds. Browsers raise `bufferedAmount` as `send` returns; wrtc only on a later
   * turn, so a writer looping synchronously would see 0 throughout and never be asked to wait. The
   * bytes sent this turn are a floor until the channel's own count has caught up.
   */
  #buffered(): number {
    return Math.max(this.#channel.bufferedAmount, this.#sentThisTurn)
  }

  /**
   * Takes `chunk` while the channel is below the high-water mark (and into a partly filled pack
   * regardless): full messages are sent, a shorter tail waits in the pack until the end of the turn.
   * Returns the bytes taken. On a send failure the duplex is torn down (or destroyed).
   */
  #sendSome(chunk: Uint8Array): number {
    const length = chunk.byteLength
    let at = 0
    if (this.#packed > 0) {
      at = Math.min(MAX_DATACHANNEL_MESSAGE - this.#packed, length)
      this.#pack!.set(chunk.subarray(0, at), this.#packed)
      this.#packed += at
      if (this.#packed < MAX_DATACHANNEL_MESSAGE) return at
      if (!this.#sendPack()) return at
    }
    // `send` takes views of plain ArrayBuffers only
    const bytes = (chunk.buffer instanceof ArrayBuffer ? chunk : chunk.slice()) as Uint8Array<ArrayBuffer>
    while (length - at >= MAX_DATACHANNEL_MESSAGE && this.#buffered() < this.#highWaterMark) {
      if (!this.#sendMessage(bytes.subarray(at, at + MAX_DATACHANNEL_MESSAGE))) return at
      at += MAX_DATACHANNEL_MESSAGE
    }
    if (at < length && length - at < MAX_DATACHANNEL_MESSAGE && this.#buffered() < this.#highWaterMark) {
      this.#pack = new Uint8Array(MAX_DATACHANNEL_MESSAGE)
      this.#pack.set(bytes.subarray(at))
      this.#packed = length - at
      at = length
      if (!this.#packScheduled) {
        this.#packScheduled = true
        queueMicrotask(() => {
          this.#packScheduled = false
          if (!this.#gone()) this.#sendPack()
        })
      }
    }
    return at
  }

  /** Sends what the pack holds (fresh buffer per message: a port may keep the view). */
  #sendPack(): boolean {
    if (this.#packed === 0) return true
    const message = this.#pack!.subarray(0, this.#packed) as Uint8Array<ArrayBuffer>
    this.#pack = null
    this.#packed = 0
    return this.#sendMessage(message)
  }

  /** Sends one binary message; false when the channel is gone (the duplex is torn down then). */
  #sendMessage(message: Uint8Array<ArrayBuffer>): boolean {
    try {
      this.#channel.send(message)
    } catch (err) {
      // the channel went away under us (closing): the peer's own close follows
      if (this.destroyed) this.#teardown()
      else this.destroy(fromPeerError(err as Error))
      return false
    }
    this.#sentThisTurn += message.byteLength
    this.#turnTimer ??= setTimeout(() => {
      this.#turnTimer = null
      this.#sentThisTurn = 0
    }, 0)
    return true
  }

  #sendControl(message: string): void {
    if (!this.#open || this.peer.destroyed) return
    try {
      this.#channel.send(message)
    } catch {
      // closing: the peer's close tells the rest
    }
  }

  #waitForDrain(): void {
    this.#needsDrain = true
    if (this.#pollTimer !== null) return
    const channel = this.#channel
    // `bufferedamountlow` comes only when the amount falls below the threshold: if it is below
    // already (what waits is this turn's floor, or a queue the last event did not fit), or the port
    // has no such event, look at the buffer until it is low
    if (
      typeof channel.bufferedAmountLowThreshold === 'number' &&
      channel.bufferedAmount > this.#highWaterMark / 2
    ) {
      return
    }
    this.#pollTimer = setInterval(() => {
      if (this.#gone() || this.#buffered() <= this.#highWaterMark / 2) this.#onLow()
    }, POLL_MS)
  }

  #onLow(): void {
    if (this.#pollTimer !== null) clearInterval(this.#pollTimer)
    this.#pollTimer = null
    if (this.#gone()) return
    if (this.#open && !this.#flush()) {
      if (!this.#gone()) this.#waitForDrain()
      return
    }
    if (!this.#needsDrain || this.destroyed) return
    this.#needsDrain = false
    this.emit('drain')
  }

  protected _end(): void {
    this.#endSent = true
    if (this.#open) this.#flush() // END goes now, or after the queued bytes (on connect if not yet)
  }

  protected _destroy(err: Error | null): void {
    // ended both ways: every byte of the remote's is here, but ours may still be queued here or on
    // the way until the remote acknowledges our end — keep sending and the connection up until then
    if (err === null && this.#endSent && this.#endReceived && !this.#endAcked && !this.peer.destroyed) {
      this.#lingerTimer = setTimeout(() => this.#teardown(), LINGER_MS)
      ;(this.#lingerTimer as { unref?: () => void }).unref?.()
      return
    }
    this.#teardown()
  }

  /** Destroyed and not lingering to finish sending: nothing more goes out. */
  #gone(): boolean {
    return this.destroyed && this.#lingerTimer === null
  }

  #teardown(): void {
    if (this.#lingerTimer !== null) clearTimeout(this.#lingerTimer)
    this.#lingerTimer = null
    if (this.#pollTimer !== null) clearInterval(this.#pollTimer)
    this.#pollTimer = null
    if (this.#turnTimer !== null) clearTimeout(this.#turnTimer)
    this.#turnTimer = null
    this.#queue = []
    this.#pack = null
    this.#packed = 0
    // the error, if any, is ours to report (the peer would only echo it)
    if (!this.peer.destroyed) this.peer.destroy()
  }
}

/** Wraps a simple-peer peer (connected or connecting) as a byte duplex that owns it. */
export function fromSimplePeer(peer: SimplePeerLike, opts?: PeerDuplexOptions): PeerDuplex {
  return new PeerDuplex(peer, opts)
}
