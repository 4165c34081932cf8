/**
 * An Orchard swarm and the real `hyperswarm` 4 on one loopback testnet: discovery by topic both
 * ways, `joinPeer` both ways, and the same surviving connection on both ends when both dial at
 * once (hyperswarm's dedup rule, implemented by both). Cores replicate both ways over the
 * connection: Orchard's hypercore on one end, the real hypercore on the other.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Hypercore } from '@orchard/hypercore'
import { openMemoryStorage } from '@orchard/storage'
import RealHypercore from 'hypercore'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FAST_BACKOFFS, hex, oneSharedConnection, randomTopic, setup, until } from './helpers.ts'

let env: Awaited<ReturnType<typeof setup>>
const dir = mkdtempSync(join(tmpdir(), 'orchard-swarm-'))
beforeAll(async () => {
  env = await setup()
})
afterAll(async () => {
  await env?.teardown()
  rmSync(dir, { recursive: true, force: true })
})

// biome-ignore lint/suspicious/noExplicitAny: untyped oracle streams
type Conn = any

/** Resolves with the first message `conn` receives. */
function nextData(conn: Conn): Promise<Uint8Array> {
  return new Promise((resolve) => conn.once('data', resolve))
}

describe('Orchard swarm ⟷ real hyperswarm', () => {
  it('find each other by topic and replicate cores both ways', async () => {
    // ours writes one core, the real hypercore writes another; each side reads the other's
    const oursWriter = new Hypercore(openMemoryStorage(), { valueEncoding: 'utf-8' })
    await oursWriter.append(['orchard 0', 'orchard 1'])
    const realWriter = new RealHypercore(join(dir, 'real-writer'), { valueEncoding: 'utf-8' })
    await realWriter.append(['holepunch 0', 'holepunch 1', 'holepunch 2'])
    const oursReader = new Hypercore(openMemoryStorage(), new Uint8Array(realWriter.key), {
      valueEncoding: 'utf-8'
    })
    const realReader = new RealHypercore(join(dir, 'real-reader'), Buffer.from(oursWriter.key!), {
      valueEncoding: 'utf-8'
    })
    for (const core of [oursWriter, oursReader, realWriter, realReader]) env.defer(() => core.close())

    const real = env.real()
    const ours = env.ours()
    const realConns: Conn[] = []
    real.on('connection', (conn: Conn) => {
      realConns.push(conn)
      realWriter.replicate(conn)
      realReader.replicate(conn)
    })
    ours.on('connection', (conn) => {
      oursWriter.replicate(conn)
      oursReader.replicate(conn)
    })

    const topic = randomTopic()
    await real.join(Buffer.from(topic)).flushed()
    await ours.join(topic).flushed()
    await ours.flush()

    const [oc, rc] = (await oneSharedConnection(ours, real)) as Conn[]
    expect(hex(oc.remotePublicKey)).toBe(hex(real.keyPair.publicKey))
    expect(hex(rc.remotePublicKey)).toBe(hex(ours.keyPair.publicKey))
    expect(oc.isInitiator).toBe(true) // we found them by lookup and dialled
    expect(realConns.length).toBe(1)

    expect(await oursReader.get(2, { timeout: 10_000 })).toBe('holepunch 2')
    expect(await realReader.get(1, { timeout: 10_000 })).toBe('orchard 1')
    await oursWriter.append('orchard 2')
    expect(await realReader.get(2, { timeout: 10_000 })).toBe('orchard 2')
    await realWriter.append('holepunch 3')
    expect(await oursReader.get(3, { timeout: 10_000 })).toBe('holepunch 3')
  })

  it('the real hyperswarm finds us by topic (we announce, it dials)', async () => {
    const ours = env.ours()
    const real = env.real()
    const topic = randomTopic()
    await ours.join(topic, { server: true, client: false }).flushed()
    await real.join(Buffer.from(topic), { server: false, client: true }).flushed()
    await real.flush()
    const [oc, rc] = (await oneSharedConnection(ours, real)) as Conn[]
    expect(oc.isInitiator).toBe(false)
    expect(hex(oc.remotePublicKey)).toBe(hex(real.keyPair.publicKey))
    expect(hex(rc.remotePublicKey)).toBe(hex(ours.keyPair.publicKey))
    const got = nextData(rc)
    oc.write(new TextEncoder().encode('hi from orchard'))
    expect(new TextDecoder().decode(await got)).toBe('hi from orchard')
  })

  it('joinPeer: ours dials a listening real hyperswarm by key only', async () => {
    const real = env.real()
    await real.listen()
    const ours = env.ours()
    ours.joinPeer(real.keyPair.publicKey)
    const [oc, rc] = (await oneSharedConnection(ours, real)) as Conn[]
    expect(hex(oc.remotePublicKey)).toBe(hex(real.keyPair.publicKey))
    expect(hex(rc.remotePublicKey)).toBe(hex(ours.keyPair.publicKey))
    expect(ours.peers.get(hex(real.keyPair.publicKey))?.explicit).toBe(true)
    const got = nextData(oc)
    rc.write(Buffer.from('hi from holepunch'))
    expect(new TextDecoder().decode(await got)).toBe('hi from holepunch')
  })

  it('joinPeer: the real hyperswarm dials us by key only', async () => {
    const ours = env.ours()
    await ours.listen()
    const real = env.real()
    real.joinPeer(Buffer.from(ours.keyPair.publicKey))
    const [oc, rc] = (await oneSharedConnection(ours, real)) as Conn[]
    expect(oc.isInitiator).toBe(false)
    expect(hex(oc.remotePublicKey)).toBe(hex(real.keyPair.publicKey))
    expect(hex(rc.remotePublicKey)).toBe(hex(ours.keyPair.publicKey))
  })

  it('dedup: both dial each other at once (joinPeer) — one connection, the same on both ends', async () => {
    const ours = env.ours({ backoffs: FAST_BACKOFFS, jitter: 0 })
    const real = env.real({ backoffs: FAST_BACKOFFS, jitter: 0 })
    await Promise.all([ours.listen(), real.listen()])
    // same tick: each side has its own dial pending when the other's arrives
    ours.joinPeer(real.keyPair.publicKey)
    real.joinPeer(Buffer.from(ours.keyPair.publicKey))
    await oneSharedConnection(ours, real)
    expect(ours.stats.connects.client.attempted).toBeGreaterThanOrEqual(1)
    expect(real.stats.connects.client.attempted).toBeGreaterThanOrEqual(1)
    // the survivor was dialled by the greater key, as hyperswarm decides
    const oursIsGreater = Buffer.compare(Buffer.from(ours.keyPair.publicKey), real.keyPair.publicKey) > 0
    const [oc] = [...ours.connections] as Conn[]
    expect(oc.isInitiator).toBe(oursIsGreater)
    // both dialled, one dial survived: the other was closed as a duplicate
    expect(ours.stats.connects.client.closed + real.stats.connects.client.closed).toBeGreaterThanOrEqual(1)
  })

  it('dedup: both join a topic as client+server and look up at once — one connection on both ends', async () => {
    const ours = env.ours({ backoffs: FAST_BACKOFFS, jitter: 0 })
    const real = env.real({ backoffs: FAST_BACKOFFS, jitter: 0 })
    const topic = randomTopic()
    const o = ours.join(topic, { server: true, client: false })
    const r = real.join(Buffer.from(topic), { server: true, client: false })
    await Promise.all([o.flushed(), r.flushed()])
    // both announced; now both look up at once and find each other
    await Promise.all([o.refresh({ server: true, client: true }), r.refresh({ server: true, client: true })])
    await until(() => ours.connections.size + real.connections.size > 0, 20_000, 'a connection')
    await oneSharedConnection(ours, real)
  })
})
