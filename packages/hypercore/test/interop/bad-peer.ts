/**
 * A scripted bad peer, built on @orchard/wire: it speaks the hypercore protocol well enough to be
 * believed (right handshake, right capability, proofs computed by an honest copy of the core) and
 * then misbehaves in one chosen way. Tests attach it to a reader and watch how the reader copes.
 */
import { type Channel, type Duplex, memoryPair, Protomux, SecretStream } from '@orchard/wire'
import { replicationCapability } from '../../src/caps.ts'
import type { Hypercore } from '../../src/index.ts'
import type { Proof } from '../../src/merkle/index.ts'
import * as m from '../../src/replication/messages.ts'
import type { ReplicateOptions } from '../../src/replication/protocol.ts'

export interface BadPeerContext {
  /** Sends a typed hypercore message on the channel. */
  send(type: number, message: unknown): void
  /** Sends raw bytes as the payload of message `type` (for malformed messages). */
  sendRaw(type: number, payload: Uint8Array): void
  /** The honest answer to a request: a proof from the writer's own core. */
  honest(req: m.RequestMessage): Promise<Proof | null>
  /** The raw byte stream under the secret-stream (for frame-level attacks). */
  raw: Duplex
  stream: SecretStream
  core: Hypercore
}

export interface Behaviour {
  /** Called once the channel is open (after our sync went out, unless `noSync`). */
  onopen?(ctx: BadPeerContext): void | Promise<void>
  /** Called for each request the victim sends; the default answers honestly. */
  onrequest?(req: m.RequestMessage, ctx: BadPeerContext): void | Promise<void>
  /** Use this capability instead of the right one. */
  capability?: Uint8Array
  /** Claim this length in our sync (default: the writer's). */
  length?: number
  /** Don't send the usual open-time sync. */
  noSync?: boolean
  /** Replace the secret-stream entirely: act on the raw byte stream. */
  rawOnly?: (raw: Duplex) => void
}

const TYPES = m.MESSAGE_TYPES

/** Connects `behaviour` (playing a peer that holds `source`'s data) to `victim`. */
export function attachBadPeer(
  source: Hypercore,
  victim: Hypercore,
  behaviour: Behaviour,
  victimOptions: ReplicateOptions = {}
): SecretStream {
  const [ours, theirs] = memoryPair()
  const victimStream = victim.replicate(true, { ...victimOptions, stream: theirs, keepAlive: 0 })
  if (behaviour.rawOnly) {
    behaviour.rawOnly(ours)
    return victimStream
  }
  const stream = new SecretStream(false, ours)
  const mux = new Protomux(stream)
  const core = source.core
  let channel: Channel | null = null
  const ctx: BadPeerContext = {
    send: (type, message) => channel!.messages[type]!.send(message as never),
    // uint channelId ‖ uint type ‖ payload, as protomux frames a message (ids and types < 253)
    sendRaw: (type, payload) => {
      const out = new Uint8Array(2 + payload.byteLength)
      out[0] = channel!.localId
      out[1] = type
      out.set(payload, 2)
      stream.write(out)
    },
    honest: async (req) => clone(await core.proofFor(req)),
    raw: ours,
    stream,
    core: source
  }
  void stream.opened.then((ok) => {
    if (!ok) return
    const decoders = [
      m.sync,
      m.request,
      m.cancel,
      m.data,
      m.noData,
      m.want,
      m.unwant,
      m.bitfield,
      m.range,
      m.extension
    ]
    channel = mux.createChannel({
      protocol: 'hypercore/alpha',
      id: core.discoveryKey,
      handshake: m.handshake,
      messages: decoders.map((encoding, type) => ({
        encoding,
        onmessage: (msg: unknown) => {
          if (type === TYPES.request)
            void (behaviour.onrequest ?? answerHonestly)(msg as m.RequestMessage, ctx)
        }
      })),
      onopen: () => {
        if (!behaviour.noSync) {
          ctx.send(TYPES.sync, {
            fork: core.fork,
            length: behaviour.length ?? core.length,
            remoteLength: 0,
            canUpgrade: true,
            uploading: true,
            downloading: true,
            hasManifest: true
          })
          ctx.send(TYPES.range, { drop: false, start: 0, length: behaviour.length ?? core.length })
        }
        void behaviour.onopen?.(ctx)
      }
    })!
    const capability =
      behaviour.capability ?? replicationCapability(stream.isInitiator, core.key, stream.handshakeHash!)
    channel.open({ capability, seeks: true })
  })
  return victimStream
}

export async function answerHonestly(req: m.RequestMessage, ctx: BadPeerContext): Promise<void> {
  const proof = await ctx.honest(req)
  if (proof === null) ctx.send(TYPES.noData, { request: req.id, reason: m.NOT_AVAILABLE })
  else ctx.send(TYPES.data, { request: req.id, ...proof, manifest: req.manifest ? ctx.core.manifest : null })
}

/** A deep copy of a proof, so tampering with it cannot touch the honest core's state. */
function clone(p: Proof | null): Proof | null {
  if (p === null) return null
  const nodes = (
    ns: Proof['upgrade'] extends infer _ ? Array<{ index: number; size: number; hash: Uint8Array }> : never
  ) => ns.map((n) => ({ index: n.index, size: n.size, hash: n.hash.slice() }))
  return {
    fork: p.fork,
    block: p.block && { index: p.block.index, value: p.block.value.slice(), nodes: nodes(p.block.nodes) },
    hash: p.hash && { index: p.hash.index, nodes: nodes(p.hash.nodes) },
    seek: p.seek && { bytes: p.seek.bytes, nodes: nodes(p.seek.nodes) },
    upgrade: p.upgrade && {
      start: p.upgrade.start,
      length: p.upgrade.length,
      nodes: nodes(p.upgrade.nodes),
      additionalNodes: nodes(p.upgrade.additionalNodes),
      signature: p.upgrade.signature ? p.upgrade.signature.slice() : null
    }
  }
}
