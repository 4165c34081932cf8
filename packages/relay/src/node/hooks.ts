/**
 * hyperdht's connection hooks, answered by the tab:
 * - {@link TabHandshake} (`createHandshake`): every Noise IK step is sent to the tab, which holds the
 *   static secret key; the relay only encodes/decodes hyperdht's handshake payload around it and
 *   learns the holepunch secret (needed to holepunch on the tab's behalf), never the session keys;
 * - {@link BlindStream} (`createSecretStream`): instead of decrypting, it pipes the raw framed UDX
 *   stream to the tab, which runs secret-stream end to end.
 */
import { EventEmitter } from 'node:events'
import { EARLY_DATA_MAX, HandshakeOp, type MessageOf, RelayError } from '../protocol/index.ts'
import {
  type DHTHandshake,
  decodeNoisePayload,
  encodeNoisePayload,
  type HandshakeFinal,
  type RawStream,
  toBuffer
} from './hyperdht.ts'

/** What the hooks need from the session that owns them. */
export interface TabBridge {
  /** The tab's public key. */
  readonly publicKey: Buffer
  /** Asks the tab to run one handshake step of `stream`; resolves with its reply. */
  handshakeStep(stream: number, op: number, data: Uint8Array): Promise<MessageOf<'HANDSHAKE_REPLY'>>
  /** A blind stream got its raw DHT stream: the connection is up. */
  streamOpened(stream: BlindStream): void
  /** Bytes arrived from the DHT stream for the tab. */
  streamData(stream: BlindStream, chunk: Buffer): void
  /** The DHT stream takes bytes again after its `write` returned false. */
  streamDrained(stream: BlindStream): void
  /** The DHT stream ended its side. */
  streamEnded(stream: BlindStream): void
  /** The blind stream closed (with the error hyperdht or the transport gave, if any). */
  streamClosed(stream: BlindStream, err: Error | null): void
}

/** The `createHandshake` hook object: Noise IK steps run by the tab. */
export class TabHandshake implements DHTHandshake {
  readonly isInitiator: boolean
  remotePublicKey: Buffer | null
  /** The relay's id of the stream this handshake belongs to. */
  readonly stream: number
  readonly #bridge: TabBridge
  #holepunchSecret: Buffer | null = null

  /** A handshake of `stream`, initiator iff `remotePublicKey` is known (as noise-wrap decides). */
  constructor(bridge: TabBridge, stream: number, remotePublicKey: Buffer | null) {
    this.#bridge = bridge
    this.stream = stream
    this.isInitiator = remotePublicKey !== null
    this.remotePublicKey = remotePublicKey
  }

  /** Encodes hyperdht's payload, has the tab wrap it in its next Noise message, returns that message. */
  async send(payload: unknown): Promise<Buffer> {
    const reply = await this.#bridge.handshakeStep(this.stream, HandshakeOp.SEND, encodeNoisePayload(payload))
    if (!reply.data) throw new RelayError('REFUSED', 'the tab did not produce a handshake message')
    this.#done(reply)
    return Buffer.from(reply.data)
  }

  /** Has the tab open the remote's Noise message; decodes the payload it returns. */
  async recv(noise: Buffer): Promise<unknown> {
    const reply = await this.#bridge.handshakeStep(this.stream, HandshakeOp.RECV, noise)
    if (!reply.data || !reply.remotePublicKey || reply.remotePublicKey.byteLength !== 32) {
      throw new RelayError('REFUSED', 'the tab rejected the handshake message')
    }
    const remote = Buffer.from(reply.remotePublicKey)
    if (this.remotePublicKey && !remote.equals(this.remotePublicKey)) {
      throw new RelayError('REFUSED', 'the handshake authenticated another key')
    }
    this.remotePublicKey = remote
    this.#done(reply)
    return decodeNoisePayload(Buffer.from(reply.data))
  }

  #done(reply: MessageOf<'HANDSHAKE_REPLY'>): void {
    if (reply.holepunchSecret) {
      if (reply.holepunchSecret.byteLength !== 32) throw new RelayError('REFUSED', 'bad holepunch secret')
      this.#holepunchSecret = Buffer.from(reply.holepunchSecret)
    }
  }

  /** hyperdht's `final()`: what it needs to holepunch and to start the (blind) secret stream. */
  final(): HandshakeFinal {
    if (!this.#holepunchSecret || !this.remotePublicKey) {
      throw new RelayError('PROTOCOL', 'the handshake is not finished')
    }
    return {
      isInitiator: this.isInitiator,
      publicKey: this.#bridge.publicKey,
      remotePublicKey: this.remotePublicKey,
      holepunchSecret: this.#holepunchSecret,
      streamId: this.stream,
      remoteId: null,
      hash: null,
      tx: null,
      rx: null
    }
  }
}

/**
 * The `createSecretStream` hook object: what hyperdht believes is the encrypted socket. It carries
 * the raw framed bytes between the DHT stream and the tab and never decrypts anything.
 */
export class BlindStream extends EventEmitter {
  /** The relay's id of this stream in the session. */
  readonly stream: number
  readonly isInitiator: boolean
  /** The tab's key. */
  readonly publicKey: Buffer
  /** The remote peer's key. */
  remotePublicKey: Buffer | null
  /** The UDX stream once connected (hyperdht checks it). */
  rawStream: RawStream | null = null
  /** hyperdht checks these. */
  destroying = false
  destroyed = false
  /** Bytes moved each way (for metrics). */
  bytesFromPeer = 0
  bytesToPeer = 0
  readonly #bridge: TabBridge
  #pending: Buffer | null = null
  readonly #maxFrame: number
  /** Bytes the tab sent before the DHT stream connected (outgoing streams, handshake done). */
  #early: Uint8Array[] | null = null
  #earlyBytes = 0

  /** A blind stream of `stream`; started now when `rawStream` is given (server side). */
  constructor(
    bridge: TabBridge,
    stream: number,
    isInitiator: boolean,
    remotePublicKey: Buffer | null,
    maxFrame: number
  ) {
    super()
    this.#bridge = bridge
    this.stream = stream
    this.isInitiator = isInitiator
    this.publicKey = bridge.publicKey
    this.remotePublicKey = remotePublicKey
    this.#maxFrame = maxFrame
  }

  /**
   * The tab finished the handshake of this outgoing stream: from now on it may send its first
   * bytes (up to {@link EARLY_DATA_MAX}) before the DHT stream connects.
   */
  acceptEarlyData(): void {
    if (this.isInitiator && !this.rawStream && !this.destroying) this.#early ??= []
  }

  /** Holds bytes that came before the DHT stream connected; false when they may not come yet. */
  hold(bytes: Uint8Array): boolean {
    if (this.#early === null || this.#earlyBytes + bytes.byteLength > EARLY_DATA_MAX) return false
    this.#early.push(bytes.slice())
    this.#earlyBytes += bytes.byteLength
    return true
  }

  /** hyperdht's `start(rawStream, { handshake })`: the connection is up. */
  start(rawStream: RawStream, opts: { handshake?: HandshakeFinal } = {}): void {
    if (this.destroying || this.rawStream) return
    this.rawStream = rawStream
    if (opts.handshake) this.remotePublicKey = opts.handshake.remotePublicKey
    rawStream.on('data', (chunk) => {
      this.bytesFromPeer += chunk.byteLength
      this.#bridge.streamData(this, chunk)
    })
    rawStream.on('drain', () => this.#bridge.streamDrained(this))
    rawStream.on('end', () => this.#bridge.streamEnded(this))
    rawStream.on('error', (err) => this.destroy(err))
    rawStream.on('close', () => this.destroy())
    // the tab's first frames go out now, in the same tick as a native secret-stream's would:
    // a holepunching server accepts the connection on its first packet and may abort without it
    const early = this.#early
    this.#early = null
    if (early?.length) {
      try {
        this.write(Buffer.concat(early))
      } catch (err) {
        this.destroy(err as Error)
        return
      }
    }
    this.#bridge.streamOpened(this)
  }

  /**
   * Writes bytes from the tab: secret-stream frames (`uint24le length ‖ payload`), reassembled so
   * that only whole frames reach the framed UDX stream. Throws `FRAME_TOO_LARGE` past `maxFrame`.
   */
  write(bytes: Uint8Array): boolean {
    if (!this.rawStream || this.destroying) return false
    let buf = this.#pending ? Buffer.concat([this.#pending, bytes]) : toBuffer(bytes)
    let whole = 0
    while (buf.byteLength - whole >= 3) {
      const len = buf[whole]! | (buf[whole + 1]! << 8) | (buf[whole + 2]! << 16)
      if (len > this.#maxFrame) {
        throw new RelayError('FRAME_TOO_LARGE', `a ${len}-byte secret-stream frame is over the limit`)
      }
      if (buf.byteLength - whole < 3 + len) break
      whole += 3 + len
    }
    this.#pending = whole < buf.byteLength ? Buffer.from(buf.subarray(whole)) : null
    if (whole === 0) return true
    buf = buf.subarray(0, whole)
    this.bytesToPeer += whole
    return this.rawStream.write(buf)
  }

  /** Ends our side of the DHT stream. */
  end(): void {
    this.rawStream?.end()
  }

  /** Tears the stream down (hyperdht calls this when connecting fails). */
  destroy(err?: Error): void {
    if (this.destroying) return
    this.destroying = true
    this.destroyed = true
    this.#early = null
    this.rawStream?.destroy()
    this.#bridge.streamClosed(this, err ?? null)
    this.emit('close')
  }
}
