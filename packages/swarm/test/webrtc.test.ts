/**
 * The swarm's `webrtc` option in Node (`@roamhq/wrtc`, which connects on loopback): two "tabs" —
 * swarms opened through an Orchard relay (the isomorphic relay client over `ws`) on a loopback
 * testnet — find each other by topic, upgrade their relayed connection to a direct data channel
 * and replicate a core over it; the relay stops and replication carries on; the direct path dies
 * and the swarm dials again through the relay; with ICE made to fail (TURN only, no TURN server),
 * or a peer without WebRTC, they stay relayed and replicate.
 *
 * The relay and its helpers are imported from their sources, `@roamhq/wrtc` through
 * `@orchard/webrtc`'s test helpers (neither is a dependency of this package).
 */
import { Hypercore } from '@orchard/hypercore'
import { openMemoryStorage } from '@orchard/storage'
import type { PeerDuplex, WebRtcError } from '@orchard/webrtc'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RelaySwarmDHT, relayNode } from '../../relay/src/client/index.ts'
import type { RelayServer } from '../../relay/src/index.ts'
import { setupNet, wsTo } from '../../relay/test/helpers-swarm.ts'
import { wrtc } from '../../webrtc/test/helpers.ts'
import {
  type ConnectionType,
  type PeerInfo,
  Swarm,
  type SwarmConnection,
  type SwarmOptions,
  type SwarmWebRtcOptions
} from '../src/index.ts'
import { FAST_BACKOFFS, hex, live, randomTopic, until } from './helpers.ts'

let env: Awaited<ReturnType<typeof setupNet>>
beforeAll(async () => {
  env = await setupNet()
})
afterAll(() => env?.teardown())

/**
 * A tab: a swarm through the relay at `url`, recording every connection it hands out. Its relay
 * session is open before it joins anything: a listen started while `RelaySwarmDHT` opens its first
 * session fails ("the session already has a server"), and the topic is then never announced.
 */
async function tab(url: string, webrtc: SwarmOptions['webrtc']) {
  const swarm = new Swarm({
    relay: relayNode(() => wsTo(url), { reconnectDelays: [200, 500] }),
    webrtc,
    backoffs: FAST_BACKOFFS,
    jitter: 0
  })
  env.defer(() => swarm.destroy())
  const seen: { conn: SwarmConnection; type: ConnectionType | null }[] = []
  const upgrades: SwarmConnection[] = []
  const failures: WebRtcError[] = []
  swarm.on('connection', (conn, peer) => {
    conn.on('error', () => {})
    seen.push({ conn, type: peer.connectionType })
  })
  swarm.on('upgrade', (direct) => upgrades.push(direct))
  swarm.on('upgrade-error', (err) => failures.push(err as WebRtcError))
  await (swarm.dht as RelaySwarmDHT).ready()
  return { swarm, seen, upgrades, failures }
}

/** A writer core in `a`, its reader in `b`, replicated on every connection each swarm hands out. */
async function cores(a: Swarm, b: Swarm, blocks: string[]) {
  const writer = new Hypercore(openMemoryStorage(), { valueEncoding: 'utf-8' })
  await writer.append(blocks)
  const reader = new Hypercore(openMemoryStorage(), writer.key!, { valueEncoding: 'utf-8' })
  env.defer(() => writer.close())
  env.defer(() => reader.close())
  a.on('connection', (conn) => writer.replicate(conn))
  b.on('connection', (conn) => reader.replicate(conn))
  return { writer, reader }
}

/** `a` announces the topic first, then `b` joins and finds it (as hyperswarm peers do). */
async function meet(a: Swarm, b: Swarm): Promise<void> {
  const topic = randomTopic()
  await a.join(topic).flushed()
  await b.join(topic).flushed()
  await b.flush()
}

/** `@roamhq/wrtc`, calling `onopen` when a data channel of it opens. */
function channelOpenWatcher(onopen: () => void): typeof wrtc {
  const Base = wrtc.RTCPeerConnection as unknown as new (
    ...args: unknown[]
  ) => {
    createDataChannel(...args: unknown[]): { addEventListener(type: 'open', fn: () => void): void }
  }
  class Watched extends Base {
    override createDataChannel(...args: unknown[]) {
      const channel = super.createDataChannel(...args)
      channel.addEventListener('open', onopen)
      return channel
    }
  }
  return { ...wrtc, RTCPeerConnection: Watched } as typeof wrtc
}

/**
 * Holds the raw bytes arriving on `conn` while `holding()`, and delivers them, then the end, in one
 * synchronous go when the remote ends.
 */
function holdUntilEnd(conn: SwarmConnection, holding: () => boolean): void {
  const raw = (conn as unknown as { rawStream: { emit(event: string, ...args: unknown[]): boolean } })
    .rawStream
  const emit = raw.emit.bind(raw)
  const held: unknown[][] = []
  raw.emit = (event, ...args) => {
    if (event === 'data' && holding()) {
      held.push(args)
      return true
    }
    if (event === 'end') for (const h of held.splice(0)) emit('data', ...h)
    return emit(event, ...args)
  }
}

function peerOf(swarm: Swarm, other: Swarm): PeerInfo {
  return swarm.peers.get(hex(other.keyPair.publicKey))!
}

describe('two tabs through a relay, with webrtc', () => {
  it('upgrade to a direct data channel, replicate over it, and keep replicating once the relay is stopped', async () => {
    const relay: RelayServer = await env.relay()
    const wrtcOnly: SwarmWebRtcOptions = { wrtc }
    const a = await tab(relay.url, wrtcOnly)
    const b = await tab(relay.url, wrtcOnly)
    const { writer, reader } = await cores(a.swarm, b.swarm, ['one', 'two', 'three'])
    await meet(a.swarm, b.swarm)

    await until(() => a.upgrades.length === 1 && b.upgrades.length === 1, 30_000, 'both upgrades')
    const [da, db] = [a.upgrades[0]!, b.upgrades[0]!]
    // each side first got the relayed connection, then the direct one (one 'connection' each)
    expect(a.seen.map((s) => s.type)).toEqual(['relay', 'webrtc'])
    expect(b.seen.map((s) => s.type)).toEqual(['relay', 'webrtc'])
    expect(a.seen[1]!.conn).toBe(da)
    expect(a.swarm.connectionType(da)).toBe('webrtc')
    expect(a.swarm.connectionType(a.seen[0]!.conn)).toBe('relay')
    // the same new secret-stream on both ends, between the same keys, over a data channel
    expect(hex(da.handshakeHash)).toBe(hex(db.handshakeHash))
    expect(hex(da.remotePublicKey)).toBe(hex(b.swarm.keyPair.publicKey))
    expect(hex(db.remotePublicKey)).toBe(hex(a.swarm.keyPair.publicKey))
    expect((da as unknown as { rawStream: PeerDuplex }).rawStream.peer.connected).toBe(true)
    // the relayed connections retire: the direct one is the only connection left on each side
    await until(() => a.seen[0]!.conn.destroyed && b.seen[0]!.conn.destroyed, 15_000, 'relayed closed')
    expect(live(a.swarm)).toEqual([da])
    expect(live(b.swarm)).toEqual([db])
    expect([...a.swarm.connections]).toEqual([da])
    // a connection retired by its upgrade is no drop: neither side counts a failed attempt or redials
    for (const [s, other] of [
      [a.swarm, b.swarm],
      [b.swarm, a.swarm]
    ] as const) {
      const peer = peerOf(s, other)
      expect(peer.attempts).toBe(0)
      expect(peer.waiting).toBe(false)
      expect(peer.connectionType).toBe('webrtc')
    }

    expect(await reader.get(2, { timeout: 15_000 })).toBe('three')
    await writer.append('four')
    expect(await reader.get(3, { timeout: 15_000 })).toBe('four')

    // the relay goes away: the direct path carries on on its own
    await relay.close()
    await writer.append(['five', 'six'])
    expect(await reader.get(5, { timeout: 15_000 })).toBe('six')
    expect(hex(await reader.treeHash(6))).toBe(hex(await writer.treeHash(6)))
    expect(live(a.swarm)).toEqual([da])
    expect(live(b.swarm)).toEqual([db])
    expect(a.failures).toEqual([])
    expect(b.failures).toEqual([])
  })

  it('when the direct path dies, the swarm dials again through the relay and replication carries on', async () => {
    const relay = await env.relay()
    const a = await tab(relay.url, { wrtc })
    const b = await tab(relay.url, { wrtc })
    const { writer, reader } = await cores(a.swarm, b.swarm, ['one'])
    await meet(a.swarm, b.swarm)
    await until(() => a.upgrades.length === 1 && b.upgrades.length === 1, 30_000, 'both upgrades')
    expect(await reader.get(0, { timeout: 15_000 })).toBe('one')

    // ICE dies under a's data channel (as when its network goes away)
    const direct = a.upgrades[0]!
    const dead = new Promise((resolve) => direct.once('close', resolve))
    ;(direct as unknown as { rawStream: PeerDuplex }).rawStream.peer.destroy(
      Object.assign(new Error('Ice connection failed.'), { code: 'ERR_ICE_CONNECTION_FAILURE' })
    )
    await dead
    // a new relayed connection on both sides (dialled by whichever side dialled before)…
    const relayedAgain = (t: Awaited<ReturnType<typeof tab>>) =>
      t.seen.filter((s) => s.type === 'relay').length >= 2
    await until(() => relayedAgain(a) && relayedAgain(b), 30_000, 'a new relayed connection')
    await writer.append('after the direct path died')
    expect(await reader.get(1, { timeout: 15_000 })).toBe('after the direct path died')
    // …which both sides upgrade again: the relay is the fallback, not the new normal
    await until(() => a.upgrades.length === 2 && b.upgrades.length === 2, 30_000, 'the second upgrades')
    await writer.append('direct again')
    expect(await reader.get(2, { timeout: 15_000 })).toBe('direct again')
    expect(live(a.swarm)).toEqual([a.upgrades[1]])
  })

  it('with ICE made to fail (TURN only, no TURN server) both stay relayed, and replicate', async () => {
    const relay = await env.relay()
    const noPath: SwarmWebRtcOptions = { wrtc, iceTransportPolicy: 'relay', timeout: 1500 }
    const a = await tab(relay.url, noPath)
    const b = await tab(relay.url, noPath)
    const { writer, reader } = await cores(a.swarm, b.swarm, ['one', 'two'])
    await meet(a.swarm, b.swarm)
    await until(() => a.failures.length === 1 && b.failures.length === 1, 30_000, 'both upgrades to fail')
    // one side times out; the other sees it give up (or times out as well)
    for (const err of [...a.failures, ...b.failures]) {
      expect(err.name).toBe('WebRtcError')
      expect(['TIMEOUT', 'REFUSED']).toContain(err.code)
    }
    expect(a.failures.map((e) => e.code).concat(b.failures.map((e) => e.code))).toContain('TIMEOUT')
    expect(a.upgrades).toEqual([])
    expect(b.upgrades).toEqual([])
    expect(a.seen.map((s) => s.type)).toEqual(['relay'])
    expect(b.seen.map((s) => s.type)).toEqual(['relay'])
    const [ca, cb] = [live(a.swarm), live(b.swarm)]
    expect(ca).toHaveLength(1)
    expect(cb).toHaveLength(1)
    expect(hex(ca[0].handshakeHash)).toBe(hex(cb[0].handshakeHash))
    expect(a.swarm.connectionType(ca[0])).toBe('relay')
    expect(peerOf(a.swarm, b.swarm).connectionType).toBe('relay')

    expect(await reader.get(1, { timeout: 15_000 })).toBe('two')
    await writer.append('over the relay')
    expect(await reader.get(2, { timeout: 15_000 })).toBe('over the relay')
  })

  it('the remote retiring the relayed connection in the same turn as its last signal: the upgrade still takes over, no drop counted', async () => {
    const relay = await env.relay()
    // b holds what arrives on its relayed connection from the moment its data channel opens, and
    // lets it through, synchronously, once the relayed connection ends: a's last signal (`done`)
    // and a's end of the retired connection then arrive in one turn, before b's upgrade resolves
    let holding = false
    const a = await tab(relay.url, { wrtc })
    const b = await tab(relay.url, { wrtc: channelOpenWatcher(() => (holding = true)) })
    b.swarm.on('connection', (conn) => {
      if (b.seen.length === 1) holdUntilEnd(conn, () => holding)
    })
    const { writer, reader } = await cores(a.swarm, b.swarm, ['one'])
    await meet(a.swarm, b.swarm)
    await until(() => a.upgrades.length === 1 && b.upgrades.length === 1, 30_000, 'both upgrades')
    await until(() => a.seen[0]!.conn.destroyed && b.seen[0]!.conn.destroyed, 15_000, 'relayed closed')
    expect(b.seen.map((s) => s.type)).toEqual(['relay', 'webrtc'])
    expect(live(b.swarm)).toEqual([b.upgrades[0]])
    const peer = peerOf(b.swarm, a.swarm)
    expect([peer.attempts, peer.waiting]).toEqual([0, false])
    await writer.append('two')
    expect(await reader.get(1, { timeout: 15_000 })).toBe('two')
    expect(b.failures).toEqual([])
  })

  it('a peer without webrtc refuses the upgrade: the connection stays relayed and replicates', async () => {
    const relay = await env.relay()
    const a = await tab(relay.url, { wrtc })
    const b = await tab(relay.url, false)
    const { writer, reader } = await cores(a.swarm, b.swarm, ['one'])
    await meet(a.swarm, b.swarm)
    await until(() => a.failures.length === 1, 30_000, 'the upgrade to be refused')
    expect(a.failures[0]!.code).toBe('REFUSED')
    expect(a.upgrades).toEqual([])
    expect(b.seen.map((s) => s.type)).toEqual(['relay'])
    expect(await reader.get(0, { timeout: 15_000 })).toBe('one')
    await writer.append('two')
    expect(await reader.get(1, { timeout: 15_000 })).toBe('two')
    expect(live(a.swarm)).toHaveLength(1)
  })
})
