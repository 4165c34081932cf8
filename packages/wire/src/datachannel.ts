/**
 * A WebRTC data channel as a byte {@link Duplex}. The channel must be reliable and ordered (the
 * default). Writes are cut into messages of at most {@link MAX_DATACHANNEL_MESSAGE} bytes, which
 * every SCTP stack accepts; their boundaries mean nothing to the stream. Backpressure follows
 * `bufferedAmount`, and `bufferedamountlow` is the drain signal.
 */
import { Duplex } from './duplex.ts'
import { WireError } from './errors.ts'

/** The part of `RTCDataChannel` the adapter uses (browsers, and Node's WebRTC ports). */
export interface DataChannelLike {
  /** Set to `'arraybuffer'` by the adapter. */
  binaryType: string
  /** `'connecting'`, `'open'`, `'closing'` or `'closed'`. */
  readonly readyState: string
  /** Bytes queued and not yet sent; drives backpressure. */
  readonly bufferedAmount: number
  /** Where `bufferedamountlow` fires; set by the adapter. */
  bufferedAmountLowThreshold: number
  /** Must not be false: the stream needs ordered delivery. */
  readonly ordered?: boolean
  /** Must be unset: the stream needs reliable delivery. */
  readonly maxRetransmits?: number | null
  /** Must be unset: the stream needs reliable delivery. */
  readonly maxPacketLifeTime?: number | null
  /** Sends one binary message. */
  send(data: Uint8Array<ArrayBuffer>): void
  /** Closes the channel. */
  close(): void
  /** Listens for `open`, `message`, `bufferedamountlow`, `close` and `error`. */
  addEventListener(type: string, listener: (event: { data?: unknown }) => void): void
}

/** Largest message sent: 16 KiB is what every WebRTC implementation interoperates with. */
export const MAX_DATACHANNEL_MESSAGE = 16 * 1024
const HIGH_WATER_MARK = 1024 * 1024

/** A reliable, ordered WebRTC data channel as a byte {@link Duplex} (see {@link fromDataChannel}). */
export class DataChannelDuplex extends Duplex {
  /** The wrapped data channel. */
  readonly channel: DataChannelLike
  #queue: Uint8Array[] = []
  #needsDrain = false
  #closeWhenFlushed = false

  /**
   * Wraps `channel`; throws `INVALID_FRAME` when it is unordered or unreliable. Writes before it opens are
   * queued.
   */
  constructor(channel: DataChannelLike) {
    super()
    if (
      channel.ordered === false ||
      (channel.maxRetransmits ?? null) !== null ||
      (channel.maxPacketLifeTime ?? null) !== null
    ) {
      throw new WireError('INVALID_FRAME', 'a byte stream needs a reliable, ordered data channel')
    }
    this.channel = channel
    channel.binaryType = 'arraybuffer'
    channel.bufferedAmountLowThreshold = HIGH_WATER_MARK / 2
    channel.addEventListener('open', () => {
      const queued = this.#queue
      this.#queue = []
      for (const chunk of queued) this.#send(chunk)
      if (this.#closeWhenFlushed && channel.bufferedAmount === 0) channel.close()
    })
    channel.addEventListener('message', (e) => {
      const data = e.data
      if (data instanceof ArrayBuffer) this.emit('data', new Uint8Array(data))
      else if (data instanceof Uint8Array) this.emit('data', data)
      else this.destroy(new WireError('INVALID_FRAME', 'the data channel carried a text message'))
    })
    channel.addEventListener('bufferedamountlow', () => {
      if (this.#closeWhenFlushed && channel.bufferedAmount === 0) channel.close()
      if (!this.#needsDrain || this.destroyed) return
      this.#needsDrain = false
      this.emit('drain')
    })
    channel.addEventListener('close', () => {
      this._onRemoteEnd()
      this.destroy()
    })
    channel.addEventListener('error', () =>
      this.destroy(new WireError('STREAM_CLOSED', 'the data channel failed'))
    )
  }

  write(chunk: Uint8Array): boolean {
    if (this.destroyed) return false
    if (this.channel.readyState === 'connecting') {
      this.#queue.push(chunk.slice())
      return true
    }
    this.#send(chunk)
    if (this.channel.bufferedAmount < HIGH_WATER_MARK) return true
    this.#needsDrain = true
    return false
  }

  #send(chunk: Uint8Array): void {
    // `send` takes views of plain ArrayBuffers only
    const bytes = (chunk.buffer instanceof ArrayBuffer ? chunk : chunk.slice()) as Uint8Array<ArrayBuffer>
    for (let at = 0; at < bytes.byteLength; at += MAX_DATACHANNEL_MESSAGE) {
      this.channel.send(bytes.subarray(at, at + MAX_DATACHANNEL_MESSAGE))
    }
  }

  protected _end(): void {
    // data channels have no half-close: ending closes (the remote sees end, then close), once
    // what is still buffered has gone out — closing drops it otherwise
    if (this.channel.readyState === 'connecting' || this.channel.bufferedAmount > 0) {
      this.#closeWhenFlushed = true
      this.channel.bufferedAmountLowThreshold = 0
      return
    }
    this.channel.close()
  }

  protected _destroy(): void {
    if (this.channel.readyState === 'connecting' || this.channel.readyState === 'open') this.channel.close()
  }
}

/** Wraps an open or opening `RTCDataChannel` as a byte duplex. */
export function fromDataChannel(channel: DataChannelLike): DataChannelDuplex {
  return new DataChannelDuplex(channel)
}
