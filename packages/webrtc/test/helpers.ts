/** Test helpers: two simple-peer peers in this process (Node's WebRTC, `@roamhq/wrtc`), signalled directly. */
import { utf8 } from '@orchard/codec'
import type { KeyPair } from '@orchard/crypto'
import { type Duplex, memoryPair, Protomux, SecretStream } from '@orchard/wire'
import wrtc from '@roamhq/wrtc'
import { createPeer, fromSimplePeer, type PeerDuplex, type SimplePeerLike } from '../src/index.ts'

export { wrtc }

/** Two connected peers, `a` the initiator, each wrapped as a duplex; resolves once both are connected. */
export async function connectedPeers(): Promise<{ a: PeerDuplex; b: PeerDuplex }> {
  const pa = createPeer({ initiator: true, wrtc })
  const pb = createPeer({ initiator: false, wrtc })
  link(pa, pb)
  const a = fromSimplePeer(pa)
  const b = fromSimplePeer(pb)
  await Promise.all([connected(pa), connected(pb)])
  return { a, b }
}

/** Passes each peer's signals to the other. */
export function link(a: SimplePeerLike, b: SimplePeerLike): void {
  a.on('signal', (s) => b.signal(s))
  b.on('signal', (s) => a.signal(s))
}

function connected(p: SimplePeerLike): Promise<void> {
  return new Promise((resolve, reject) => {
    if (p.connected) return resolve()
    p.once('connect', () => resolve())
    p.once('error', reject)
  })
}

/** Two peers' key pairs and their "relayed" connection: secret-streams over an in-memory pipe, open. */
export async function relayedPair(): Promise<{
  keys: { a: KeyPair; b: KeyPair }
  a: SecretStream
  b: SecretStream
}> {
  const keys = { a: SecretStream.keyPair(), b: SecretStream.keyPair() }
  const [ra, rb] = memoryPair()
  const a = new SecretStream(true, ra, { keyPair: keys.a })
  const b = new SecretStream(false, rb, { keyPair: keys.b })
  await Promise.all([a.opened, b.opened])
  return { keys, a, b }
}

/** Resolves with the next message `stream` receives. */
export function nextMessage(stream: Duplex): Promise<Uint8Array> {
  return new Promise((resolve) => stream.once('data', (m) => resolve(m.slice())))
}

let chats = 0

/**
 * Sends `text` one way over a fresh protomux channel and resolves with what arrived: the connection
 * still carries messages. (A channel, not raw writes: protomux may already run on the stream.)
 */
export async function stillCarries(from: Duplex, to: Duplex, text: string): Promise<string> {
  const protocol = `test/chat/${chats++}`
  const received = new Promise<string>((resolve) => {
    Protomux.from(to)
      .createChannel({ protocol, messages: [{ encoding: utf8, onmessage: (m: string) => resolve(m) }] })!
      .open()
  })
  const sender = Protomux.from(from).createChannel({ protocol, messages: [{ encoding: utf8 }] })!
  sender.open()
  sender.messages[0]!.send(text)
  const got = await received
  sender.close()
  return got
}

/** Resolves once `cond` holds (checked every 5 ms), rejects after `ms`. */
export async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 5))
  }
}
