/**
 * The Holepunch secret-stream, wire-compatible with `@hyperswarm/secret-stream` 6: a Noise XX
 * handshake in `uint24le`-framed messages, then each side sends one 56-byte frame (its stream id
 * and its libsodium secretstream header), then every message is one frame encrypted with
 * `crypto_secretstream_xchacha20poly1305`. Message boundaries are preserved: one `write` on one
 * side is one `data` on the other. A pre-negotiated handshake (HyperDHT's) skips Noise.
 */
import {
  blake2b,
  keyPair as generateKeyPair,
  type KeyPair,
  namespace,
  SECRETSTREAM_ABYTES,
  SecretStreamPull,
  SecretStreamPush
} from '@orchard/crypto'
import { Duplex, type DuplexEvents } from './duplex.ts'
import { WireError } from './errors.ts'
import { FrameDecoder, frame, MAX_FRAME, writeUint24LE } from './framing.ts'
import { type HandshakeResult, NoiseHandshake, type NoiseOptions } from './noise.ts'

const ID_HEADER_BYTES = 32 + 24
/** The largest message one write can carry (one frame, with the 17-byte secretstream overhead). */
export const MAX_MESSAGE = MAX_FRAME - SECRETSTREAM_ABYTES
/** What the stream keeps for a `data` listener that is not there yet (a peer may not flood it). */
const MAX_INBOX = 16 * 1024 * 1024

let namespaces: Uint8Array[] | null = null
function ns(): Uint8Array[] {
  namespaces ??= namespace('hyperswarm/secret-stream', 3)
  return namespaces
}

/** `BLAKE2b-256[handshakeHash](NS_INITIATOR | NS_RESPONDER)`: a side's stream id. */
export function streamId(handshakeHash: Uint8Array, isInitiator: boolean): Uint8Array {
  return blake2b(ns()[isInitiator ? 0 : 1]!, 32, handshakeHash)
}

/** Options of a {@link SecretStream}. */
export interface SecretStreamOptions {
  /** Our static key pair (default: a fresh one). */
  keyPair?: KeyPair
  /** Skip Noise: keys and hash agreed elsewhere (HyperDHT's handshake). */
  handshake?: HandshakeResult
  /** Send an empty keep-alive message after this many idle milliseconds. */
  keepAlive?: number
  /** Destroy the stream after this many milliseconds without receiving anything. */
  timeout?: number
  /** Decide whether to accept the remote's static key; false (or a rejection) drops the stream. */
  firewall?: (remotePublicKey: Uint8Array) => boolean | Promise<boolean>
  /** Noise options (pattern, IK remote key); test hooks for fixed ephemerals. */
  noise?: NoiseOptions
  /** Test-only: a fixed secretstream header. */
  header?: Uint8Array
}

/** An encrypted message stream over a byte {@link Duplex}. */
export class SecretStream extends Duplex {
  /** True on the side that starts the Noise handshake. */
  readonly isInitiator: boolean
  /** The byte transport underneath, once attached. */
  rawStream: Duplex | null = null
  /** Our static public key. */
  publicKey: Uint8Array
  /** The remote's static public key once the handshake authenticated it; null before. */
  remotePublicKey: Uint8Array | null = null
  /**
   * The handshake hash (64 bytes) once known: unique to this connection, it binds capabilities (hypercore's
   * replication proofs of key possession) to it.
   */
  handshakeHash: Uint8Array | null = null
  /** Resolves true once encrypted messages can flow, false if the stream died first. */
  readonly opened: Promise<boolean>
  #resolveOpened!: (ok: boolean) => void
  #noise: NoiseHandshake | null = null
  #push: SecretStreamPush | null = null
  #pull: SecretStreamPull | null = null
  #awaitingHeader = true
  readonly #frames = new FrameDecoder()
  readonly #opts: SecretStreamOptions
  #pending: Uint8Array[] = []
  #keepAliveMs = 0
  #keepAliveTimer: ReturnType<typeof setInterval> | null = null
  #sentSinceTick = false
  #timeoutMs = 0
  #timeoutTimer: ReturnType<typeof setInterval> | null = null
  #receivedSinceTick = false
  #keyPair: KeyPair
  #rx: Uint8Array | null = null
  /** Frames that arrived while the firewall was deciding. */
  #held: Uint8Array[] | null = null
  /** Messages that arrived before anyone listened for `data` (delivered to the first listener). */
  #inbox: Uint8Array[] = []
  #inboxBytes = 0
  #inboxFlushing = false

  /**
   * A secret-stream over `rawStream` (or over one given later to `start`); the initiator sends the first
   * handshake message.
   */
  constructor(isInitiator: boolean, rawStream: Duplex | null = null, opts: SecretStreamOptions = {}) {
    super()
    this.isInitiator = isInitiator
    this.#opts = opts
    this.#keyPair = opts.handshake
      ? { publicKey: opts.handshake.publicKey, secretKey: new Uint8Array(64) }
      : (opts.keyPair ?? generateKeyPair())
    this.publicKey = this.#keyPair.publicKey
    this.opened = new Promise((resolve) => {
      this.#resolveOpened = resolve
    })
    if (rawStream) this.start(rawStream)
  }

  /** Itself: Holepunch code finds the secret-stream of any protocol stream as `noiseStream`. */
  get noiseStream(): SecretStream {
    return this
  }

  /** A fresh static key pair (the same as `@orchard/crypto`'s `keyPair`). */
  static keyPair(seed?: Uint8Array): KeyPair {
    return generateKeyPair(seed)
  }

  /**
   * Attaches the raw byte stream (when it was not given to the constructor). As
   * `@hyperswarm/secret-stream`'s `start(rawStream, { handshake })`, a handshake agreed elsewhere
   * (HyperDHT's IK, or a relay's) may be given here instead of to the constructor.
   */
  start(rawStream: Duplex, opts: { handshake?: HandshakeResult } = {}): void {
    if (this.rawStream) throw new WireError('PROTOCOL_ERROR', 'the secret stream is already started')
    this.rawStream = rawStream
    rawStream.on('data', (chunk) => this.#onRaw(chunk))
    rawStream.on('end', () => this._onRemoteEnd())
    rawStream.on('drain', () => this.emit('drain'))
    rawStream.on('close', (err) => this.destroy(err ?? undefined))
    rawStream.on('error', () => {})
    if (this.#opts.keepAlive) this.setKeepAlive(this.#opts.keepAlive)
    if (this.#opts.timeout) this.setTimeout(this.#opts.timeout)
    const handshake = opts.handshake ?? this.#opts.handshake
    if (handshake) {
      this.#established(handshake)
      return
    }
    try {
      this.#noise = new NoiseHandshake(this.isInitiator, this.#keyPair, this.#opts.noise)
      if (this.isInitiator) rawStream.write(frame(this.#noise.send()))
    } catch (err) {
      this.destroy(err as Error)
    }
  }

  override on<K extends keyof DuplexEvents>(event: K, listener: (...args: DuplexEvents[K]) => void): this {
    super.on(event, listener)
    if (event === 'data' && this.#inbox.length > 0 && !this.#inboxFlushing) {
      this.#inboxFlushing = true
      queueMicrotask(() => this.#flushInbox())
    }
    return this
  }

  /** Hands kept messages to the listeners, with any that arrived since, in order. */
  #flushInbox(): void {
    for (let i = 0; i < this.#inbox.length && !this.destroyed; i++) this.emit('data', this.#inbox[i]!)
    this.#inbox = []
    this.#inboxBytes = 0
    this.#inboxFlushing = false
  }

  /** Always: a message is encrypted into a frame of its own, or copied until the handshake is done. */
  override get writesCopied(): boolean {
    return true
  }

  /** Sends one message (encrypted, framed). */
  write(message: Uint8Array): boolean {
    if (this.destroyed) return false
    if (message.byteLength > MAX_MESSAGE) {
      this.destroy(
        new WireError(
          'MESSAGE_TOO_LARGE',
          `a message is at most ${MAX_MESSAGE} bytes, got ${message.byteLength}`
        )
      )
      return false
    }
    if (this.#push === null) {
      this.#pending.push(message.slice())
      return true
    }
    const out = new Uint8Array(3 + message.byteLength + SECRETSTREAM_ABYTES)
    writeUint24LE(out.byteLength - 3, out)
    this.#push.push(message, 0, out.subarray(3))
    this.#sentSinceTick = true
    return this.rawStream!.write(out)
  }

  /**
   * Sends an empty message after `ms` idle milliseconds, so the remote's timeout does not fire; 0 turns it
   * off.
   */
  setKeepAlive(ms: number): void {
    if (this.#keepAliveTimer) clearInterval(this.#keepAliveTimer)
    this.#keepAliveTimer = null
    this.#keepAliveMs = ms
    if (ms <= 0 || this.destroyed) return
    this.#keepAliveTimer = setInterval(() => {
      if (!this.#sentSinceTick && this.#push) this.write(EMPTY)
      this.#sentSinceTick = false
    }, ms)
    unref(this.#keepAliveTimer)
  }

  /** The keep-alive interval in ms (0 = off). */
  get keepAlive(): number {
    return this.#keepAliveMs
  }

  /**
   * Destroys the stream with a `TIMEOUT` error when nothing arrives for `ms` milliseconds; 0 turns it off.
   */
  setTimeout(ms: number): void {
    if (this.#timeoutTimer) clearInterval(this.#timeoutTimer)
    this.#timeoutTimer = null
    this.#timeoutMs = ms
    if (ms <= 0 || this.destroyed) return
    this.#receivedSinceTick = true
    this.#timeoutTimer = setInterval(() => {
      if (!this.#receivedSinceTick) this.destroy(new WireError('TIMEOUT', `nothing received for ${ms} ms`))
      this.#receivedSinceTick = false
    }, ms)
    unref(this.#timeoutTimer)
  }

  /** The receive timeout in ms (0 = off). */
  get timeout(): number {
    return this.#timeoutMs
  }

  #onRaw(chunk: Uint8Array): void {
    this.#receivedSinceTick = true
    try {
      this.#frames.push(chunk, (f) => {
        if (!this.destroyed) this.#onFrame(f)
      })
    } catch (err) {
      this.destroy(
        err instanceof WireError ? err : new WireError('INVALID_FRAME', 'bad frame', { cause: err })
      )
    }
  }

  #onFrame(f: Uint8Array): void {
    if (this.#held) {
      this.#held.push(f.slice())
      return
    }
    if (this.#noise) {
      const noise = this.#noise
      noise.recv(f)
      if (!noise.complete) this.rawStream!.write(frame(noise.send()))
      if (noise.complete) {
        this.#noise = null
        if (this.#opts.firewall) void this.#accept(noise.result!)
        else this.#established(noise.result!)
      }
      return
    }
    if (this.#pull === null && this.handshakeHash === null) {
      throw new WireError('PROTOCOL_ERROR', 'data before the handshake completed')
    }
    if (this.#awaitingHeader) {
      if (f.byteLength !== ID_HEADER_BYTES)
        throw new WireError('INVALID_HEADER', `the id frame must be ${ID_HEADER_BYTES} bytes`)
      const expected = streamId(this.handshakeHash!, !this.isInitiator)
      for (let i = 0; i < 32; i++) {
        if (f[i] !== expected[i])
          throw new WireError('INVALID_HEADER', 'the remote stream id does not match the handshake')
      }
      this.#pull = new SecretStreamPull(this.#rx!, f.slice(32))
      this.#awaitingHeader = false
      return
    }
    if (f.byteLength < SECRETSTREAM_ABYTES)
      throw new WireError('INVALID_FRAME', 'an encrypted frame is shorter than its tag')
    let message: Uint8Array
    try {
      // in place, as the real secret-stream does: a received chunk is ours (the `Duplex` contract)
      message = this.#pull!.pull(f, f.subarray(1, f.byteLength - SECRETSTREAM_ABYTES + 1)).message
    } catch (err) {
      throw new WireError('DECRYPTION_FAILED', 'a message failed authentication', { cause: err })
    }
    if (message.byteLength === 0) return // keep-alives carry nothing for the layers above
    // while kept messages wait for their flush, newer ones queue behind them
    if (this.listenerCount('data') > 0 && !this.#inboxFlushing) return void this.emit('data', message)
    this.#inbox.push(message)
    this.#inboxBytes += message.byteLength
    if (this.#inboxBytes > MAX_INBOX) {
      this.destroy(new WireError('PROTOCOL_ERROR', `over ${MAX_INBOX} bytes arrived before anyone listened`))
    }
  }

  /** Asks the firewall about the remote key, holding incoming frames until it answers. */
  async #accept(result: HandshakeResult): Promise<void> {
    this.#held = []
    let ok = false
    try {
      ok = await this.#opts.firewall!(result.remotePublicKey)
    } catch {}
    if (!ok) {
      this.destroy(new WireError('FIREWALLED', 'the remote public key was rejected'))
      return
    }
    this.#established(result)
    const held = this.#held
    this.#held = null
    try {
      for (const f of held) if (!this.destroyed) this.#onFrame(f)
    } catch (err) {
      this.destroy(err as Error)
    }
  }

  #established(result: HandshakeResult): void {
    if (this.destroyed) return
    this.handshakeHash = result.hash
    this.remotePublicKey = result.remotePublicKey
    this.publicKey = result.publicKey
    this.#rx = result.rx
    this.#push = new SecretStreamPush(result.tx, this.#opts.header)
    const idFrame = new Uint8Array(3 + ID_HEADER_BYTES)
    writeUint24LE(ID_HEADER_BYTES, idFrame)
    idFrame.set(streamId(result.hash, this.isInitiator), 3)
    idFrame.set(this.#push.header, 35)
    this.rawStream!.write(idFrame)
    const pending = this.#pending
    this.#pending = []
    for (const m of pending) this.write(m)
    // on a transport still connecting (a relayed dial whose first frames go ahead), the stream is
    // open once the transport is: `opened` promises a connection, as hyperdht's does
    const raw = this.rawStream!
    if (raw.connecting) raw.once('connect', () => this.#resolveOpened(true))
    else this.#resolveOpened(true)
  }

  protected _end(): void {
    this.rawStream?.end()
  }

  protected _destroy(err: Error | null): void {
    if (this.#keepAliveTimer) clearInterval(this.#keepAliveTimer)
    if (this.#timeoutTimer) clearInterval(this.#timeoutTimer)
    this.#keepAliveTimer = this.#timeoutTimer = null
    this.#resolveOpened(false)
    this.rawStream?.destroy(err ?? undefined)
  }
}

const EMPTY = new Uint8Array(0)

function unref(timer: unknown): void {
  ;(timer as { unref?: () => void }).unref?.()
}
