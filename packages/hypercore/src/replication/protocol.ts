/**
 * Attaching cores to streams: the hypercore replication protocol runs as a protomux channel
 * (`hypercore/alpha`, alias `hypercore`, id = the core's discovery key) on a secret-stream. This
 * module creates the stream when given a transport, opens the channel, and routes each decoded
 * message to the core's peer state; any error a handler raises drops that peer.
 */
import {
  type Channel,
  type Duplex,
  memoryPair,
  Protomux,
  SecretStream,
  type SecretStreamOptions
} from '@orchard/wire'
import type { Core } from '../core.ts'
import { BadArgumentError, ProtocolError } from '../errors.ts'
import type { ReplicationChannel } from './channel.ts'
import * as m from './messages.ts'
import { Peer } from './peer.ts'
import { Replicator, type ReplicatorOptions } from './replicator.ts'

export const PROTOCOL = 'hypercore/alpha'
export const ALIASES = ['hypercore']

/** Options of `replicate()` and `Hypercore.createProtocolStream()`. */
export interface ReplicateOptions
  extends ReplicatorOptions,
    Pick<SecretStreamOptions, 'keyPair' | 'firewall'> {
  /** The byte transport to run the secret-stream on (TCP, WebSocket, WebRTC, in-memory). */
  stream?: Duplex
  /** Keep-alive interval for streams we create (default 5 000 ms, as hypercore; false = none). */
  keepAlive?: number | false
  /** Called with the discovery key of every core the remote opens that we have not. */
  ondiscoverykey?: (discoveryKey: Uint8Array) => void | Promise<void>
}

/**
 * What `replicate(true | false)` returns without a transport: the raw (encrypted) side of a new
 * secret-stream, to pipe into another peer's (`a.pipe(b).pipe(a)`), as hypercore's does.
 */
export interface ProtocolStream extends Duplex {
  /** The secret-stream running on this raw stream (Holepunch code finds it under this name). */
  readonly noiseStream: SecretStream
}

/** Anything `replicate` accepts as its first argument. */
/**
 * An encrypted connection as a swarm hands it out (`@orchard/swarm`, hyperswarm, hyperdht): Orchard's
 * `SecretStream`, or Holepunch's secret-stream, whose `noiseStream` is itself. Which one it is, is
 * checked when it is used; anything else is a `BadArgumentError`.
 */
export interface EncryptedConnection {
  /** True on the side that dialled. */
  readonly isInitiator: boolean
  /** The remote's static public key. */
  readonly remotePublicKey: Uint8Array | null
  /** The Noise handshake hash, once known. */
  readonly handshakeHash: Uint8Array | null
}

/**
 * What `replicate()` runs on: `true`/`false` (a new secret-stream as initiator/responder), a
 * secret-stream, a protomux on one, a protocol stream returned earlier, or a swarm's connection.
 */
export type ReplicationTarget = boolean | SecretStream | Protomux | ProtocolStream | EncryptedConnection

const replicators = new WeakMap<Core, Replicator>()

/** The replicator of `core`, created on first use. */
export function replicatorOf(core: Core, opts: ReplicatorOptions = {}): Replicator {
  let r = replicators.get(core)
  if (!r) {
    r = new Replicator(core, opts)
    replicators.set(core, r)
  }
  return r
}

/**
 * Replicates `core` over `target` (see {@link createProtocolStream}); many cores can share one
 * stream. Returns what `createProtocolStream` returns.
 */
export function replicate(
  core: Core,
  target: ReplicationTarget,
  opts: ReplicateOptions = {}
): SecretStream | ProtocolStream {
  const outer = createProtocolStream(target, opts)
  attachCore(core, noiseOf(outer), opts)
  return outer
}

/** Joins `core`'s channel to the protomux on `stream` (once the stream is open). */
export function attachCore(core: Core, stream: SecretStream, opts: ReplicatorOptions = {}): void {
  const mux = Protomux.from(stream)
  const replicator = replicatorOf(core, opts)
  // the remote's open can arrive before our `opened` callback runs: answer it when it does
  // until the stream and the core's channel are open, `update` counts this as a peer that may
  // still bring an upgrade
  replicator.connecting++
  let connecting = true
  const connected = () => {
    if (!connecting) return
    connecting = false
    replicator.connecting--
    replicator.update()
  }
  mux.pair({ protocol: PROTOCOL, id: core.discoveryKey }, () =>
    attach(core, replicator, mux, stream, connected)
  )
  void stream.opened.then((ok) => {
    if (ok) attach(core, replicator, mux, stream, connected)
    else connected()
  })
  stream.on('close', connected)
  core.once('close', () => mux.unpair({ protocol: PROTOCOL, id: core.discoveryKey }))
}

/**
 * The stream replication runs on, as hypercore's `createProtocolStream`:
 * - `true`/`false` with `opts.stream`: a secret-stream (initiator/responder) on that transport;
 * - `true`/`false` alone: a new secret-stream whose raw side is returned, to pipe to a peer;
 * - a secret-stream, a protomux on one, or a raw side returned earlier: reused.
 */
export function createProtocolStream(
  target: ReplicationTarget,
  opts: ReplicateOptions = {}
): SecretStream | ProtocolStream {
  let outer: SecretStream | ProtocolStream
  if (typeof target === 'boolean') {
    const keepAlive = opts.keepAlive === false ? 0 : (opts.keepAlive ?? 5000)
    const options = { keyPair: opts.keyPair, firewall: opts.firewall, keepAlive }
    if (opts.stream) {
      outer = new SecretStream(target, opts.stream, options)
    } else {
      const [raw, inner] = memoryPair()
      const noise = new SecretStream(target, inner, options)
      outer = Object.assign(raw, { noiseStream: noise })
    }
  } else if (target instanceof Protomux) {
    outer = target.stream as SecretStream
  } else if (target instanceof SecretStream || isProtocolStream(target)) {
    outer = target
  } else {
    throw new BadArgumentError(
      'replicate() takes true/false, a secret-stream, a protomux or a protocol stream'
    )
  }
  const noise = noiseOf(outer)
  const mux = Protomux.from(noise)
  if (opts.ondiscoverykey) {
    const ondiscoverykey = opts.ondiscoverykey
    mux.pair({ protocol: PROTOCOL }, (id) => {
      if (id?.byteLength !== 32) throw new BadArgumentError('invalid discovery key')
      return ondiscoverykey(id)
    })
  }
  return outer
}

/**
 * A stream with a `noiseStream`: our raw protocol streams, and Holepunch's own secret-streams
 * (`@hyperswarm/secret-stream`, e.g. a hyperswarm connection), whose `noiseStream` is themselves.
 * Theirs carry messages as ours do (`write`, `data`, `opened`, `handshakeHash`…), so protomux runs
 * on them unchanged.
 */
function isProtocolStream(x: unknown): x is ProtocolStream {
  if (typeof x !== 'object' || x === null) return false
  const noise = (x as { noiseStream?: unknown }).noiseStream as Record<string, unknown> | undefined
  return (
    typeof noise === 'object' &&
    noise !== null &&
    typeof noise.write === 'function' &&
    typeof noise.on === 'function' &&
    typeof noise.isInitiator === 'boolean'
  )
}

/** The secret-stream under a stream `createProtocolStream` returned (or a Holepunch one). */
export function noiseOf(stream: SecretStream | ProtocolStream): SecretStream {
  return stream instanceof SecretStream ? stream : stream.noiseStream
}

/** Opens the core's channel on `mux`. */
function attach(
  core: Core,
  replicator: Replicator,
  mux: Protomux,
  stream: SecretStream,
  connected: () => void
): void {
  if (core.closed) {
    connected()
    return
  }
  if (mux.opened({ protocol: PROTOCOL, id: core.discoveryKey })) {
    // the core is already on this stream (attached twice): this attach brings no new peer
    connected()
    return
  }
  let peer: Peer | null = null
  const guard =
    <T>(fn: (p: Peer, msg: T) => void) =>
    (msg: T) => {
      if (peer === null) return
      try {
        fn(peer, msg)
      } catch (err) {
        peer.drop(err as Error)
      }
    }
  let channel: Channel | null = null
  const transport: ReplicationChannel = {
    send: (type, message) => {
      channel?.messages[type]?.send(message as never)
    },
    cork: () => mux.cork(),
    uncork: () => mux.uncork(),
    close: () => channel?.close(),
    destroy: (err) => mux.destroy(err),
    get drained() {
      return mux.drained
    },
    get isInitiator() {
      return stream.isInitiator
    },
    get handshakeHash() {
      return stream.handshakeHash!
    },
    get remotePublicKey() {
      return stream.remotePublicKey
    }
  }
  channel = mux.createChannel({
    protocol: PROTOCOL,
    aliases: ALIASES,
    id: core.discoveryKey,
    handshake: m.handshake,
    messages: [
      { encoding: m.sync, onmessage: guard((p, x: m.SyncMessage) => p.onsync(x)) },
      { encoding: m.request, onmessage: guard((p, x: m.RequestMessage) => p.onrequest(x)) },
      { encoding: m.cancel, onmessage: guard((p, x: { request: number }) => p.oncancel(x)) },
      { encoding: m.data, onmessage: guard((p, x: m.DataMessage) => p.ondata(x)) },
      { encoding: m.noData, onmessage: guard((p, x: { request: number; reason: number }) => p.onnodata(x)) },
      {
        encoding: m.want,
        onmessage: guard((p, x: { start: number; length: number; any: boolean }) => p.onwant(x))
      },
      { encoding: m.unwant, onmessage: guard((p, x: { start: number; length: number }) => p.onunwant(x)) },
      {
        encoding: m.bitfield,
        onmessage: guard((p, x: { start: number; bitfield: Uint32Array }) => p.onbitfield(x))
      },
      {
        encoding: m.range,
        onmessage: guard((p, x: { drop: boolean; start: number; length: number }) => p.onrange(x))
      },
      {
        encoding: m.extension,
        onmessage: guard((p, x: { name: string; message: Uint8Array }) => p.onextension(x))
      }
    ],
    onopen: (hs) => {
      try {
        peer!.onopen(hs as m.Handshake)
      } catch (err) {
        peer!.drop(err as Error)
      }
      connected()
    },
    // hypercore 11 defines exactly these ten types: anything else is a peer we cannot trust
    onunknown: (type) => {
      peer?.drop(new ProtocolError(`unknown hypercore message type ${type}`))
    },
    onclose: () => {
      peer?.onclose()
      connected()
    }
  })
  if (channel === null) {
    connected()
    return
  }
  peer = new Peer(replicator, transport)
  channel.open(peer.handshake())
}
