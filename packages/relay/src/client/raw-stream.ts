/**
 * One relayed connection's raw bytes, tab side: a byte {@link Duplex} whose writes go to the relay
 * as `DATA` frames (split to the relay's frame size) and which receives the peer's raw bytes. The
 * tab's secret-stream runs on top of it, so only ciphertext ever reaches the relay.
 */
import { Duplex } from '@orchard/wire'

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

/** The raw byte stream of one relayed connection (see the module doc). */
export class RelayedRawStream extends Duplex {
  /** The session's id of this stream. */
  readonly stream: number
  readonly #sink: RawStreamSink
  readonly #maxData: number
  #remoteClosed = false

  /** A raw stream `stream` writing through `sink` in pieces of at most `maxData` bytes. */
  constructor(sink: RawStreamSink, stream: number, maxData: number) {
    super()
    this.#sink = sink
    this.stream = stream
    this.#maxData = maxData
  }

  write(chunk: Uint8Array): boolean {
    if (this.destroyed) return false
    let ok = true
    for (let at = 0; at < chunk.byteLength; at += this.#maxData) {
      ok = this.#sink.sendData(this.stream, chunk.subarray(at, at + this.#maxData)) && ok
    }
    if (!ok) this.#sink.onDrain(() => this.emit('drain'))
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
    this.#sink.sendEnd(this.stream)
  }

  protected _destroy(err: Error | null): void {
    if (!this.#remoteClosed) this.#sink.sendClose(this.stream, err)
  }
}
