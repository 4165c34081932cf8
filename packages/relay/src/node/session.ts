/**
 * One tab session on a relay: the challenge/signature open, then per-session hyperdht operations
 * with the tab's public key, every secret-key operation (announce signatures, Noise IK steps)
 * forwarded to the tab, and every connection relayed as raw framed bytes.
 */
import { randomBytes, verify } from '@orchard/crypto'
import type { WebSocket } from 'ws'
import {
  announceSignable,
  closeCode,
  closeReason,
  decodeMessage,
  ErrorCode,
  type ErrorCodeName,
  encodeMessage,
  HandshakeOp,
  type Limits,
  type Message,
  type MessageOf,
  openSignable,
  PROTOCOL_VERSION,
  RelayError,
  SignKind
} from '../protocol/index.ts'
import { SessionFlow } from './flow.ts'
import { BlindStream, type TabBridge, TabHandshake } from './hooks.ts'
import {
  type AnnounceRecord,
  type DHTKeyPair,
  encodePeer,
  type HyperDHTNode,
  type HyperDHTServer,
  type Query,
  type SignHook
} from './hyperdht.ts'
import type { Metrics } from './metrics.ts'
import { TabOutbox } from './outbox.ts'

/** What a session needs from its relay. */
export interface SessionContext {
  readonly dht: HyperDHTNode
  readonly limits: Limits
  readonly metrics: Metrics
  /** Writes one structured log record. */
  log(record: Record<string, unknown>): void
  /** The session closed (for any reason). */
  onClose(session: Session): void
  /** Sees every byte the relay receives and sends for a session (WebSocket frames and DHT stream bytes). */
  tap?: ((sessionId: number, direction: TapDirection, bytes: Uint8Array) => void) | undefined
}

/** Where tapped bytes flowed: WebSocket in/out, DHT stream in (from the peer) / out (to the peer). */
export type TapDirection = 'ws-in' | 'ws-out' | 'dht-in' | 'dht-out'

interface Pending<T> {
  resolve(value: T): void
  reject(err: Error): void
  timer: ReturnType<typeof setTimeout>
}

const EMPTY = Buffer.alloc(0)
const WS_OPEN = 1

/** A tab's session. */
export class Session implements TabBridge {
  /** A relay-local id, for logs. */
  readonly id: number
  #publicKey: Buffer | null = null
  #closed = false
  #torndown = false
  readonly #ws: WebSocket
  readonly #ctx: SessionContext
  readonly #nonce = randomBytes(32)
  #openTimer: ReturnType<typeof setTimeout> | null
  #tokens: number
  #refilled = Date.now()
  readonly #requests = new Map<number, () => void>()
  readonly #signs = new Map<
    number,
    Pending<Uint8Array> & { fields: Parameters<typeof announceSignable>[0] }
  >()
  #nextSign = 1
  readonly #steps = new Map<number, Pending<MessageOf<'HANDSHAKE_REPLY'>>>()
  readonly #streams = new Map<number, BlindStream>()
  readonly #quiet = new WeakSet<BlindStream>()
  #nextIncoming = 1
  #server: HyperDHTServer | null = null
  readonly #announced = new Map<string, Buffer>()
  readonly #flow: SessionFlow
  readonly #outbox: TabOutbox

  /** Starts a session on `ws`: sends the challenge and waits for `OPEN`. */
  constructor(id: number, ws: WebSocket, ctx: SessionContext) {
    this.id = id
    this.#ws = ws
    this.#ctx = ctx
    this.#tokens = ctx.limits.bytesPerSecond * 2
    this.#flow = new SessionFlow(
      ws,
      () => this.#streams.values(),
      () => ctx.metrics.backpressure++
    )
    this.#outbox = new TabOutbox((stream, data) => {
      this.#send({ type: 'DATA', stream, data })
      this.#flow.sentToTab()
    }, ctx.limits.maxFrame - 16)
    ws.on('message', (data, isBinary) => this.#onMessage(data as Buffer, isBinary))
    ws.on('close', () => this.#teardown())
    ws.on('error', () => this.#teardown())
    this.#openTimer = setTimeout(() => this.close('OPEN_TIMEOUT', 'no OPEN in time'), ctx.limits.openTimeout)
    this.#send({
      type: 'CHALLENGE',
      version: PROTOCOL_VERSION,
      nonce: this.#nonce,
      maxFrame: ctx.limits.maxFrame,
      signTimeout: ctx.limits.signTimeout
    })
  }

  /** The tab's proven public key (throws before the session opened). */
  get publicKey(): Buffer {
    if (!this.#publicKey) throw new RelayError('PROTOCOL', 'the session is not open')
    return this.#publicKey
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed
  }

  get #keyPair(): DHTKeyPair {
    return { publicKey: this.publicKey, secretKey: null }
  }

  #send(message: Message): void {
    if (this.#ws.readyState !== WS_OPEN) return
    const bytes = encodeMessage(message)
    this.#ctx.metrics.bytesOut += bytes.byteLength
    this.#ctx.tap?.(this.id, 'ws-out', bytes)
    this.#ws.send(bytes)
  }

  /**
   * Closes the session with a reason: an `ERROR` (id 0) then the WebSocket close code `4000 + code`.
   * Only this session is affected.
   */
  close(code: ErrorCodeName, message: string): void {
    if (this.#closed) return
    if (code !== 'CLOSED') this.#ctx.metrics.error(code)
    this.#ctx.log({ event: 'session_close', session: this.id, code, message })
    this.#send({ type: 'ERROR', id: 0, code: ErrorCode[code], message })
    if (this.#ws.readyState === WS_OPEN) this.#ws.close(closeCode(code), closeReason(code, message))
    this.#teardown()
  }

  /**
   * Graceful end: while the tab is still connected, unannounces its topics and stops its server
   * (both need the tab's signatures), bounded by `timeout` ms, then closes with `SHUTDOWN`.
   */
  async shutdown(timeout: number): Promise<void> {
    if (this.#closed) return
    if (this.#publicKey) {
      const work: Promise<unknown>[] = []
      const kp = this.#keyPair
      for (const topic of this.#announced.values()) {
        work.push(
          this.#ctx.dht.unannounce(topic, kp, { signUnannounce: this.#signHook(SignKind.UNANNOUNCE) })
        )
      }
      if (this.#server) work.push(this.#server.close())
      let timer: ReturnType<typeof setTimeout> | undefined
      await Promise.race([
        Promise.allSettled(work),
        new Promise((resolve) => {
          timer = setTimeout(resolve, timeout)
        })
      ])
      clearTimeout(timer)
    }
    this.close('SHUTDOWN', 'the relay is shutting down')
  }

  #teardown(): void {
    if (this.#torndown) return
    this.#torndown = true
    this.#closed = true
    if (this.#openTimer) clearTimeout(this.#openTimer)
    this.#openTimer = null
    this.#flow.stop()
    const closed = new RelayError('CLOSED', 'the session closed')
    for (const p of this.#signs.values()) {
      clearTimeout(p.timer)
      p.reject(closed)
    }
    this.#signs.clear()
    for (const p of this.#steps.values()) {
      clearTimeout(p.timer)
      p.reject(closed)
    }
    this.#steps.clear()
    for (const cancel of this.#requests.values()) cancel()
    this.#requests.clear()
    for (const s of [...this.#streams.values()]) {
      this.#quiet.add(s)
      s.destroy()
    }
    const server = this.#server
    this.#server = null
    server?.close().catch(() => {})
    this.#ctx.onClose(this)
  }

  #spend(bytes: number): boolean {
    const now = Date.now()
    const rate = this.#ctx.limits.bytesPerSecond
    this.#tokens = Math.min(rate * 2, this.#tokens + ((now - this.#refilled) * rate) / 1000)
    this.#refilled = now
    this.#tokens -= Math.max(64, bytes)
    return this.#tokens >= 0
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    if (this.#closed) return
    this.#ctx.metrics.bytesIn += data.byteLength
    this.#ctx.tap?.(this.id, 'ws-in', data)
    if (!isBinary) {
      this.close('BAD_FRAME', 'text frames are not part of the protocol')
      return
    }
    if (data.byteLength > this.#ctx.limits.maxFrame) {
      this.close('FRAME_TOO_LARGE', `a ${data.byteLength}-byte frame is over ${this.#ctx.limits.maxFrame}`)
      return
    }
    if (!this.#spend(data.byteLength)) {
      this.close('RATE_LIMITED', 'over the byte rate limit')
      return
    }
    try {
      this.#dispatch(decodeMessage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)))
    } catch (err) {
      if (err instanceof RelayError) this.close(err.code, err.message)
      else this.close('INTERNAL', (err as Error).message)
    }
  }

  #dispatch(msg: Message): void {
    if (!this.#publicKey) {
      if (msg.type !== 'OPEN') throw new RelayError('PROTOCOL', `${msg.type} before OPEN`)
      this.#open(msg)
      return
    }
    switch (msg.type) {
      case 'LOOKUP':
        this.#lookup(msg.id, Buffer.from(msg.topic))
        return
      case 'ANNOUNCE':
        this.#announce(msg.id, Buffer.from(msg.topic))
        return
      case 'UNANNOUNCE':
        this.#unannounce(msg.id, Buffer.from(msg.topic))
        return
      case 'LISTEN':
        this.#listen(msg.id)
        return
      case 'UNLISTEN':
        this.#unlisten(msg.id)
        return
      case 'CANCEL':
        this.#requests.get(msg.id)?.()
        return
      case 'CONNECT':
        this.#connect(msg.stream, Buffer.from(msg.publicKey))
        return
      case 'SIGNED':
        this.#onSigned(msg)
        return
      case 'HANDSHAKE_REPLY':
        this.#onHandshakeReply(msg)
        return
      case 'DATA':
        this.#onData(msg.stream, msg.data)
        return
      case 'END':
        this.#streams.get(msg.stream)?.end()
        return
      case 'CLOSE':
        this.#onClose(msg)
        return
      default:
        throw new RelayError('PROTOCOL', `a tab does not send ${msg.type}`)
    }
  }

  #open(msg: MessageOf<'OPEN'>): void {
    if (msg.version !== PROTOCOL_VERSION) {
      throw new RelayError(
        'BAD_VERSION',
        `version ${msg.version} is not supported (this relay speaks ${PROTOCOL_VERSION})`
      )
    }
    if (!verify(openSignable(this.#nonce), msg.signature, msg.publicKey)) {
      throw new RelayError('AUTH_FAILED', 'the challenge signature does not verify for that public key')
    }
    this.#publicKey = Buffer.from(msg.publicKey)
    if (this.#openTimer) clearTimeout(this.#openTimer)
    this.#openTimer = null
    this.#ctx.log({ event: 'session_open', session: this.id, publicKey: this.#publicKey.toString('hex') })
    const { maxStreams, bytesPerSecond } = this.#ctx.limits
    this.#send({ type: 'OPENED', maxStreams, bytesPerSecond })
  }

  /** Runs request `id`: replies `ERROR` with the failure, else `DONE`. */
  #request(id: number, kind: string, run: (onCancel: (cancel: () => void) => void) => Promise<void>): void {
    if (id === 0 || this.#requests.has(id)) throw new RelayError('PROTOCOL', `request id ${id} is in use`)
    if (this.#requests.size >= this.#ctx.limits.maxRequests) {
      this.#send({ type: 'ERROR', id, code: ErrorCode.TOO_MANY_STREAMS, message: 'too many requests' })
      return
    }
    this.#ctx.metrics.request(kind)
    let cancelled = false
    let cancel = () => {}
    this.#requests.set(id, () => {
      cancelled = true
      cancel()
    })
    run((c) => {
      cancel = c
    }).then(
      () => {
        if (!this.#requests.delete(id) || this.#closed) return
        this.#send({ type: 'DONE', id })
      },
      (err: Error) => {
        if (!this.#requests.delete(id) || this.#closed) return
        if (cancelled) return this.#send({ type: 'DONE', id })
        const code: ErrorCodeName = err instanceof RelayError ? err.code : 'DHT_ERROR'
        this.#ctx.metrics.error(code)
        this.#send({ type: 'ERROR', id, code: ErrorCode[code], message: err.message })
      }
    )
  }

  async #replies(id: number, q: Query, onCancel: (cancel: () => void) => void): Promise<void> {
    onCancel(() => q.destroy())
    for await (const reply of q) {
      if (this.#closed) return
      const peers = reply.peers.map((p) => ({ publicKey: p.publicKey }))
      this.#send({ type: 'REPLY', id, peers })
    }
  }

  #lookup(id: number, topic: Buffer): void {
    this.#request(id, 'lookup', (onCancel) => this.#replies(id, this.#ctx.dht.lookup(topic), onCancel))
  }

  #announce(id: number, topic: Buffer): void {
    this.#request(id, 'announce', async (onCancel) => {
      const q = this.#ctx.dht.announce(topic, this.#keyPair, this.#server?.relayAddresses ?? [], {
        signAnnounce: this.#signHook(SignKind.ANNOUNCE),
        signUnannounce: this.#signHook(SignKind.UNANNOUNCE)
      })
      await this.#replies(id, q, onCancel)
      this.#announced.set(topic.toString('hex'), topic)
    })
  }

  #unannounce(id: number, topic: Buffer): void {
    this.#request(id, 'unannounce', async () => {
      this.#announced.delete(topic.toString('hex'))
      await this.#ctx.dht.unannounce(topic, this.#keyPair, {
        signUnannounce: this.#signHook(SignKind.UNANNOUNCE)
      })
    })
  }

  #listen(id: number): void {
    this.#request(id, 'listen', async () => {
      if (this.#server) throw new RelayError('PROTOCOL', 'the session already listens')
      const server = this.#ctx.dht.createServer({
        createHandshake: () => new TabHandshake(this, this.#incomingId(), null),
        createSecretStream: (_isInitiator, rawStream, opts) => {
          const h = opts.handshake!
          const blind = this.#addStream(h.streamId, false, h.remotePublicKey)
          blind.start(rawStream!, opts)
          return blind
        }
      })
      this.#server = server
      try {
        await server.listen(this.#keyPair, {
          signAnnounce: this.#signHook(SignKind.ANNOUNCE),
          signUnannounce: this.#signHook(SignKind.UNANNOUNCE)
        })
      } catch (err) {
        if (this.#server === server) this.#server = null
        server.close().catch(() => {})
        throw err
      }
    })
  }

  #unlisten(id: number): void {
    this.#request(id, 'unlisten', async () => {
      const server = this.#server
      this.#server = null
      await server?.close()
    })
  }

  #incomingId(): number {
    const id = this.#nextIncoming
    this.#nextIncoming += 2
    return id
  }

  #addStream(stream: number, isInitiator: boolean, remotePublicKey: Buffer | null): BlindStream {
    const blind = new BlindStream(this, stream, isInitiator, remotePublicKey, this.#ctx.limits.maxStreamFrame)
    this.#streams.set(stream, blind)
    this.#ctx.metrics.streams++
    return blind
  }

  #connect(stream: number, publicKey: Buffer): void {
    if (stream === 0 || stream % 2 !== 0 || this.#streams.has(stream)) {
      throw new RelayError('PROTOCOL', `stream id ${stream} is not a free even id`)
    }
    if (this.#streams.size >= this.#ctx.limits.maxStreams) {
      this.#send({ type: 'CLOSE', stream, code: ErrorCode.TOO_MANY_STREAMS, message: 'too many streams' })
      return
    }
    this.#ctx.metrics.request('connect')
    const blind = this.#addStream(stream, true, publicKey)
    try {
      this.#ctx.dht.connect(publicKey, {
        keyPair: this.#keyPair,
        createHandshake: (_kp, remotePublicKey) => new TabHandshake(this, stream, remotePublicKey),
        createSecretStream: () => blind
      })
    } catch (err) {
      blind.destroy(new RelayError('CONNECT_FAILED', (err as Error).message))
    }
  }

  #signHook(kind: number): SignHook {
    return async (target, token, nodeId, ann: AnnounceRecord) => {
      const fields = {
        kind,
        target: Buffer.from(target),
        nodeId: Buffer.from(nodeId),
        token: Buffer.from(token),
        peer: encodePeer(ann.peer),
        refresh: ann.refresh ?? EMPTY
      }
      return Buffer.from(await this.#askSignature(fields))
    }
  }

  #askSignature(fields: Parameters<typeof announceSignable>[0]): Promise<Uint8Array> {
    if (this.#closed) return Promise.reject(new RelayError('CLOSED', 'the session closed'))
    const id = this.#nextSign++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#signs.delete(id)
        reject(new RelayError('SIGN_TIMEOUT', 'the tab did not sign in time'))
        this.close('SIGN_TIMEOUT', `no answer to signing request ${id}`)
      }, this.#ctx.limits.signTimeout)
      this.#signs.set(id, { resolve, reject, timer, fields })
      this.#send({ type: 'SIGN', id, ...fields })
    })
  }

  #onSigned(msg: MessageOf<'SIGNED'>): void {
    const p = this.#signs.get(msg.id)
    if (!p) return // answered after a timeout or a cancel: nothing waits
    this.#signs.delete(msg.id)
    clearTimeout(p.timer)
    if (!msg.signature) {
      p.reject(new RelayError('REFUSED', 'the tab refused to sign'))
      return
    }
    if (!verify(announceSignable(p.fields), msg.signature, this.publicKey)) {
      p.reject(new RelayError('AUTH_FAILED', 'bad announce signature'))
      throw new RelayError('AUTH_FAILED', 'the announce signature does not verify for the session key')
    }
    p.resolve(msg.signature.slice())
  }

  /** Sends one handshake step of `stream` to the tab and waits for its reply (bounded by `signTimeout`). */
  handshakeStep(stream: number, op: number, data: Uint8Array): Promise<MessageOf<'HANDSHAKE_REPLY'>> {
    if (this.#closed) return Promise.reject(new RelayError('CLOSED', 'the session closed'))
    if (this.#steps.has(stream))
      return Promise.reject(new RelayError('INTERNAL', 'overlapping handshake steps'))
    if (!this.#streams.has(stream) && this.#streams.size + this.#steps.size >= this.#ctx.limits.maxStreams) {
      return Promise.reject(new RelayError('TOO_MANY_STREAMS', 'too many streams'))
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#steps.delete(stream)
        reject(new RelayError('SIGN_TIMEOUT', 'the tab did not answer a handshake step in time'))
        this.close('SIGN_TIMEOUT', `no answer to a handshake step of stream ${stream}`)
      }, this.#ctx.limits.signTimeout)
      this.#steps.set(stream, { resolve, reject, timer })
      // a dialled connection's last step: the tab's first stream bytes may now come early (held)
      if (op === HandshakeOp.RECV) this.#streams.get(stream)?.acceptEarlyData()
      this.#send({ type: 'HANDSHAKE', stream, op, data })
    })
  }

  #onHandshakeReply(msg: MessageOf<'HANDSHAKE_REPLY'>): void {
    const p = this.#steps.get(msg.stream)
    if (!p) return // the handshake was abandoned (timeout, firewall, closed stream)
    this.#steps.delete(msg.stream)
    clearTimeout(p.timer)
    p.resolve({
      ...msg,
      data: msg.data?.slice() ?? null,
      remotePublicKey: msg.remotePublicKey?.slice() ?? null,
      holepunchSecret: msg.holepunchSecret?.slice() ?? null
    })
  }

  #onData(stream: number, data: Uint8Array): void {
    const blind = this.#streams.get(stream)
    if (!blind) return // closed meanwhile
    this.#ctx.tap?.(this.id, 'dht-out', data)
    this.#ctx.metrics.relayedToPeer += data.byteLength
    if (!blind.rawStream) {
      if (!blind.hold(data)) blind.destroy(new RelayError('PROTOCOL', 'data before the stream opened'))
      return
    }
    try {
      if (!blind.write(data) && !blind.destroying) this.#flow.blocked(blind)
    } catch (err) {
      blind.destroy(err as Error)
    }
  }

  #onClose(msg: MessageOf<'CLOSE'>): void {
    const p = this.#steps.get(msg.stream)
    if (p) {
      this.#steps.delete(msg.stream)
      clearTimeout(p.timer)
      p.reject(new RelayError('REFUSED', `the tab closed the stream: ${msg.message}`))
    }
    const blind = this.#streams.get(msg.stream)
    if (!blind) return
    this.#quiet.add(blind)
    blind.destroy()
  }

  // TabBridge: events of the blind streams

  /** @internal */
  streamOpened(blind: BlindStream): void {
    this.#ctx.metrics.streamsTotal++
    this.#ctx.log({
      event: 'stream_open',
      session: this.id,
      stream: blind.stream,
      initiator: blind.isInitiator
    })
    this.#send({ type: 'STREAM_OPEN', stream: blind.stream, remotePublicKey: blind.remotePublicKey! })
  }

  /** @internal */
  streamData(blind: BlindStream, chunk: Buffer): void {
    this.#ctx.tap?.(this.id, 'dht-in', chunk)
    this.#ctx.metrics.relayedToTab += chunk.byteLength
    this.#outbox.push(blind.stream, chunk)
  }

  /** @internal the DHT stream takes bytes again. */
  streamDrained(blind: BlindStream): void {
    this.#flow.unblocked(blind)
  }

  /** @internal */
  streamEnded(blind: BlindStream): void {
    this.#outbox.flush(blind.stream)
    this.#send({ type: 'END', stream: blind.stream })
  }

  /** @internal */
  streamClosed(blind: BlindStream, err: Error | null): void {
    this.#flow.unblocked(blind)
    if (this.#streams.get(blind.stream) !== blind) return
    this.#streams.delete(blind.stream)
    this.#ctx.metrics.streams--
    if (this.#quiet.has(blind) || this.#closed) {
      this.#outbox.drop(blind.stream)
      return
    }
    this.#outbox.flush(blind.stream)
    let code: ErrorCodeName = 'CLOSED'
    if (err instanceof RelayError) code = err.code
    else if (err && !blind.rawStream) code = 'CONNECT_FAILED'
    if (code !== 'CLOSED') this.#ctx.metrics.error(code)
    this.#send({ type: 'CLOSE', stream: blind.stream, code: ErrorCode[code], message: err?.message ?? '' })
  }
}
