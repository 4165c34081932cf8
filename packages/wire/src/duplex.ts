/**
 * The transport contract: an ordered, reliable stream of chunks in both directions. Byte
 * transports (TCP, WebSocket, WebRTC data channels, in-memory pipes) implement it, and so does the
 * secret-stream, whose chunks are whole messages. Small on purpose: `write` (false = buffer full,
 * wait for `drain`), `end`, `destroy`, and events.
 */
import { Emitter } from '@orchard/events'

/** The events of a {@link Duplex}, name → listener arguments. */
export interface DuplexEvents {
  /**
   * A chunk arrived (for message streams: exactly one message). It is the listener's: the
   * transport never reads or reuses it again, so a secret-stream decrypts in place in it.
   */
  data: [chunk: Uint8Array]
  /** The write buffer emptied after `write` returned false. */
  drain: []
  /** The remote ended its side. */
  end: []
  /** Fully closed (after `end` both ways, or `destroy`). Emitted once. */
  close: [err: Error | null]
  /** The stream failed (a typed {@link WireError} when the remote caused it); `close` follows. */
  error: [err: Error]
  /** A transport that was still {@link Duplex.connecting} is connected now. */
  connect: []
}

/**
 * An ordered, reliable, two-way stream of chunks: the one transport contract every layer of Orchard speaks.
 * Subclass it for a new transport: implement `write`, `_end` and `_destroy`, emit `data` and `drain`, and
 * report the remote's end with `_onRemoteEnd`.
 */
export abstract class Duplex extends Emitter<DuplexEvents> {
  /** True once `destroy` ran (locally, or because the transport failed or closed). */
  destroyed = false
  /** Free for the layer above (protomux finds itself here). */
  userData: unknown = null
  /**
   * True while a transport takes writes but is not connected yet (`connect` follows), as a Node
   * socket's `connecting`: a secret-stream on it reports itself opened only once it connected.
   */
  connecting = false
  /**
   * True when `write` is done with a chunk by the time it returns (it copied or encrypted it): the
   * caller may then reuse the buffer, as protomux does with its batch buffer over a secret-stream.
   * False (the default) when the chunk is given away.
   */
  get writesCopied(): boolean {
    return false
  }
  #ended = false
  #remoteEnded = false

  /**
   * Sends `chunk`; false when the caller should wait for `drain`. The transport may keep `chunk`
   * until it is sent (as a Node stream does), or hand it to the remote's listener as it is (an
   * in-memory pipe): the caller gives it away and must neither change nor rely on its bytes after.
   */
  abstract write(chunk: Uint8Array): boolean

  /** Ends our side (the remote sees `end`). */
  end(): void {
    if (this.#ended || this.destroyed) return
    this.#ended = true
    this._end()
    if (this.#remoteEnded) this.destroy()
  }

  /** Tears down both ways; `err` is reported as `error` then `close`. */
  destroy(err?: Error): void {
    if (this.destroyed) return
    this.destroyed = true
    this._destroy(err ?? null)
    if (err) this.emit('error', err)
    this.emit('close', err ?? null)
  }

  /**
   * Forwards everything this side receives into `dest` (its end too; closing before the end
   * destroys `dest`), and returns `dest` so two raw streams chain as `a.pipe(b).pipe(a)`.
   * Honors `dest`'s backpressure only as far as its own buffering does.
   */
  pipe<D extends Duplex>(dest: D): D {
    let ended = false
    this.on('data', (chunk) => {
      if (!dest.destroyed) dest.write(chunk)
    })
    this.on('end', () => {
      ended = true
      dest.end()
    })
    // a source that closes before it ended (destroyed, failed) takes its destination down — on
    // the next microtask, as a streamx pipeline does, so whoever destroys both sides in one go
    // still sees each side's own close
    this.on('close', (err) => {
      if (!ended) queueMicrotask(() => dest.destroy(err ?? undefined))
    })
    return dest
  }

  /** Transport hook: end our side of the underlying transport (called once, by `end`). */
  protected abstract _end(): void
  /** Transport hook: tear the underlying transport down (called once, by `destroy`). */
  protected abstract _destroy(err: Error | null): void

  /** Implementations report the remote's end here. */
  protected _onRemoteEnd(): void {
    if (this.#remoteEnded || this.destroyed) return
    this.#remoteEnded = true
    this.emit('end')
    if (this.#ended) this.destroy()
  }
}
