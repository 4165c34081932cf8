/**
 * Attaching cores to streams: the hypercore replication protocol runs as a protomux channel
 * (`hypercore/alpha`, alias `hypercore`, id = the core's discovery key) on a secret-stream. This
 * module creates the stream when given a transport, opens the channel, and routes each decoded
 * message to the core's peer state; any error a handler raises drops that peer.
 */
import { type Channel, type Duplex, Protomux, SecretStream, type SecretStreamOptions } from '@orchard/wire'
import type { Core } from '../core.ts'
import { ProtocolError } from '../errors.ts'
import type { ReplicationChannel } from './channel.ts'
import * as m from './messages.ts'
import { Peer } from './peer.ts'
import { Replicator, type ReplicatorOptions } from './replicator.ts'

export const PROTOCOL = 'hypercore/alpha'
export const ALIASES = ['hypercore']

export interface ReplicateOptions
  extends ReplicatorOptions,
    Pick<SecretStreamOptions, 'keyPair' | 'firewall'> {
  /** The byte transport to run the secret-stream on (TCP, WebSocket, WebRTC, in-memory). */
  stream?: Duplex
  /** Keep-alive interval for streams we create (default 5 000 ms, as hypercore). */
  keepAlive?: number
}

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
 * Replicates `core` over `target`: `true`/`false` creates a secret-stream as initiator/responder
 * (on `opts.stream` if given, else attach a transport later with `stream.start(duplex)`); a
 * secret-stream (or a protomux on one) is used as is, so many cores can share one connection.
 * Returns the secret-stream.
 */
export function replicate(
  core: Core,
  target: boolean | SecretStream | Protomux,
  opts: ReplicateOptions = {}
): SecretStream {
  const stream = replicationStream(target, opts)
  const mux = Protomux.from(stream)
  const replicator = replicatorOf(core, opts)
  // the remote's open can arrive before our `opened` callback runs: answer it when it does
  mux.pair({ protocol: PROTOCOL, id: core.discoveryKey }, () => attach(core, replicator, mux, stream))
  void stream.opened.then((ok) => {
    if (ok) attach(core, replicator, mux, stream)
  })
  core.once('close', () => mux.unpair({ protocol: PROTOCOL, id: core.discoveryKey }))
  return stream
}

/** The secret-stream `replicate` runs on: a new one for `true`/`false`, else the given one's. */
export function replicationStream(
  target: boolean | SecretStream | Protomux,
  opts: ReplicateOptions
): SecretStream {
  if (typeof target === 'boolean') {
    return new SecretStream(target, opts.stream ?? null, {
      keyPair: opts.keyPair,
      firewall: opts.firewall,
      keepAlive: opts.keepAlive ?? 5000
    })
  }
  return target instanceof Protomux ? (target.stream as SecretStream) : target
}

/** Opens the core's channel on `mux`. */
function attach(core: Core, replicator: Replicator, mux: Protomux, stream: SecretStream): void {
  if (core.closed || mux.opened({ protocol: PROTOCOL, id: core.discoveryKey })) return
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
    },
    // hypercore 11 defines exactly these ten types: anything else is a peer we cannot trust
    onunknown: (type) => {
      peer?.drop(new ProtocolError(`unknown hypercore message type ${type}`))
    },
    onclose: () => peer?.onclose()
  })
  if (channel === null) return
  peer = new Peer(replicator, transport)
  channel.open(peer.handshake())
}
