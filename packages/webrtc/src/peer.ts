/// <reference path="./types/simple-peer.d.ts" />
/**
 * simple-peer, typed by what Orchard uses of it. The package loads simple-peer's self-contained
 * browser build, so neither a browser bundle nor Node needs `global`/`process`/`events` shims; in
 * Node the WebRTC implementation (`@roamhq/wrtc`) is passed as `wrtc`.
 */
import SimplePeer from 'simple-peer/simplepeer.min.js'
import { fromPeerError, type WebRtcError } from './errors.ts'

/** A WebRTC signal: the offer, the answer, or one ICE candidate (simple-peer's `signal` data). */
export type SignalData =
  | {
      /** An SDP offer (from the initiator) or answer. */
      type: 'offer' | 'answer'
      /** The session description. */
      sdp: string
    }
  | {
      /** One trickled ICE candidate. */
      type: 'candidate'
      /** The candidate, as `RTCIceCandidateInit`. */
      candidate: IceCandidate
    }

/** An ICE candidate as signalled (the fields of `RTCIceCandidateInit`). */
export interface IceCandidate {
  /** The `candidate:` line. */
  candidate: string
  /** The media line it belongs to. */
  sdpMLineIndex?: number | null
  /** The media id it belongs to. */
  sdpMid?: string | null
  /** The ICE username fragment, when given. */
  usernameFragment?: string | null
}

/** A STUN or TURN server (`RTCIceServer`). */
export interface IceServer {
  /** One or more `stun:`/`turn:`/`turns:` URLs. */
  urls: string | string[]
  /** The TURN user name. */
  username?: string
  /** The TURN password. */
  credential?: string
}

/**
 * A WebRTC implementation for where there is no global one (Node: `import wrtc from '@roamhq/wrtc'`).
 * Browsers need none.
 */
export interface WebRtcImplementation {
  /** The `RTCPeerConnection` constructor. */
  RTCPeerConnection: unknown
  /** The `RTCSessionDescription` constructor. */
  RTCSessionDescription: unknown
  /** The `RTCIceCandidate` constructor. */
  RTCIceCandidate: unknown
}

/** The part of `RTCDataChannel` the transport drives. */
export interface PeerDataChannel {
  /** `'connecting'`, `'open'`, `'closing'` or `'closed'`. */
  readonly readyState: string
  /** Bytes queued and not yet handed to the network; drives backpressure. */
  readonly bufferedAmount: number
  /** Where `bufferedamountlow` fires; absent in some Node ports (`@roamhq/wrtc`), which are polled. */
  bufferedAmountLowThreshold?: number
  /** Sends one binary or text message. */
  send(data: Uint8Array<ArrayBuffer> | string): void
  /** simple-peer's own `message` handler (it wraps each message and pushes it through its stream). */
  onmessage: ((event: { data: unknown }) => void) | null
  /** Listens for `message` (binary data arrives as `ArrayBuffer`: simple-peer sets `binaryType`). */
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void
  /** Listens for `bufferedamountlow`. */
  addEventListener(type: 'bufferedamountlow', listener: () => void): void
}

/** An error simple-peer reports. */
export interface PeerError extends Error {
  /** simple-peer's `ERR_*` code (`ERR_ICE_CONNECTION_FAILURE`, `ERR_DATA_CHANNEL`, …). */
  code?: string
}

/** The events of a simple-peer instance, name → listener arguments. */
export interface SimplePeerEvents {
  /** A signal to carry to the remote, which passes it to its `signal`. */
  signal: [data: SignalData]
  /** The data channel is open. */
  connect: []
  /** A data channel message (a Uint8Array subclass). */
  data: [data: Uint8Array]
  /** No more `data`: the last message received before the channel closed has been emitted. */
  end: []
  /** The peer failed; `close` follows. */
  error: [err: PeerError]
  /** The peer is gone (destroyed, or its channel or connection closed). */
  close: []
}

/** The part of a simple-peer instance Orchard uses. */
export interface SimplePeerLike {
  /** True once the data channel is open (and until it closes). */
  readonly connected: boolean
  /** True once destroyed. */
  readonly destroyed: boolean
  /**
   * simple-peer's data channel (null before it exists). Not public API of simple-peer, but the only way to
   * its text messages and `bufferedamountlow` event; pinned by the exact dependency version.
   */
  readonly _channel: PeerDataChannel | null
  /** Hands the peer a signal from the remote. */
  signal(data: SignalData): void
  /** Tears the peer down; `err` is reported as `error`. */
  destroy(err?: Error): void
  /** Lets simple-peer's own readable side flow (its `data`), so it buffers nothing when nobody reads it. */
  resume(): void
  /** Adds a listener. */
  on<K extends keyof SimplePeerEvents>(event: K, listener: (...args: SimplePeerEvents[K]) => void): this
  /** Adds a one-shot listener. */
  once<K extends keyof SimplePeerEvents>(event: K, listener: (...args: SimplePeerEvents[K]) => void): this
  /** Removes a listener. */
  removeListener<K extends keyof SimplePeerEvents>(
    event: K,
    listener: (...args: SimplePeerEvents[K]) => void
  ): this
}

/** Options of {@link createPeer}. */
export interface PeerOptions {
  /** True on the side that makes the offer; exactly one side of a pair must be it. */
  initiator: boolean
  /** The WebRTC implementation where there is no global one (Node: `@roamhq/wrtc`). */
  wrtc?: WebRtcImplementation
  /**
   * STUN/TURN servers. Default none: only host candidates, so nothing outside the two peers is
   * contacted; give STUN (and TURN) servers for peers behind different NATs.
   */
  iceServers?: IceServer[]
  /** `'relay'` uses TURN servers only (hides addresses); default `'all'`. */
  iceTransportPolicy?: 'all' | 'relay'
}

/**
 * Creates a simple-peer instance with one reliable, ordered data channel, negotiated up front (id 0,
 * created on both sides at once, so it exists before anything can arrive on it); throws a
 * `NO_WEBRTC` {@link WebRtcError} where there is no WebRTC.
 */
export function createPeer(opts: PeerOptions): SimplePeerLike {
  try {
    return new SimplePeer({
      initiator: opts.initiator,
      wrtc: opts.wrtc,
      trickle: true,
      channelName: 'orchard',
      channelConfig: { negotiated: true, id: 0 },
      config: {
        iceServers: opts.iceServers ?? [],
        iceTransportPolicy: opts.iceTransportPolicy ?? 'all'
      }
    }) as SimplePeerLike
  } catch (err) {
    throw fromPeerError(err as Error)
  }
}
