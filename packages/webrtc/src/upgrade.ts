/**
 * The upgrade: two peers connected through a relay open a WebRTC data channel, signalled over
 * their connection, and run a new secret-stream on it with the same key pairs. The direct stream
 * is handed over only when both sides have it and the remote proved the key the relayed
 * connection authenticated; anything else fails with a typed {@link WebRtcError}, and the relayed
 * connection — never touched — stays the path.
 */
import { equalBytes } from '@orchard/codec'
import type { KeyPair } from '@orchard/crypto'
import { type Duplex, SecretStream, WireError } from '@orchard/wire'
import { WebRtcError } from './errors.ts'
import { createPeer, type PeerOptions, type SimplePeerLike } from './peer.ts'
import { SignalChannel } from './signal.ts'
import { fromSimplePeer } from './transport.ts'

/** Default time an upgrade may take before it fails with `TIMEOUT`. */
export const DEFAULT_UPGRADE_TIMEOUT = 15_000

/**
 * An encrypted connection whose two keys are known: a {@link SecretStream} (a relayed one, say), or
 * anything shaped like it (`@orchard/wire/node-stream`'s hyperdht connections).
 */
export interface AuthenticatedConnection extends Duplex {
  /** True on the side that started the connection's handshake; the same side starts the upgrade's. */
  readonly isInitiator: boolean
  /** Our public key on this connection. */
  readonly publicKey: Uint8Array
  /** The remote's public key, once the handshake authenticated it. */
  readonly remotePublicKey: Uint8Array | null
  /** Resolves once the connection is open (when the keys may not be known yet). */
  readonly opened?: Promise<boolean>
}

/** Options of {@link upgrade}. */
export interface UpgradeOptions extends Omit<PeerOptions, 'initiator'> {
  /**
   * Our key pair: the one the connection authenticated (its `publicKey`). The direct path is a new
   * secret-stream with it.
   */
  keyPair: KeyPair
  /** Milliseconds the whole upgrade may take (default {@link DEFAULT_UPGRADE_TIMEOUT}). */
  timeout?: number
  /** Aborts the upgrade (it fails with `ABORTED`). */
  signal?: AbortSignal
}

/**
 * Upgrades `conn` to a direct WebRTC path: both peers call it. The roles follow the connection's:
 * the side whose `conn.isInitiator` is true makes the WebRTC offer and starts the new handshake
 * (both sides always agree on it, even when both use the same key pair). Resolves with the direct
 * secret-stream — same keys, new session — once both sides have it; rejects with a
 * {@link WebRtcError} otherwise (`REFUSED` when the remote does not upgrade, `ICE_FAILED`,
 * `TIMEOUT`, `KEY_MISMATCH`, …). `conn` itself is left as it was either way, to carry on with, or
 * to go back to once the direct stream closes (its `close` carries a {@link WebRtcError} when the
 * path died rather than ended).
 *
 * Call it on both sides as soon as the connection exists (in the same turn as its `connection`
 * event, or right after `opened`): protomux pairs the two signalling channels, and while one side
 * already runs a protomux on the connection but has not called `upgrade` yet, it rejects the
 * other's channel, which then fails with `REFUSED` (an upgrade may simply be tried again).
 */
export async function upgrade(conn: AuthenticatedConnection, opts: UpgradeOptions): Promise<SecretStream> {
  if (opts.signal?.aborted) throw new WebRtcError('ABORTED', 'the upgrade was aborted')
  if (conn.remotePublicKey === null && conn.opened) await conn.opened
  if (conn.destroyed || conn.remotePublicKey === null) {
    throw new WebRtcError('RELAY_CLOSED', 'the connection is not open')
  }
  if (!equalBytes(opts.keyPair.publicKey, conn.publicKey)) {
    throw new WebRtcError('KEY_MISMATCH', "the key pair is not the one the connection's handshake used")
  }
  return new Promise((resolve, reject) => {
    const attempt = new Attempt(conn, opts, resolve, reject)
    attempt.start()
  })
}

/** One upgrade in flight: its pieces, and the one place that settles it and cleans up. */
class Attempt {
  readonly #conn: AuthenticatedConnection
  readonly #remotePublicKey: Uint8Array
  readonly #opts: UpgradeOptions
  readonly #resolve: (direct: SecretStream) => void
  readonly #reject: (err: WebRtcError) => void
  #settled = false
  #signals: SignalChannel | null = null
  #peer: SimplePeerLike | null = null
  #direct: SecretStream | null = null
  #localDone = false
  #remoteDone = false
  #timer: ReturnType<typeof setTimeout> | null = null
  readonly #onAbort = () => this.#fail(new WebRtcError('ABORTED', 'the upgrade was aborted'))
  readonly #onRelayClose = () => this.#fail(new WebRtcError('RELAY_CLOSED', 'the connection closed'))

  constructor(
    conn: AuthenticatedConnection,
    opts: UpgradeOptions,
    resolve: (direct: SecretStream) => void,
    reject: (err: WebRtcError) => void
  ) {
    this.#conn = conn
    this.#remotePublicKey = conn.remotePublicKey!
    this.#opts = opts
    this.#resolve = resolve
    this.#reject = reject
  }

  start(): void {
    const timeout = this.#opts.timeout ?? DEFAULT_UPGRADE_TIMEOUT
    this.#timer = setTimeout(
      () => this.#fail(new WebRtcError('TIMEOUT', `no direct path within ${timeout} ms`)),
      timeout
    )
    this.#opts.signal?.addEventListener('abort', this.#onAbort)
    this.#conn.on('close', this.#onRelayClose)
    let signals: SignalChannel
    try {
      signals = new SignalChannel(this.#conn)
    } catch (err) {
      this.#fail(err as WebRtcError)
      return
    }
    this.#signals = signals
    // the peer is created in `open` itself: signals the remote sent along with its open are
    // delivered right after it, synchronously, and find the peer there
    signals.on('open', () => this.#openPeer())
    signals.on('signal', (data) => this.#peer?.signal(data))
    signals.on('done', () => {
      this.#remoteDone = true
      this.#maybeDone()
    })
    signals.on('invalid', (err) => this.#fail(err))
    signals.on('close', () => {
      if (this.#conn.destroyed) this.#onRelayClose()
      else if (this.#peer === null) this.#fail(new WebRtcError('REFUSED', 'the remote does not upgrade'))
      else this.#fail(new WebRtcError('REFUSED', 'the remote abandoned the upgrade'))
    })
  }

  /** Starts WebRTC and the direct secret-stream on it (which waits for the channel to connect). */
  #openPeer(): void {
    if (this.#settled) return
    const opts = this.#opts
    let peer: SimplePeerLike
    try {
      peer = createPeer({
        initiator: this.#conn.isInitiator,
        wrtc: opts.wrtc,
        iceServers: opts.iceServers,
        iceTransportPolicy: opts.iceTransportPolicy
      })
    } catch (err) {
      this.#fail(err as WebRtcError)
      return
    }
    this.#peer = peer
    peer.on('signal', (data) => this.#signals?.send(data))
    // the remote must prove, on the direct path, the key the relayed connection authenticated:
    // any other is refused before the stream opens (FIREWALLED, reported as KEY_MISMATCH)
    const remotePublicKey = this.#remotePublicKey
    const direct = new SecretStream(this.#conn.isInitiator, fromSimplePeer(peer), {
      keyPair: opts.keyPair,
      firewall: (key) => equalBytes(key, remotePublicKey)
    })
    this.#direct = direct
    direct.on('close', (err) => this.#fail(directFailure(err)))
    direct.opened.then((ok) => {
      if (!ok || this.#settled) return
      this.#localDone = true
      this.#signals?.sendDone()
      this.#maybeDone()
    })
  }

  #maybeDone(): void {
    if (this.#settled || !this.#localDone || !this.#remoteDone) return
    this.#settled = true
    this.#cleanup()
    this.#resolve(this.#direct!)
  }

  #fail(err: WebRtcError): void {
    if (this.#settled) return
    this.#settled = true
    this.#cleanup()
    if (this.#direct !== null) this.#direct.destroy()
    else this.#peer?.destroy()
    this.#reject(err)
  }

  #cleanup(): void {
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#opts.signal?.removeEventListener('abort', this.#onAbort)
    this.#conn.off('close', this.#onRelayClose)
    this.#signals?.close()
  }
}

/** Why the direct stream closed before the upgrade finished, as a {@link WebRtcError}. */
function directFailure(err: Error | null): WebRtcError {
  if (err instanceof WebRtcError) return err
  if (err instanceof WireError && err.code === 'FIREWALLED') {
    return new WebRtcError('KEY_MISMATCH', 'the remote proved a different key on the direct path', {
      cause: err
    })
  }
  if (err instanceof WireError) {
    return new WebRtcError('HANDSHAKE_FAILED', 'the direct secret-stream failed', { cause: err })
  }
  return new WebRtcError('CHANNEL_FAILED', 'the direct path closed before the upgrade finished', {
    cause: err ?? undefined
  })
}
