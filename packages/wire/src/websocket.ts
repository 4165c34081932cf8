/**
 * A WebSocket as a byte {@link Duplex}: binary messages carry the stream's bytes (their
 * boundaries mean nothing). Works with the browser's `WebSocket` and Node's `ws`, which share the
 * `addEventListener`/`send`/`bufferedAmount` surface.
 */
import { Duplex } from './duplex.ts'
import { WireError } from './errors.ts'

/** The part of the WebSocket API the adapter uses. */
export interface WebSocketLike {
  /** Set to `'arraybuffer'` by the adapter. */
  binaryType: string
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number
  /** Bytes queued and not yet sent; drives backpressure. */
  readonly bufferedAmount: number
  /** Sends one binary message. */
  send(data: Uint8Array): void
  /** Closes the socket. */
  close(code?: number, reason?: string): void
  /** Listens for `open`, `message`, `close` and `error`. */
  addEventListener(type: string, listener: (event: { data?: unknown }) => void): void
}

const OPEN = 1
const HIGH_WATER_MARK = 4 * 1024 * 1024

/** A WebSocket as a byte {@link Duplex} (see {@link fromWebSocket}). */
export class WebSocketDuplex extends Duplex {
  /** The wrapped socket. */
  readonly socket: WebSocketLike
  #queue: Uint8Array[] = []
  #drainTimer: ReturnType<typeof setInterval> | null = null

  /** Wraps `socket`, open or still connecting (writes before it opens are queued). */
  constructor(socket: WebSocketLike) {
    super()
    this.socket = socket
    socket.binaryType = 'arraybuffer'
    socket.addEventListener('open', () => {
      const queued = this.#queue
      this.#queue = []
      for (const chunk of queued) socket.send(chunk)
    })
    socket.addEventListener('message', (e) => {
      const data = e.data
      if (data instanceof ArrayBuffer) this.emit('data', new Uint8Array(data))
      else if (data instanceof Uint8Array) this.emit('data', data)
      else this.destroy(new WireError('INVALID_FRAME', 'the WebSocket carried a text message'))
    })
    socket.addEventListener('close', () => {
      this._onRemoteEnd()
      this.destroy()
    })
    socket.addEventListener('error', () =>
      this.destroy(new WireError('STREAM_CLOSED', 'the WebSocket failed'))
    )
  }

  write(chunk: Uint8Array): boolean {
    if (this.destroyed) return false
    if (this.socket.readyState !== OPEN) {
      this.#queue.push(chunk.slice())
      return true
    }
    this.socket.send(chunk)
    if (this.socket.bufferedAmount < HIGH_WATER_MARK) return true
    // WebSockets have no drain event: poll until the buffer empties
    if (this.#drainTimer === null) {
      this.#drainTimer = setInterval(() => {
        if (this.destroyed || this.socket.bufferedAmount < HIGH_WATER_MARK / 2) {
          clearInterval(this.#drainTimer!)
          this.#drainTimer = null
          if (!this.destroyed) this.emit('drain')
        }
      }, 5)
    }
    return false
  }

  protected _end(): void {
    // WebSockets have no half-close: ending closes
    this.socket.close(1000)
  }

  protected _destroy(): void {
    if (this.#drainTimer) clearInterval(this.#drainTimer)
    if (this.socket.readyState <= OPEN) this.socket.close(1000)
  }
}

/** Wraps a WebSocket (browser or `ws`) as a byte duplex. */
export function fromWebSocket(socket: WebSocketLike): WebSocketDuplex {
  return new WebSocketDuplex(socket)
}
