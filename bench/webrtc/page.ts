/**
 * The page of `pnpm bench webrtc` (bundled by esbuild, served inside the network namespace): the
 * swarm test's page (`openPeer`, `join`, `state`, … on `window`) plus two measurements between two
 * tabs, each taken on the receiving tab, from the first byte to the last:
 *
 * - `rawReceive` / `rawSend`: a bare simple-peer data channel between two swarms (no `webrtc`
 *   option: the tabs signal it themselves over their relayed connection, as `upgrade` does), the
 *   bytes written as `count` messages of `size` bytes with the transport's backpressure;
 * - `replicate`: the reader of a writer's core downloads all its blocks over the upgraded direct
 *   connection (secret-stream, protomux, hypercore's requests, proofs and verification).
 */
import { ready } from '@orchard/crypto'
import type { Duplex } from '@orchard/wire'
import type { RelaySwarmDHT } from '../../packages/relay/src/client/index.ts'
import { relayNode } from '../../packages/relay/src/client/index.ts'
import { Swarm } from '../../packages/swarm/src/index.ts'
import { sessions } from '../../packages/swarm/test/netns/page.ts'
import {
  createPeer,
  fromSimplePeer,
  type PeerDuplex,
  SignalChannel
} from '../../packages/webrtc/src/index.ts'

const unhex = (s: string) => Uint8Array.from(s.match(/../g)!, (h) => Number.parseInt(h, 16))

/** Raw channels by session name, once connected. */
const raw = new Map<string, { swarm: Swarm; channel: Promise<PeerDuplex> }>()

/**
 * Opens raw session `name`: a swarm through the relay that, on its connection, signals a bare data
 * channel over it; joins `topic` (hex) as its server or its client. The channel is ready once both
 * tabs did so.
 */
async function openRaw(name: string, relayUrl: string, topic: string, server: boolean) {
  await ready()
  const swarm = new Swarm({ relay: relayNode(relayUrl) })
  await (swarm.dht as RelaySwarmDHT).ready()
  let resolve!: (d: PeerDuplex) => void
  const channel = new Promise<PeerDuplex>((r) => {
    resolve = r
  })
  swarm.on('connection', (conn) => {
    conn.on('error', () => {})
    // the relayed connection is an Orchard secret-stream
    const signals = new SignalChannel(conn as unknown as Duplex)
    signals.on('open', () => {
      const peer = createPeer({ initiator: conn.isInitiator })
      peer.on('signal', (s) => signals.send(s))
      signals.on('signal', (s) => peer.signal(s))
      const duplex = fromSimplePeer(peer)
      peer.once('connect', () => resolve(duplex))
    })
  })
  raw.set(name, { swarm, channel })
  // one side announces, the other looks up: one connection, no duplicate to resolve
  await swarm.join(unhex(topic), { server, client: !server }).flushed()
}

/** Waits for the raw channel of `name` to connect. */
async function rawReady(name: string) {
  await raw.get(name)!.channel
  return true
}

/** Receives `total` bytes on the raw channel; resolves with the ms from the first byte to the last. */
async function rawReceive(name: string, total: number) {
  const duplex = await raw.get(name)!.channel
  return new Promise<number>((resolve) => {
    let got = 0
    let start = 0
    duplex.on('data', (chunk) => {
      if (got === 0) start = performance.now()
      got += chunk.byteLength
      if (got >= total) resolve(performance.now() - start)
    })
  })
}

/** Sends `count` messages of `size` bytes on the raw channel, waiting for `drain` when asked to. */
async function rawSend(name: string, count: number, size: number) {
  const duplex = await raw.get(name)!.channel
  const message = new Uint8Array(size).fill(7)
  for (let i = 0; i < count; i++) {
    if (!duplex.write(message.slice())) await new Promise<void>((r) => duplex.once('drain', () => r()))
  }
  return true
}

async function closeRaw(name: string) {
  const r = raw.get(name)
  raw.delete(name)
  if (!r) return
  ;(await r.channel.catch(() => null))?.destroy()
  await r.swarm.destroy()
}

/**
 * On the reader: waits for the direct connection and the writer's length `count`, then downloads
 * every block; resolves with the ms it took.
 */
async function replicate(name: string, count: number) {
  const s = sessions.get(name)!
  const end = Date.now() + 30_000
  while (s.upgrades === 0 || s.core.length < count) {
    if (Date.now() > end) {
      throw new Error(
        `no upgraded connection: ${JSON.stringify({ seen: s.seen.map((x) => x.type), failures: s.failures, length: s.core.length })}`
      )
    }
    await new Promise((r) => setTimeout(r, 20))
  }
  const start = performance.now()
  await s.core.download({ start: 0, end: count }).done()
  return performance.now() - start
}

Object.assign(globalThis, { openRaw, rawReady, rawReceive, rawSend, closeRaw, replicate })
