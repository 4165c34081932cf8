/**
 * `@orchard/swarm` in a "tab" (the isomorphic relay client over `ws`) on a relay node, with native
 * Node peers (the real `hyperswarm` + `hypercore`) and other tabs on one loopback testnet: discovery
 * by topic, `joinPeer` both ways, replication both ways, a tampering relay, a relay restart.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Hypercore } from '@orchard/hypercore'
import { openMemoryStorage } from '@orchard/storage'
import { Swarm } from '@orchard/swarm'
import { WireError } from '@orchard/wire'
import RealHypercore from 'hypercore'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { relayNode } from '../src/client/index.ts'
import type { RelayServer } from '../src/index.ts'
import {
  FAST_BACKOFFS,
  hex,
  live,
  type Native,
  setupNet,
  tamperingSocket,
  until,
  wsTo
} from './helpers-swarm.ts'

let env: Awaited<ReturnType<typeof setupNet>>
let relay: RelayServer
const dir = mkdtempSync(join(tmpdir(), 'orchard-swarm-relay-'))

beforeAll(async () => {
  env = await setupNet()
  relay = await env.relay()
})

afterAll(async () => {
  await env?.teardown()
  rmSync(dir, { recursive: true, force: true })
})

const randomTopic = () => crypto.getRandomValues(new Uint8Array(32))

/** Waits until `a` and `b` hold one live connection each and it is the same one (handshake hash). */
async function shared(a: { connections: Set<Native> }, b: { connections: Set<Native> }) {
  const agreed = () => {
    const ca = live(a)
    const cb = live(b)
    return (
      ca.length === 1 &&
      cb.length === 1 &&
      hex(ca[0].handshakeHash) === hex(cb[0].handshakeHash) &&
      ca[0].handshakeHash
    )
  }
  await until(() => Boolean(agreed()), 30_000, 'one shared connection')
  return [live(a)[0], live(b)[0]] as [Native, Native]
}

/** Resolves with the next message `conn` receives. */
function nextData(conn: Native): Promise<Uint8Array> {
  return new Promise((resolve) => conn.once('data', resolve))
}

describe('a tab swarm through the relay ⟷ the real hyperswarm + hypercore', () => {
  it('find each other by topic; keys are each other’s; cores replicate both ways', async () => {
    const tab = await env.tabOnSession(relay.url)
    const native = env.native()
    const ours = new Hypercore(openMemoryStorage(), { valueEncoding: 'utf-8' })
    await ours.append(['tab 0', 'tab 1'])
    const real = new RealHypercore(join(dir, 'a-real'), { valueEncoding: 'utf-8' })
    await real.append(['native 0', 'native 1', 'native 2'])
    const oursReader = new Hypercore(openMemoryStorage(), new Uint8Array(real.key), {
      valueEncoding: 'utf-8'
    })
    const realReader = new RealHypercore(join(dir, 'a-real-reader'), Buffer.from(ours.key!), {
      valueEncoding: 'utf-8'
    })
    for (const c of [ours, real, oursReader, realReader]) env.defer(() => c.close())
    native.on('connection', (conn: Native) => {
      real.replicate(conn)
      realReader.replicate(conn)
    })
    tab.swarm.on('connection', (conn) => {
      ours.replicate(conn)
      oursReader.replicate(conn)
    })

    const topic = randomTopic()
    await native.join(Buffer.from(topic)).flushed()
    await tab.swarm.join(topic).flushed()
    await tab.swarm.flush()
    const [tc, nc] = await shared(tab.swarm, native)
    expect(hex(nc.remotePublicKey)).toBe(hex(tab.keyPair.publicKey))
    expect(hex(tc.remotePublicKey)).toBe(hex(native.keyPair.publicKey))
    expect(hex(tab.swarm.keyPair.publicKey)).toBe(hex(tab.dht.defaultKeyPair.publicKey))

    expect(await oursReader.get(2, { timeout: 15_000 })).toBe('native 2')
    expect(await realReader.get(1, { timeout: 15_000 })).toBe('tab 1')
    await ours.append('tab 2')
    expect(await realReader.get(2, { timeout: 15_000 })).toBe('tab 2')
    await real.append('native 3')
    expect(await oursReader.get(3, { timeout: 15_000 })).toBe('native 3')
    expect(hex(await oursReader.treeHash(4))).toBe(hex(await real.treeHash(4)))
  })

  it('new Swarm({ relay: relayNode(url) }): the swarm opens its own relay session with its key and finds the native peer by topic', async () => {
    const native = env.native()
    const swarm = new Swarm({ relay: relayNode(() => wsTo(relay.url)), backoffs: FAST_BACKOFFS, jitter: 0 })
    env.defer(() => swarm.destroy())
    swarm.on('connection', (conn) => conn.on('error', () => {}))
    const topic = randomTopic()
    await native.join(Buffer.from(topic)).flushed()
    await swarm.join(topic).flushed()
    await swarm.flush()
    const [tc, nc] = await shared(swarm, native)
    // the relay session acts with the swarm's own key pair, which never left this side
    expect(hex(nc.remotePublicKey)).toBe(hex(swarm.keyPair.publicKey))
    expect(hex(tc.remotePublicKey)).toBe(hex(native.keyPair.publicKey))
    const got = nextData(tc)
    nc.write(Buffer.from('through the relay'))
    expect(new TextDecoder().decode(await got)).toBe('through the relay')
  })

  it('a swarm that joins before its first relay session opens still announces and is found', async () => {
    const swarm = new Swarm({ relay: relayNode(() => wsTo(relay.url)), backoffs: FAST_BACKOFFS, jitter: 0 })
    env.defer(() => swarm.destroy())
    swarm.on('connection', (conn) => conn.on('error', () => {}))
    const topic = randomTopic()
    const joined = swarm.join(topic) // at once: the session is still opening
    await joined.flushed()
    await swarm.flush()
    const native = env.native()
    await native.join(Buffer.from(topic), { server: false, client: true }).flushed()
    const [tc, nc] = await shared(swarm, native)
    expect(hex(nc.remotePublicKey)).toBe(hex(swarm.keyPair.publicKey))
    const got = nextData(tc)
    nc.write(Buffer.from('found'))
    expect(new TextDecoder().decode(await got)).toBe('found')
  })

  it('joinPeer: the tab dials a listening native peer by its public key only', async () => {
    const native = env.native()
    await native.listen()
    const tab = await env.tabOnSession(relay.url)
    tab.swarm.joinPeer(new Uint8Array(native.keyPair.publicKey))
    const [tc, nc] = await shared(tab.swarm, native)
    expect(tc.isInitiator).toBe(true)
    expect(hex(tc.remotePublicKey)).toBe(hex(native.keyPair.publicKey))
    expect(hex(nc.remotePublicKey)).toBe(hex(tab.keyPair.publicKey))
    const got = nextData(tc)
    nc.write(Buffer.from('by key, from native'))
    expect(new TextDecoder().decode(await got)).toBe('by key, from native')
  })

  it('joinPeer, reversed: the native hyperswarm dials the tab (listening through the relay) by key only', async () => {
    const tab = await env.tabOnSession(relay.url)
    await tab.swarm.listen()
    const native = env.native()
    native.joinPeer(Buffer.from(tab.keyPair.publicKey))
    const [tc, nc] = await shared(tab.swarm, native)
    expect(tc.isInitiator).toBe(false)
    expect(nc.isInitiator).toBe(true)
    expect(hex(tc.remotePublicKey)).toBe(hex(native.keyPair.publicKey))
    expect(hex(nc.remotePublicKey)).toBe(hex(tab.keyPair.publicKey))
    const got = new Promise<Buffer>((resolve) => nc.once('data', resolve))
    tc.write(new TextEncoder().encode('by key, from tab'))
    expect((await got).toString()).toBe('by key, from tab')
  })
})

describe('two tabs, each with its own relay session', () => {
  it('on two relays sharing the DHT: find each other by topic and replicate an Orchard core', async () => {
    const relay2 = await env.relay()
    const a = await env.tab(() => wsTo(relay.url))
    const b = await env.tab(() => wsTo(relay2.url))
    const writer = new Hypercore(openMemoryStorage(), { valueEncoding: 'utf-8' })
    await writer.append(['one', 'two', 'three'])
    const reader = new Hypercore(openMemoryStorage(), writer.key!, { valueEncoding: 'utf-8' })
    env.defer(() => writer.close())
    env.defer(() => reader.close())
    a.swarm.on('connection', (conn) => writer.replicate(conn))
    b.swarm.on('connection', (conn) => reader.replicate(conn))

    const topic = randomTopic()
    await a.swarm.join(topic).flushed()
    await b.swarm.join(topic).flushed()
    await b.swarm.flush()
    const [ca, cb] = await shared(a.swarm, b.swarm)
    expect(hex(ca.remotePublicKey)).toBe(hex(b.keyPair.publicKey))
    expect(hex(cb.remotePublicKey)).toBe(hex(a.keyPair.publicKey))
    expect(await reader.get(2, { timeout: 15_000 })).toBe('three')
    await writer.append('four')
    expect(await reader.get(3, { timeout: 15_000 })).toBe('four')
    expect(hex(await reader.treeHash(4))).toBe(hex(await writer.treeHash(4)))
  })
})

describe('a tampering relay', () => {
  it('one flipped byte of a relayed DATA frame: the tab drops that connection with DECRYPTION_FAILED; no block is accepted unverified', async () => {
    const native = env.native()
    const writer = new RealHypercore(join(dir, 'd-writer'))
    const blocks = Array.from({ length: 64 }, (_, i) => Buffer.alloc(2048, i + 1))
    await writer.append(blocks)
    env.defer(() => writer.close())
    native.on('connection', (conn: Native) => writer.replicate(conn))
    const topic = randomTopic()
    await native.join(Buffer.from(topic), { server: true, client: false }).flushed()

    let tamper: ReturnType<typeof tamperingSocket> | null = null
    const tab = await env.tab(() => {
      tamper ??= tamperingSocket(relay.url)
      return tamper.socket
    })
    const reader = new Hypercore(openMemoryStorage(), new Uint8Array(writer.key))
    env.defer(() => reader.close())
    const errors: Error[] = []
    tab.swarm.on('connection', (conn) => {
      conn.on('error', (err: Error) => errors.push(err))
      reader.replicate(conn)
    })
    tab.swarm.join(topic, { server: false, client: true })
    const got = await Promise.all(blocks.map((_, i) => reader.get(i, { timeout: 30_000 })))

    expect(tamper!.tampered()).toBe(true)
    const decrypt = errors.find((e) => e instanceof WireError)
    expect(decrypt).toBeInstanceOf(WireError)
    expect((decrypt as WireError).code).toBe('DECRYPTION_FAILED')
    // the tampered connection died; the swarm dialled again; every block is the writer's
    expect(tab.swarm.stats.connects.client.attempted).toBeGreaterThanOrEqual(2)
    for (let i = 0; i < blocks.length; i++) expect(hex(got[i]!)).toBe(hex(blocks[i]!))
    expect(hex(await reader.treeHash(blocks.length))).toBe(hex(await writer.treeHash(blocks.length)))
  })
})

describe('a relay restart', () => {
  it('mid-replication: the tab reopens its session, rejoins, and replication resumes; no block lost, duplicated or unverified', async () => {
    const r1 = await env.relay()
    const port = r1.address().port
    const url = r1.url
    const native = env.native()
    const writer = new RealHypercore(join(dir, 'e-writer'))
    const block = (i: number) => Buffer.alloc(1024, (i % 250) + 1)
    const N = 300
    await writer.append(Array.from({ length: N }, (_, i) => block(i)))
    env.defer(() => writer.close())
    native.on('connection', (conn: Native) => writer.replicate(conn))
    const topic = randomTopic()
    await native.join(Buffer.from(topic), { server: true, client: false }).flushed()

    const tab = await env.tab(() => wsTo(url), { backoffs: [300, 600, 1200, 2400] })
    const reader = new Hypercore(openMemoryStorage(), new Uint8Array(writer.key))
    env.defer(() => reader.close())
    tab.swarm.on('connection', (conn) => reader.replicate(conn))
    tab.swarm.join(topic, { server: false, client: true })

    const M = N + 100
    const got: (Uint8Array | null)[] = new Array(M).fill(null)
    const reading = (async () => {
      for (let i = 0; i < M; i++) got[i] = await reader.get(i, { timeout: 60_000 })
    })()
    await until(() => got[Math.floor(N / 3)] !== null, 30_000, 'a third of the blocks')
    const before = got.filter(Boolean).length
    expect(before).toBeLessThan(M)

    await r1.close()
    await until(() => live(tab.swarm).length === 0, 10_000, 'the connection to drop')
    await env.relay(port) // same port, same testnet
    await writer.append(Array.from({ length: M - N }, (_, i) => block(N + i)))
    await reading

    expect(tab.dht.sessions).toBeGreaterThanOrEqual(2)
    expect(reader.length).toBe(M)
    for (let i = 0; i < M; i++) expect(hex(got[i]!)).toBe(hex(block(i)))
    expect(hex(await reader.treeHash(M))).toBe(hex(await writer.treeHash(M)))
  })
})
