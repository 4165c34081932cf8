/**
 * WebRTC signalling over a connection the two peers already have: a protomux channel
 * (`orchard/webrtc-signal`) on their encrypted (typically relayed) stream carries simple-peer's
 * signals — offer, answer, ICE candidates — as JSON, then one `done` each way once the direct path
 * is up. The connection's encryption authenticates every signal, and with them the DTLS
 * fingerprints in the SDP. What the remote sends is bounded and checked: a malformed signal ends
 * the upgrade, never the connection it rides on.
 */
import { raw, uint } from '@orchard/codec'
import { Emitter } from '@orchard/events'
import { type Channel, type ChannelMessage, type Duplex, Protomux } from '@orchard/wire'
import { WebRtcError } from './errors.ts'
import type { IceCandidate, SignalData } from './peer.ts'

/** The protomux protocol name of the signalling channel. */
export const SIGNAL_PROTOCOL = 'orchard/webrtc-signal'
/** The signalling version this package speaks (sent in the channel's open handshake). */
export const SIGNAL_VERSION = 1
/** Largest signal accepted (an SDP for one data channel is a few KiB). */
export const MAX_SIGNAL_BYTES = 64 * 1024
/** Most signals accepted on one channel (one offer or answer, and the candidates). */
export const MAX_SIGNALS = 256

/** The events of a {@link SignalChannel}, name → listener arguments. */
export interface SignalChannelEvents {
  /** Both sides opened the channel (emitted before any signal the remote sent with its open). */
  open: [remoteVersion: number]
  /** A well-formed signal from the remote, to pass to the local peer's `signal`. */
  signal: [data: SignalData]
  /** The remote's direct path is up. */
  done: []
  /** The remote sent something malformed (a `SIGNALLING_FAILED` error); the channel is closed. */
  invalid: [err: WebRtcError]
  /** The channel closed: by the remote (`isRemote`), by us, or with the connection. */
  close: [isRemote: boolean]
}

/**
 * The signalling channel of one upgrade over an existing connection. Both sides create one; it opens
 * once both have, and a side that never does (a peer that does not upgrade) makes it close.
 */
export class SignalChannel extends Emitter<SignalChannelEvents> {
  /** The protomux channel underneath. */
  readonly channel: Channel
  /** Resolves true once both sides opened the channel, false if it closed first. */
  readonly opened: Promise<boolean>
  readonly #signal: ChannelMessage<Uint8Array>
  readonly #done: ChannelMessage<Uint8Array>
  #received = 0

  /**
   * Opens the channel on `conn`'s protomux (shared with whatever else runs on the connection); throws
   * `BUSY` when one is already open there for the same `id`, `RELAY_CLOSED` when the connection is gone.
   */
  constructor(conn: Duplex, opts: { id?: Uint8Array | null } = {}) {
    super()
    const channel = Protomux.from(conn).createChannel({
      protocol: SIGNAL_PROTOCOL,
      id: opts.id ?? null,
      handshake: uint,
      onopen: (version) => {
        this.emit('open', version as number)
      },
      onclose: (isRemote) => {
        this.emit('close', isRemote)
      }
    })
    if (channel === null) {
      throw conn.destroyed
        ? new WebRtcError('RELAY_CLOSED', 'the connection is closed')
        : new WebRtcError('BUSY', 'an upgrade of this connection is already running')
    }
    this.channel = channel
    this.#signal = channel.addMessage({ encoding: raw, onmessage: (m) => this.#onSignal(m) })
    this.#done = channel.addMessage({
      encoding: raw,
      onmessage: () => {
        this.emit('done')
      }
    })
    channel.open(SIGNAL_VERSION)
    this.opened = channel.fullyOpened()
  }

  /** True once the channel closed. */
  get closed(): boolean {
    return this.channel.closed
  }

  /** Sends one signal to the remote. */
  send(data: SignalData): void {
    this.#signal.send(new TextEncoder().encode(JSON.stringify(data)))
  }

  /** Tells the remote our direct path is up. */
  sendDone(): void {
    this.#done.send(EMPTY)
  }

  /** Closes the channel (the connection stays). */
  close(): void {
    this.channel.close()
  }

  #onSignal(message: Uint8Array): void {
    if (this.channel.closed) return
    try {
      if (++this.#received > MAX_SIGNALS) throw invalid(`more than ${MAX_SIGNALS} signals`)
      this.emit('signal', parseSignal(message))
    } catch (err) {
      const e =
        err instanceof WebRtcError ? err : new WebRtcError('SIGNALLING_FAILED', 'bad signal', { cause: err })
      this.emit('invalid', e)
      this.channel.close()
    }
  }
}

const EMPTY = new Uint8Array(0)
const decoder = new TextDecoder('utf-8', { fatal: true })

function invalid(why: string): WebRtcError {
  return new WebRtcError('SIGNALLING_FAILED', `invalid signal: ${why}`)
}

/**
 * Decodes and checks one signal: an offer or answer with its SDP, or one candidate; anything else
 * (simple-peer's renegotiation and transceiver requests included: a data channel never needs them)
 * throws `SIGNALLING_FAILED`.
 */
export function parseSignal(bytes: Uint8Array): SignalData {
  if (bytes.byteLength > MAX_SIGNAL_BYTES) throw invalid(`over ${MAX_SIGNAL_BYTES} bytes`)
  let value: unknown
  try {
    value = JSON.parse(decoder.decode(bytes))
  } catch (err) {
    throw new WebRtcError('SIGNALLING_FAILED', 'invalid signal: not JSON', { cause: err })
  }
  if (typeof value !== 'object' || value === null) throw invalid('not an object')
  const v = value as Record<string, unknown>
  if (v.type === 'offer' || v.type === 'answer') {
    if (typeof v.sdp !== 'string') throw invalid(`${v.type} without an SDP`)
    return { type: v.type, sdp: v.sdp }
  }
  if (v.type === 'candidate') return { type: 'candidate', candidate: parseCandidate(v.candidate) }
  throw invalid(`unknown type ${JSON.stringify(String(v.type)).slice(0, 40)}`)
}

function parseCandidate(value: unknown): IceCandidate {
  if (typeof value !== 'object' || value === null) throw invalid('candidate is not an object')
  const c = value as Record<string, unknown>
  if (typeof c.candidate !== 'string') throw invalid('candidate without its line')
  const out: IceCandidate = { candidate: c.candidate }
  if (c.sdpMLineIndex !== undefined) {
    if (c.sdpMLineIndex !== null && !Number.isInteger(c.sdpMLineIndex)) throw invalid('bad sdpMLineIndex')
    out.sdpMLineIndex = c.sdpMLineIndex as number | null
  }
  if (c.sdpMid !== undefined) {
    if (c.sdpMid !== null && typeof c.sdpMid !== 'string') throw invalid('bad sdpMid')
    out.sdpMid = c.sdpMid as string | null
  }
  if (c.usernameFragment !== undefined) {
    if (c.usernameFragment !== null && typeof c.usernameFragment !== 'string')
      throw invalid('bad usernameFragment')
    out.usernameFragment = c.usernameFragment as string | null
  }
  return out
}
