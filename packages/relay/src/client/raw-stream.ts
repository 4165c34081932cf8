/**
 * One relayed connection's raw bytes, tab side: a byte {@link Duplex} whose writes go to the relay
 * as `DATA` frames (split to the relay's frame size) and which receives the peer's raw bytes. The
 * tab's secret-stream runs on top of it, so only ciphertext ever reaches the relay.
 */
import { Duplex } from '@orchard/wire'
import { EARLY_DATA_MAX } from '../protocol/index.ts'

/** What a raw stream needs from its session. */
export interface RawStreamSink {
  /** Sends a chunk of the stream's bytes; false when the transport is congested. */
  sendData(stream: number, data: Uint8Array): boolean
  /** Our side ended. */
  sendEnd(stream: number): void
  /** We tore the stream down (not called when the relay closed it). */
  sendClose(stream: number, err: Error | null): void
  /** Registers a one-shot callback for when the transport drained. */
  onDrain(cb: () => void): void
}

/**
 * The raw byte stream of one relayed connection (see the module doc). Before the relay reports
 * the DHT stream connected, it sends at most {@link EARLY_DATA_MAX} bytes (the relay holds them)
 * and queues the rest until {@link RelayedRawStream.connect}.
 */
export class RelayedRawStream extends Duplex {
  /** The session's id of this stream. */
  readonly stream: number
  readonly #sink: RawStreamSink
  readonly #maxData: number
  #remoteClosed = false
  #earlyBytes = 0
  #queued: Uint8Array[] = []
  #ended = false

  /**
   * A raw stream `stream` writing through `sink` in pieces of at most `maxData` bytes; `connected`
   * false for an outgoing connection started before the relay reported it up.
   */
  constructor(sink: RawStreamSink, stream: number, maxData: number, connected = true) {
    super()
    this.#sink = sink
    this.stream = stream
    this.#maxData = maxData
    this.connecting = !connected
  }

  /** True once the relay reported the DHT stream connected. */
  get connected(): boolean {
    return !this.connecting
  }

  /** @internal the relay reported the DHT stream connected: send what waited. */
  connect(): void {
    if (!this.connecting) return
    this.connecting = false
    const queued = this.#queued
    this.#queued = []
    let ok = true
    for (const chunk of queued) ok = this.#send(chunk) && ok
    if (this.#ended) this.#sink.sendEnd(this.stream)
    if (!ok) this.#sink.onDrain(() => this.emit('drain'))
    else if (queued.length) this.emit('drain')
    this.emit('connect')
  }

  write(chunk: Uint8Array): boolean {
    if (this.destroyed) return false
    if (this.connecting) {
      if (this.#queued.length === 0 && this.#earlyBytes + chunk.byteLength <= EARLY_DATA_MAX) {
        this.#earlyBytes += chunk.byteLength
        return this.#send(chunk)
      }
      this.#queued.push(chunk.slice())
      return false
    }
    const ok = this.#send(chunk)
    if (!ok) this.#sink.onDrain(() => this.emit('drain'))
    return ok
  }

  #send(chunk: Uint8Array): boolean {
    let ok = true
    for (let at = 0; at < chunk.byteLength; at += this.#maxData) {
      ok = this.#sink.sendData(this.stream, chunk.subarray(at, at + this.#maxData)) && ok
    }
    return ok
  }

  /** @internal bytes from the relay. */
  push(data: Uint8Array): void {
    if (!this.destroyed) this.emit('data', data)
  }

  /** @internal the peer ended its side. */
  pushEnd(): void {
    this._onRemoteEnd()
  }

  /** @internal the relay closed the stream. */
  closeFromRemote(err: Error | null): void {
    this.#remoteClosed = true
    this.destroy(err ?? undefined)
  }

  protected _end(): void {
    if (!this.connecting) this.#sink.sendEnd(this.stream)
    else this.#ended = true
  }

  protected _destroy(err: Error | null): void {
    if (!this.#remoteClosed) this.#sink.sendClose(this.stream, err)
  }
}
