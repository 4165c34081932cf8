/**
 * Node only: a TCP socket as a byte {@link Duplex}, and helpers to connect and listen on
 * loopback or any address.
 *
 * @module \@orchard/wire/tcp
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net'
import { Duplex } from './duplex.ts'

/** A Node TCP socket as a byte {@link Duplex}, with Nagle off. */
export class TcpDuplex extends Duplex {
  /** The wrapped socket. */
  readonly socket: Socket

  /** Wraps a connected `net.Socket`. */
  constructor(socket: Socket) {
    super()
    this.socket = socket
    socket.setNoDelay(true)
    socket.on('data', (b: Buffer) => this.emit('data', new Uint8Array(b.buffer, b.byteOffset, b.byteLength)))
    socket.on('drain', () => this.emit('drain'))
    socket.on('end', () => this._onRemoteEnd())
    socket.on('error', (err) => this.destroy(err))
    socket.on('close', () => this.destroy())
  }

  write(chunk: Uint8Array): boolean {
    if (this.destroyed) return false
    return this.socket.write(chunk)
  }

  protected _end(): void {
    this.socket.end()
  }

  protected _destroy(err: Error | null): void {
    // ended both ways: the socket closes by itself once what it still buffers went out, which
    // destroying it now would drop
    if (err === null && this.socket.writableEnded && this.socket.readableEnded) return
    this.socket.destroy(err ?? undefined)
  }
}

/** Wraps a connected `net.Socket` as a byte duplex. */
export function fromSocket(socket: Socket): TcpDuplex {
  return new TcpDuplex(socket)
}

/** Connects to `port` on `host` (default 127.0.0.1). */
export function connect(port: number, host = '127.0.0.1'): Promise<TcpDuplex> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, host)
    socket.once('connect', () => resolve(new TcpDuplex(socket)))
    socket.once('error', reject)
  })
}

/**
 * Listens on `port` (0 = any) on `host`; `onconnection` gets each accepted socket as a duplex.
 *
 * @returns the listening server, with the `port` it bound (the OS's choice for port 0).
 */
export function listen(
  onconnection: (duplex: TcpDuplex) => void,
  port = 0,
  host = '127.0.0.1'
): Promise<
  Server & {
    /** The port the server listens on (the OS's choice for port 0). */
    port: number
  }
> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => onconnection(new TcpDuplex(socket)))
    server.once('error', reject)
    server.listen(port, host, () => {
      const address = server.address()
      resolve(Object.assign(server, { port: typeof address === 'object' && address ? address.port : port }))
    })
  })
}
