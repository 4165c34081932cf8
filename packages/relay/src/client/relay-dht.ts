/**
 * The tab side of a relay session, shaped as the subset of hyperdht's API a swarm needs
 * (`lookup`, `announce`, `unannounce`, `createServer().listen`, `connect`, `destroy`). The tab keeps
 * its secret key: it signs the relay's challenge, answers announce/unannounce signing requests only
 * for its own key and for topics it asked for, runs the Noise IK handshakes of its connections, and
 * runs secret-stream end to end over the relayed raw bytes.
 */
import { keyPair as generateKeyPair, hash, type KeyPair, ready, sign } from '@orchard/crypto'
import { Emitter } from '@orchard/events'
import { NoiseHandshake, SecretStream, type WebSocketLike } from '@orchard/wire'
import {
  announceSignable,
  decodeMessage,
  dhtNamespaces,
  ErrorCode,
  encodeMessage,
  HandshakeOp,
  holepunchSecret,
  type Message,
  type MessageOf,
  openSignable,
  PROTOCOL_VERSION,
  RelayError,
  SignKind
} from '../protocol/index.ts'
import { type RawStreamSink, RelayedRawStream } from './raw-stream.ts'
import { type RelayConnectionServerOptions, RelayDHTServer } from './server.ts'
import { equal, hex, type LookupReply, ReplyQueue } from './util.ts'

/** Options of a {@link RelayDHT}. */
export interface RelayDHTOptions {
  /** The tab's key pair: the session's identity (default: a fresh one). Its secret key never leaves the tab. */
  keyPair?: KeyPair
}

/** Options of {@link RelayDHT.lookup}. */
export interface RelayLookupOptions {
  /** Aborting stops the query; the iterator then ends. */
  signal?: AbortSignal
}

/** Options of {@link RelayDHT.announce}. */
export interface RelayAnnounceOptions {
  /** Aborting stops the announce. */
  signal?: AbortSignal
  /** Called with every reply the announce query sees on its way. */
  onreply?: (reply: LookupReply) => void
}

/** Events of a {@link RelayDHT}. */
export interface RelayDHTEvents {
  /** The session closed; `err` says why (null when we closed it). */
  close: [err: RelayError | null]
}

interface Request {
  onReply(reply: LookupReply): void
  resolve(): void
  reject(err: Error): void
}

interface StreamState {
  readonly stream: number
  noise: NoiseHandshake | null
  secret: SecretStream | null
  raw: RelayedRawStream | null
  timer: ReturnType<typeof setTimeout> | null
}

const WS_OPEN = 1
const HIGH_WATER_MARK = 4 * 1024 * 1024
/** How long an incoming handshake may wait for its stream to open. */
const INCOMING_TTL = 30_000

/** A relay session with hyperdht's shape (see the module doc). */
export class RelayDHT extends Emitter<RelayDHTEvents> {
  /** The session's key pair: `connect` and `listen` use it (and only it). */
  readonly defaultKeyPair: KeyPair
  /** Resolves once the relay accepted the session; rejects if it did not. */
  readonly opened: Promise<void>
  /** True once the session closed. */
  destroyed = false
  readonly #socket: WebSocketLike
  #resolveOpened!: () => void
  #rejectOpened!: (err: Error) => void
  #maxFrame = 0
  #nextId = 1
  #nextStream = 2
  readonly #requests = new Map<number, Request>()
  readonly #streams = new Map<number, StreamState>()
  /** Targets the tab agreed to have signed for: topics it announced or unannounced, its server's. */
  readonly #targets = new Set<string>()
  #server: RelayDHTServer | null = null
  #error: RelayError | null = null
  #destroying = false
  #drainWaiters: (() => void)[] = []
  #drainTimer: ReturnType<typeof setInterval> | null = null
  #cryptoReady = false
  #early: Uint8Array[] = []

  /** Opens a session on `socket` (a browser `WebSocket` or `ws`, open or connecting). */
  constructor(socket: WebSocketLike, opts: RelayDHTOptions = {}) {
    super()
    this.#socket = socket
    socket.binaryType = 'arraybuffer'
    this.defaultKeyPair = opts.keyPair ?? { publicKey: new Uint8Array(32), secretKey: new Uint8Array(64) }
    this.opened = new Promise((resolve, reject) => {
      this.#resolveOpened = resolve
      this.#rejectOpened = reject
    })
    this.opened.catch(() => {})
    const keyPairGiven = opts.keyPair !== undefined
    ready().then(
      () => {
        if (!keyPairGiven) Object.assign(this.defaultKeyPair, generateKeyPair())
        this.#cryptoReady = true
        const early = this.#early
        this.#early = []
        for (const f of early) this.#onFrame(f)
      },
      (err) => this.#fail(new RelayError('INTERNAL', 'crypto failed to load', { cause: err }))
    )
    socket.addEventListener('message', (e) => {
      const data = e.data
      const frame =
        data instanceof ArrayBuffer ? new Uint8Array(data) : data instanceof Uint8Array ? data : null
      if (!frame) return this.#fail(new RelayError('BAD_FRAME', 'the relay sent a text frame'))
      if (this.#cryptoReady) this.#onFrame(frame)
      else this.#early.push(frame)
    })
    socket.addEventListener('close', (e) => {
      const ev = e as { code?: number; reason?: string }
      const err =
        this.#error ??
        (ev.code && ev.code >= 4000
          ? RelayError.fromWire(ev.code - 4000, ev.reason ?? '')
          : new RelayError('CLOSED', `the relay connection closed (${ev.code ?? 'no code'})`))
      this.#fail(err)
    })
    socket.addEventListener('error', () =>
      this.#fail(new RelayError('CLOSED', 'the relay connection failed'))
    )
  }

  /** A fresh key pair (from `seed` when given), as hyperdht's `keyPair()`. */
  keyPair(seed?: Uint8Array): KeyPair {
    return generateKeyPair(seed)
  }

  /** Resolves once the session is open. */
  ready(): Promise<void> {
    return this.opened
  }

  #send(message: Message): boolean {
    if (this.#socket.readyState !== WS_OPEN || this.destroyed) return false
    this.#socket.send(encodeMessage(message))
    return this.#socket.bufferedAmount < HIGH_WATER_MARK
  }

  #onFrame(frame: Uint8Array): void {
    if (this.destroyed) return
    let msg: Message
    try {
      msg = decodeMessage(frame)
    } catch (err) {
      this.#fail(err as RelayError)
      return
    }
    try {
      this.#dispatch(msg)
    } catch (err) {
      this.#fail(err instanceof RelayError ? err : new RelayError('INTERNAL', (err as Error).message))
    }
  }

  #dispatch(msg: Message): void {
    switch (msg.type) {
      case 'CHALLENGE':
        this.#onChallenge(msg)
        return
      case 'OPENED':
        this.#resolveOpened()
        return
      case 'ERROR':
        this.#onError(msg)
        return
      case 'REPLY':
        this.#requests
          .get(msg.id)
          ?.onReply({ peers: msg.peers.map((p) => ({ publicKey: p.publicKey.slice() })) })
        return
      case 'DONE': {
        const r = this.#requests.get(msg.id)
        this.#requests.delete(msg.id)
        r?.resolve()
        return
      }
      case 'SIGN':
        this.#onSign(msg)
        return
      case 'HANDSHAKE':
        this.#onHandshake(msg)
        return
      case 'STREAM_OPEN':
        this.#onStreamOpen(msg)
        return
      case 'DATA':
        this.#streams.get(msg.stream)?.raw?.push(msg.data)
        return
      case 'END':
        this.#streams.get(msg.stream)?.raw?.pushEnd()
        return
      case 'CLOSE':
        this.#onStreamClose(msg)
        return
      default:
        throw new RelayError('PROTOCOL', `a relay does not send ${msg.type}`)
    }
  }

  #onChallenge(msg: MessageOf<'CHALLENGE'>): void {
    this.#maxFrame = msg.maxFrame
    const signature = sign(openSignable(msg.nonce), this.defaultKeyPair.secretKey)
    this.#send({
      type: 'OPEN',
      version: PROTOCOL_VERSION,
      publicKey: this.defaultKeyPair.publicKey,
      signature
    })
  }

  #onError(msg: MessageOf<'ERROR'>): void {
    const err = RelayError.fromWire(msg.code, msg.message)
    if (msg.id === 0) {
      this.#error = err
      return
    }
    const r = this.#requests.get(msg.id)
    this.#requests.delete(msg.id)
    r?.reject(err)
  }

  #fail(err: RelayError): void {
    if (this.destroyed) return
    this.#error ??= err
    this.destroyed = true
    this.#rejectOpened(err)
    for (const r of this.#requests.values()) r.reject(err)
    this.#requests.clear()
    for (const s of this.#streams.values()) this.#dropStream(s, err)
    this.#streams.clear()
    if (this.#drainTimer) clearInterval(this.#drainTimer)
    for (const cb of this.#drainWaiters) cb()
    this.#drainWaiters = []
    if (this.#socket.readyState <= WS_OPEN) this.#socket.close(1000)
    this.emit('close', this.#destroying ? null : this.#error)
  }

  /** Closes the session: every stream and request ends. */
  async destroy(): Promise<void> {
    if (this.destroyed) return
    this.#destroying = true
    this.#fail(new RelayError('CLOSED', 'the session was destroyed'))
  }

  #checkKey(keyPair: KeyPair | undefined): void {
    if (keyPair && !equal(keyPair.publicKey, this.defaultKeyPair.publicKey)) {
      throw new RelayError('REFUSED', 'a relay session acts only with the key pair it was opened with')
    }
  }

  /** Sends request `message` (its id assigned here) once the session is open. */
  #request(message: Message & { id: number }, onReply: (r: LookupReply) => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.opened.then(() => {
        if (this.destroyed) return reject(this.#error)
        this.#requests.set(message.id, { onReply, resolve, reject })
        this.#send(message)
      }, reject)
    })
  }

  /** Looks `topic` up on the DHT: one reply per DHT node that answered. */
  async *lookup(topic: Uint8Array, opts: RelayLookupOptions = {}): AsyncGenerator<LookupReply> {
    const id = this.#nextId++
    const queue = new ReplyQueue()
    const done = this.#request({ type: 'LOOKUP', id, topic }, (r) => queue.push(r))
    done.then(
      () => queue.end(null),
      (err) => queue.end(err)
    )
    const abort = () => this.#send({ type: 'CANCEL', id })
    opts.signal?.addEventListener('abort', abort)
    try {
      yield* queue
    } finally {
      opts.signal?.removeEventListener('abort', abort)
      if (!queue.ended) abort()
    }
  }

  /** Announces the session's key under `topic`; resolves once the announce query finished. */
  async announce(topic: Uint8Array, keyPair?: KeyPair, opts: RelayAnnounceOptions = {}): Promise<void> {
    this.#checkKey(keyPair)
    this.#targets.add(hex(topic))
    const id = this.#nextId++
    const abort = () => this.#send({ type: 'CANCEL', id })
    opts.signal?.addEventListener('abort', abort)
    try {
      await this.#request({ type: 'ANNOUNCE', id, topic }, (r) => opts.onreply?.(r))
    } finally {
      opts.signal?.removeEventListener('abort', abort)
    }
  }

  /** Removes the session's announcement of `topic`. */
  async unannounce(topic: Uint8Array, keyPair?: KeyPair): Promise<void> {
    this.#checkKey(keyPair)
    this.#targets.add(hex(topic))
    await this.#request({ type: 'UNANNOUNCE', id: this.#nextId++, topic }, () => {})
  }

  /** A server for the session's key: the relay listens on the DHT, the tab runs every handshake. */
  createServer(
    opts: RelayConnectionServerOptions = {},
    onconnection?: (conn: SecretStream) => void
  ): RelayDHTServer {
    const server = new RelayDHTServer(opts, {
      listen: async (keyPair) => {
        this.#checkKey(keyPair)
        if (this.#server && this.#server !== server)
          throw new RelayError('PROTOCOL', 'the session already has a server')
        this.#server = server
        this.#targets.add(hex(hash(this.defaultKeyPair.publicKey)))
        await this.#request({ type: 'LISTEN', id: this.#nextId++ }, () => {})
        return this.defaultKeyPair.publicKey
      },
      close: async () => {
        if (this.#server !== server) return
        this.#server = null
        if (!this.destroyed) await this.#request({ type: 'UNLISTEN', id: this.#nextId++ }, () => {})
      }
    })
    if (onconnection) server.on('connection', onconnection)
    return server
  }

  /**
   * Dials `remotePublicKey` through the relay. Returns the encrypted connection at once (it opens
   * asynchronously, `opened`); its secret-stream runs here, from the IK handshake the tab ran.
   */
  connect(remotePublicKey: Uint8Array, opts: { keyPair?: KeyPair } = {}): SecretStream {
    this.#checkKey(opts.keyPair)
    const secret = new SecretStream(true, null, { keyPair: this.defaultKeyPair })
    secret.remotePublicKey = remotePublicKey.slice()
    const stream = this.#nextStream
    this.#nextStream += 2
    const state: StreamState = { stream, noise: null, secret, raw: null, timer: null }
    secret.on('close', () => {
      if (this.#streams.get(stream) !== state) return
      this.#streams.delete(stream)
      if (!state.raw)
        this.#send({ type: 'CLOSE', stream, code: ErrorCode.CLOSED, message: 'closed by the tab' })
    })
    this.opened.then(
      () => {
        if (secret.destroyed) return
        state.noise = new NoiseHandshake(true, this.defaultKeyPair, {
          pattern: 'IK',
          remotePublicKey,
          prologue: dhtNamespaces().PEER_HANDSHAKE
        })
        this.#streams.set(stream, state)
        this.#send({ type: 'CONNECT', stream, publicKey: remotePublicKey })
      },
      (err) => secret.destroy(err)
    )
    return secret
  }

  #onSign(msg: MessageOf<'SIGN'>): void {
    const own = msg.peer.byteLength >= 32 && equal(msg.peer.subarray(0, 32), this.defaultKeyPair.publicKey)
    const known = msg.kind === SignKind.ANNOUNCE || msg.kind === SignKind.UNANNOUNCE
    const allowed = own && known && this.#targets.has(hex(msg.target))
    const signature = allowed ? sign(announceSignable(msg), this.defaultKeyPair.secretKey) : null
    this.#send({ type: 'SIGNED', id: msg.id, signature })
  }

  #onHandshake(msg: MessageOf<'HANDSHAKE'>): void {
    let state = this.#streams.get(msg.stream)
    if (!state) {
      // a new incoming connection: only for a listening session, on a relay-chosen (odd) id
      if (msg.op !== HandshakeOp.RECV || msg.stream % 2 !== 1 || !this.#server) {
        this.#send({
          type: 'CLOSE',
          stream: msg.stream,
          code: ErrorCode.REFUSED,
          message: 'no such handshake'
        })
        return
      }
      const noise = new NoiseHandshake(false, this.defaultKeyPair, {
        pattern: 'IK',
        prologue: dhtNamespaces().PEER_HANDSHAKE
      })
      state = { stream: msg.stream, noise, secret: null, raw: null, timer: null }
      const s = state
      state.timer = setTimeout(() => {
        if (this.#streams.get(s.stream) === s) this.#streams.delete(s.stream)
      }, INCOMING_TTL)
      this.#streams.set(msg.stream, state)
    }
    const noise = state.noise
    if (!noise) return
    try {
      if (msg.op === HandshakeOp.SEND) {
        const data = noise.send(msg.data)
        this.#send({
          type: 'HANDSHAKE_REPLY',
          stream: msg.stream,
          data,
          remotePublicKey: null,
          holepunchSecret: this.#secretOf(noise)
        })
        return
      }
      const payload = noise.recv(msg.data)
      const remotePublicKey = noise.remotePublicKey
      if (!noise.isInitiator && remotePublicKey && this.#server?.refuses(remotePublicKey)) {
        throw new RelayError('REFUSED', 'firewalled')
      }
      // a connection we dialled is agreed: its secret-stream starts now and its first frames go
      // ahead of the reply, so the relay holds them when hyperdht connects and writes them at once
      if (noise.isInitiator && noise.result && state.secret && !state.raw) this.#startRaw(state, false)
      this.#send({
        type: 'HANDSHAKE_REPLY',
        stream: msg.stream,
        data: payload,
        remotePublicKey,
        holepunchSecret: this.#secretOf(noise)
      })
    } catch (err) {
      this.#streams.delete(msg.stream)
      if (state.timer) clearTimeout(state.timer)
      this.#send({
        type: 'CLOSE',
        stream: msg.stream,
        code: ErrorCode.REFUSED,
        message: (err as Error).message
      })
      state.secret?.destroy(err as Error)
    }
  }

  #secretOf(noise: NoiseHandshake): Uint8Array | null {
    return noise.result ? holepunchSecret(noise.result.hash) : null
  }

  #onStreamOpen(msg: MessageOf<'STREAM_OPEN'>): void {
    const state = this.#streams.get(msg.stream)
    if (state?.raw && !state.raw.connected) {
      state.raw.connect()
      return
    }
    if (!state?.noise?.result || state.raw) {
      this.#send({
        type: 'CLOSE',
        stream: msg.stream,
        code: ErrorCode.PROTOCOL,
        message: 'no finished handshake'
      })
      return
    }
    this.#startRaw(state, true)
  }

  /**
   * Starts the secret-stream of a finished handshake on the stream's relayed raw bytes:
   * `connected` once the relay said the DHT stream is up, or early (an outgoing connection, right
   * after the handshake) with its first bytes held by the relay until then.
   */
  #startRaw(state: StreamState, connected: boolean): void {
    if (state.timer) clearTimeout(state.timer)
    const raw = new RelayedRawStream(this.#sink, state.stream, Math.max(1, this.#maxFrame - 16), connected)
    state.raw = raw
    raw.on('close', () => {
      if (this.#streams.get(state.stream) === state) this.#streams.delete(state.stream)
    })
    const handshake = state.noise!.result!
    if (state.secret) {
      state.secret.start(raw, { handshake })
      return
    }
    const secret = new SecretStream(false, raw, { handshake, keyPair: this.defaultKeyPair })
    state.secret = secret
    this.#server?.emit('connection', secret)
  }

  #onStreamClose(msg: MessageOf<'CLOSE'>): void {
    const state = this.#streams.get(msg.stream)
    if (!state) return
    this.#streams.delete(msg.stream)
    const err = msg.code === ErrorCode.CLOSED ? null : RelayError.fromWire(msg.code, msg.message)
    this.#dropStream(state, err)
  }

  #dropStream(state: StreamState, err: Error | null): void {
    if (state.timer) clearTimeout(state.timer)
    if (state.raw) state.raw.closeFromRemote(err)
    else state.secret?.destroy(err ?? new RelayError('CLOSED', 'the stream closed before it opened'))
  }

  readonly #sink: RawStreamSink = {
    sendData: (stream, data) => this.#send({ type: 'DATA', stream, data }),
    sendEnd: (stream) => {
      this.#send({ type: 'END', stream })
    },
    sendClose: (stream, err) => {
      this.#streams.delete(stream)
      this.#send({ type: 'CLOSE', stream, code: ErrorCode.CLOSED, message: err?.message ?? '' })
    },
    onDrain: (cb) => {
      this.#drainWaiters.push(cb)
      this.#drainTimer ??= setInterval(() => {
        if (this.#socket.bufferedAmount >= HIGH_WATER_MARK / 2) return
        clearInterval(this.#drainTimer!)
        this.#drainTimer = null
        const waiters = this.#drainWaiters
        this.#drainWaiters = []
        for (const w of waiters) w()
      }, 5)
    }
  }
}
