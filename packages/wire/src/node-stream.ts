/**
 * Node only: a Node or streamx duplex stream as a {@link Duplex}. Its main use is a hyperdht
 * connection (`dht.connect()`, a server's `connection`, a hyperswarm `connection`): Holepunch's
 * encrypted `NoiseSecretStream` from `@hyperswarm/secret-stream`, where one write is one message.
 * Wrapped, it is a {@link NoiseStreamDuplex}, a message stream that Orchard's protomux and
 * `@orchard/hypercore`'s `replicate()` run on directly:
 *
 * ```ts
 * import { fromNodeStream } from '@orchard/wire/node-stream'
 * server.on('connection', (conn) => core.replicate(fromNodeStream(conn)))
 * ```
 *
 * Any other Node or streamx duplex (a `net.Socket`, a pipe) becomes a plain
 * {@link NodeStreamDuplex}: a byte transport to run a `SecretStream` on. Chunks arrive as
 * `Uint8Array` views of the stream's buffers (no copy), `write` returns what the stream's `write`
 * returns and `drain` follows, `end`/`close`/`error` are mapped (a failure of the stream is a
 * {@link WireError}, the original error its `cause`), and destroying either side destroys the other.
 *
 * @module \@orchard/wire/node-stream
 */
import { Duplex } from './duplex.ts'
import { WireError, type WireErrorCode } from './errors.ts'

/**
 * The part of a Node (`stream.Duplex`, `net.Socket`) or streamx duplex the adapter uses. Chunks it
 * emits must be bytes (`Buffer`/`Uint8Array`); a string or an object destroys the adapter with an
 * `INVALID_FRAME` error.
 */
export interface NodeStreamLike {
  /** Queues `chunk`; false when the writer should wait for `drain`. */
  write(chunk: Uint8Array): boolean
  /** Ends the writable side. */
  end(): unknown
  /** Tears the stream down, with `err` reported as its `error`. */
  destroy(err?: Error): unknown
  /** True once destroyed. */
  readonly destroyed?: boolean
  /**
   * Free for the layer above, where the stream has it (Holepunch's streams do): protomux finds
   * itself here, so the adapter shares it.
   */
  userData?: unknown
  /** Listens for `data`, `drain`, `end`, `error` and `close`. */
  // biome-ignore lint/suspicious/noExplicitAny: Node's and streamx's listener signatures vary by event
  on(event: string, listener: (...args: any[]) => void): unknown
}

/**
 * An encrypted message stream: Holepunch's `NoiseSecretStream` (`@hyperswarm/secret-stream` 6), as
 * hyperdht and hyperswarm hand out connections. One `write` is one message, one `data` event is one
 * message. The adapter recognises one by its boolean `isInitiator`.
 */
export interface NoiseStreamLike extends NodeStreamLike {
  /** True on the side that dialled. */
  readonly isInitiator: boolean
  /** Our static public key (set once the handshake started). */
  readonly publicKey?: Uint8Array | null
  /** The remote's static public key (known up front when dialling, else after the handshake). */
  readonly remotePublicKey?: Uint8Array | null
  /** The Noise handshake hash once the handshake completed: unique to this connection. */
  readonly handshakeHash?: Uint8Array | null
  /** Resolves true once messages can flow, false if the stream closed first. */
  readonly opened?: Promise<boolean>
}

/** A view of `bytes` as a plain `Uint8Array` (a `Buffer`'s `slice` would not copy), sharing memory. */
function plain(bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array
    ? bytes
    : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

function plainOrNull(bytes: Uint8Array | null | undefined): Uint8Array | null {
  return bytes instanceof Uint8Array ? plain(bytes) : null
}

/** The failures of `@hyperswarm/secret-stream` 6, which carry no code, by message. */
const SECRET_STREAM_ERRORS: Record<string, WireErrorCode> = {
  'Noise handshake failed': 'HANDSHAKE_FAILED',
  'Stream timed out': 'TIMEOUT',
  'Invalid header message received': 'INVALID_HEADER',
  'Invalid header received': 'INVALID_HEADER',
  'Invalid message received': 'DECRYPTION_FAILED'
}

/** The {@link WireErrorCode} of a stream's failure. */
function codeOf(err: Error): WireErrorCode {
  const known = SECRET_STREAM_ERRORS[err.message]
  if (known) return known
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string') {
    // hyperdht's (HANDSHAKE_UNFINISHED, HANDSHAKE_INVALID, BAD_HANDSHAKE_REPLY, …) and Node's
    if (code.startsWith('HANDSHAKE_') || code === 'BAD_HANDSHAKE_REPLY') return 'HANDSHAKE_FAILED'
    if (code.includes('TIMEOUT') || code === 'ETIMEDOUT') return 'TIMEOUT'
  }
  return 'STREAM_CLOSED'
}

/** `err` as a {@link WireError}: itself when it is one, else wrapped with `err` as the cause. */
function toWireError(err: unknown): WireError {
  if (err instanceof WireError) return err
  const e = err instanceof Error ? err : new Error(String(err))
  return new WireError(codeOf(e), `the stream failed: ${e.message}`, { cause: e })
}

const adapters = new WeakMap<object, NodeStreamDuplex>()

/**
 * A Node or streamx duplex as a {@link Duplex} (see {@link fromNodeStream}). `userData` is the
 * stream's own when it has one, so a protomux found through the adapter and one found through
 * the stream (`Protomux.from(conn)`) are the same.
 */
export class NodeStreamDuplex extends Duplex {
  /** The wrapped stream. */
  readonly stream: NodeStreamLike
  #ended = false
  #remoteEnded = false
  #needsDrain = false

  /** Wraps `stream`, open or still opening; prefer {@link fromNodeStream}, which reuses the adapter of a stream. */
  constructor(stream: NodeStreamLike) {
    super()
    this.stream = stream
    if ('userData' in stream) {
      Object.defineProperty(this, 'userData', {
        configurable: true,
        enumerable: true,
        get: () => stream.userData ?? null,
        set: (value: unknown) => {
          stream.userData = value
        }
      })
    }
    stream.on('data', (chunk: unknown) => {
      if (this.destroyed) return
      if (chunk instanceof Uint8Array) this.emit('data', plain(chunk))
      else if (chunk instanceof ArrayBuffer) this.emit('data', new Uint8Array(chunk))
      else this.destroy(new WireError('INVALID_FRAME', `the stream carried a ${typeof chunk}, not bytes`))
    })
    stream.on('drain', () => {
      if (!this.#needsDrain || this.destroyed) return
      this.#needsDrain = false
      this.emit('drain')
    })
    stream.on('end', () => {
      this.#remoteEnded = true
      this._onRemoteEnd()
    })
    // listened to for as long as the stream lives: an error a Node or streamx stream emits with no
    // listener would be thrown
    stream.on('error', (err: unknown) => this.destroy(toWireError(err)))
    stream.on('close', () => this.destroy())
  }

  /** True on the side that dialled, where the stream knows it (an encrypted connection does); null otherwise. */
  get isInitiator(): boolean | null {
    const isInitiator = (this.stream as Partial<NoiseStreamLike>).isInitiator
    return typeof isInitiator === 'boolean' ? isInitiator : null
  }

  /** Our static public key on this connection, where the stream has one (a `Uint8Array` view); null otherwise. */
  get publicKey(): Uint8Array | null {
    return plainOrNull((this.stream as Partial<NoiseStreamLike>).publicKey)
  }

  /** The remote's static public key, where the stream has it (a `Uint8Array` view); null otherwise or before the handshake. */
  get remotePublicKey(): Uint8Array | null {
    return plainOrNull((this.stream as Partial<NoiseStreamLike>).remotePublicKey)
  }

  /** The Noise handshake hash, where the stream has it (a `Uint8Array` view); null otherwise or before the handshake. */
  get handshakeHash(): Uint8Array | null {
    return plainOrNull((this.stream as Partial<NoiseStreamLike>).handshakeHash)
  }

  write(chunk: Uint8Array): boolean {
    if (this.destroyed || this.#ended || this.stream.destroyed === true) return false
    if (this.stream.write(chunk)) return true
    this.#needsDrain = true
    return false
  }

  protected _end(): void {
    this.#ended = true
    this.stream.end()
  }

  protected _destroy(err: Error | null): void {
    // ended both ways: the stream closes by itself once what it still buffers went out, which
    // destroying it now would drop
    if (err === null && this.#ended && this.#remoteEnded) return
    if (this.stream.destroyed !== true) this.stream.destroy(err ?? undefined)
  }
}

/**
 * An encrypted message stream (a hyperdht connection) as a {@link Duplex}: one `write` is one
 * message, one `data` event is one message, and the session's identity (`isInitiator`, keys,
 * handshake hash, `opened`) is the stream's. It is its own `noiseStream`, as Holepunch's
 * secret-streams are, so `core.replicate(duplex)` (`@orchard/hypercore`) and `Protomux.from(duplex)`
 * run on it as on a `SecretStream`.
 */
export class NoiseStreamDuplex extends NodeStreamDuplex {
  /** The wrapped encrypted stream. */
  declare readonly stream: NoiseStreamLike
  /** Resolves true once messages can flow, false if the stream closed first (the stream's own `opened`). */
  readonly opened: Promise<boolean>

  /** Wraps `stream`, open or still handshaking; prefer {@link fromNodeStream}, which reuses the adapter of a stream. */
  constructor(stream: NoiseStreamLike) {
    super(stream)
    this.opened = stream.opened ?? Promise.resolve(stream.destroyed !== true)
  }

  /** True on the side that dialled. */
  override get isInitiator(): boolean {
    return this.stream.isInitiator
  }

  /** Itself: Holepunch code (and `@orchard/hypercore`) finds the secret-stream of a protocol stream as `noiseStream`. */
  get noiseStream(): this {
    return this
  }
}

/**
 * Wraps a Node or streamx duplex as a {@link Duplex}: a hyperdht connection (anything with a boolean
 * `isInitiator`, see {@link NoiseStreamLike}) as a {@link NoiseStreamDuplex} message stream, any
 * other stream as a byte {@link NodeStreamDuplex}. One adapter per stream: wrapping the same stream
 * again returns the same duplex, so every core replicated on `fromNodeStream(conn)` shares one
 * protomux.
 */
export function fromNodeStream(stream: NoiseStreamLike): NoiseStreamDuplex
export function fromNodeStream(stream: NodeStreamLike): NodeStreamDuplex
export function fromNodeStream(stream: NodeStreamLike): NodeStreamDuplex {
  let adapter = adapters.get(stream)
  if (adapter === undefined) {
    adapter =
      typeof (stream as Partial<NoiseStreamLike>).isInitiator === 'boolean'
        ? new NoiseStreamDuplex(stream as NoiseStreamLike)
        : new NodeStreamDuplex(stream)
    adapters.set(stream, adapter)
  }
  return adapter
}
