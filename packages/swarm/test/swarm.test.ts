/**
 * Two Orchard swarms on the real hyperdht (a loopback testnet): topic discovery, one connection
 * per pair of keys, hypercore replication over it; the firewall, bans, leaving, reconnecting and
 * destroying.
 */
import { Hypercore } from '@orchard/hypercore'
import { openMemoryStorage } from '@orchard/storage'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compare } from '../src/bytes.ts'
import { createNodeDHT } from '../src/dht-node.ts'
import { type PeerInfo, Swarm, type SwarmConnection } from '../src/index.ts'
import { FAST_BACKOFFS, hex, live, oneSharedConnection, randomTopic, setup, sleep, until } from './helpers.ts'

let env: Awaited<ReturnType<typeof setup>>
beforeAll(async () => {
  env = await setup()
})
afterAll(() => env?.teardown())

describe('two Orchard peers on the Node DHT', () => {
  it('find each other by topic, keep one connection, and replicate a core', async () => {
    const writer = new Hypercore(openMemoryStorage(), { valueEncoding: 'utf-8' })
    await writer.append(['hello', 'world', 'from orchard'])
    const reader = new Hypercore(openMemoryStorage(), writer.key!, { valueEncoding: 'utf-8' })
    env.defer(() => writer.close())
    env.defer(() => reader.close())

    const a = env.ours()
    const b = env.ours()
    a.on('connection', (conn) => writer.replicate(conn))
    b.on('connection', (conn) => reader.replicate(conn))
    const topic = randomTopic()
    // a announces first; b's lookup then finds it (two first announces racing see nothing)
    await a.join(topic).flushed()
    await b.join(topic).flushed()
    await b.flush()

    const [ca, cb] = (await oneSharedConnection(a, b)) as { remotePublicKey: Uint8Array }[]
    expect(hex(ca!.remotePublicKey)).toBe(hex(b.keyPair.publicKey))
    expect(hex(cb!.remotePublicKey)).toBe(hex(a.keyPair.publicKey))
    // b dialled a, found under the topic
    expect(b.peers.get(hex(a.keyPair.publicKey))?.topics.map(hex)).toContain(hex(topic))

    expect(await reader.get(2, { timeout: 10_000 })).toBe('from orchard')
    await writer.append('more')
    expect(await reader.get(3, { timeout: 10_000 })).toBe('more')
  })
})

describe('dedup between two Orchard peers', () => {
  it('both dial each other at once: one connection, the same on both ends, dialled by the greater key', async () => {
    const a = env.ours({ backoffs: FAST_BACKOFFS, jitter: 0 })
    const b = env.ours({ backoffs: FAST_BACKOFFS, jitter: 0 })
    await Promise.all([a.listen(), b.listen()])
    a.joinPeer(b.keyPair.publicKey)
    b.joinPeer(a.keyPair.publicKey)
    const [ca] = (await oneSharedConnection(a, b)) as SwarmConnection[]
    expect(a.stats.connects.client.attempted).toBeGreaterThanOrEqual(1)
    expect(b.stats.connects.client.attempted).toBeGreaterThanOrEqual(1)
    expect(ca!.isInitiator).toBe(compare(a.keyPair.publicKey, b.keyPair.publicKey) > 0)
    // both dialled, one dial survived: the other was closed as a duplicate
    expect(a.stats.connects.client.closed + b.stats.connects.client.closed).toBeGreaterThanOrEqual(1)
  })
})

describe('refusing, banning, leaving, destroying, reconnecting', () => {
  it('the firewall refuses a peer (and bans it); nothing connects', async () => {
    const b = env.ours()
    const a = env.ours({ firewall: (key) => hex(key) === hex(b.keyPair.publicKey) })
    const banned = new Promise<PeerInfo>((resolve) => a.on('ban', (info) => resolve(info)))
    await a.listen()
    b.joinPeer(a.keyPair.publicKey)
    const info = await banned
    expect(hex(info.publicKey)).toBe(hex(b.keyPair.publicKey))
    expect(info.banned).toBe(true)
    await until(() => b.stats.connects.client.closed >= 1, 20_000, 'the refused dial to close')
    expect(a.connections.size).toBe(0)
    expect(b.connections.size).toBe(0)
    expect(b.stats.connects.client.opened).toBe(0)
  })

  it('ban() drops the connection and the peer cannot come back', async () => {
    const a = env.ours()
    const b = env.ours({ backoffs: FAST_BACKOFFS, jitter: 0 })
    await a.listen()
    b.joinPeer(a.keyPair.publicKey)
    await oneSharedConnection(a, b)
    const info = a.peers.get(hex(b.keyPair.publicKey))!
    info.ban()
    await until(() => live(a).length === 0 && live(b).length === 0, 20_000, 'the banned connection to close')
    // b keeps redialling (an explicit peer) and a keeps refusing
    await until(() => b.stats.connects.client.attempted >= 3, 20_000, 'b to redial')
    expect(a.connections.size).toBe(0)
    expect(a.stats.connects.server.opened).toBe(1)
  })

  it('leave(topic) stops new connections from that topic', async () => {
    const a = env.ours()
    const b = env.ours({ backoffs: FAST_BACKOFFS, jitter: 0 })
    const topic = randomTopic()
    await a.join(topic, { server: true, client: false }).flushed()
    await b.join(topic, { server: false, client: true }).flushed()
    await b.flush()
    await oneSharedConnection(a, b)
    await b.leave(topic)
    expect(b.status(topic)).toBe(null)
    // the remote drops the connection: b, no longer in the topic, does not redial
    for (const conn of a.connections) conn.destroy()
    await until(() => live(b).length === 0, 20_000, 'the connection to close')
    await sleep(1500) // several fast backoffs
    expect(b.stats.connects.client.attempted).toBe(1)
    expect(b.connections.size).toBe(0)
    expect(b.peers.size).toBe(0)
  })

  it('reconnects with backoff to a joinPeer peer after the remote drops the connection', async () => {
    const a = env.ours()
    const b = env.ours({ backoffs: FAST_BACKOFFS, jitter: 0 })
    await a.listen()
    let connections = 0
    b.on('connection', () => connections++)
    b.joinPeer(a.keyPair.publicKey)
    await oneSharedConnection(a, b)
    const info = b.peers.get(hex(a.keyPair.publicKey))!
    for (const conn of a.connections) conn.destroy()
    await until(() => info.attempts === 1, 20_000, 'the drop to count as an attempt')
    await until(() => connections === 2, 20_000, 'b to reconnect')
    await oneSharedConnection(a, b)
    expect(b.stats.connects.client.attempted).toBe(2)
    expect(info.proven).toBe(true)
  })

  it('destroy() closes every connection, the server and the DHT', async () => {
    const a = env.oursNode()
    const b = env.ours()
    const topic = randomTopic()
    await a.join(topic).flushed()
    await b.join(topic).flushed()
    await b.flush()
    const [ca, cb] = (await oneSharedConnection(a, b)) as SwarmConnection[]
    const closed = new Promise((resolve) => cb!.once('close', resolve))
    await a.destroy()
    await closed
    expect(ca!.destroyed).toBe(true)
    expect(a.destroyed).toBe(true)
    expect(() => a.join(topic)).toThrow(/destroyed/)
    await until(() => live(b).length === 0, 20_000, 'b to see the close')
  })
})

describe('constructing a swarm', () => {
  it('needs a dht or a relay, and says which', () => {
    expect(() => new Swarm({})).toThrow(/needs a dht .* or a relay/)
  })

  it('opens its DHT through a relay connector with its own key pair', () => {
    const dht = createNodeDHT({ bootstrap: env.testnet.bootstrap, host: '127.0.0.1' })
    const keyPair = dht.keyPair()
    const asked: unknown[] = []
    const attached: unknown[] = []
    const swarm = new Swarm({
      keyPair,
      relay: (opts) => {
        asked.push(opts.keyPair)
        return { dht, keyPair: opts.keyPair!, attach: (s) => attached.push(s) }
      }
    })
    expect(asked).toEqual([keyPair])
    expect(attached).toEqual([swarm])
    expect(swarm.dht).toBe(dht)
    expect(swarm.keyPair).toBe(keyPair)
    return swarm.destroy()
  })
})
