import { keyPair, randomBytes, ready } from '@orchard/crypto'
import type { SecretStream } from '@orchard/wire'
import HyperDHT from 'hyperdht'
import Hyperswarm from 'hyperswarm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RelayError, RelayServer } from '../src/index.ts'
import { hex, nextData, openTab, utf8 } from './helpers.ts'

let relay: RelayServer

beforeAll(async () => {
  await ready()
  relay = await RelayServer.start()
})

afterAll(async () => {
  await relay?.close()
})

describe('a tab through the relay and a real hyperswarm peer', () => {
  it('the tab announces a topic; a hyperswarm peer finds it, connects, both keys are right, messages flow both ways', async () => {
    const kp = keyPair()
    const tab = await openTab(relay.url, kp)
    const incoming = new Promise<SecretStream>((resolve) => {
      tab.createServer({}, resolve).listen(kp)
    })
    const topic = randomBytes(32)
    await tab.announce(topic, kp)

    const swarm = nativeSwarm()
    try {
      // biome-ignore lint/suspicious/noExplicitAny: the real hyperswarm is untyped
      const native = new Promise<any>((resolve) => swarm.on('connection', resolve))
      swarm.join(Buffer.from(topic), { server: false, client: true })
      const [conn, tabConn] = await Promise.all([native, incoming])
      expect(hex(conn.remotePublicKey)).toBe(hex(kp.publicKey))
      expect(hex(tabConn.remotePublicKey!)).toBe(hex(swarm.keyPair.publicKey))
      expect(await tabConn.opened).toBe(true)

      const fromNative = nextData(tabConn)
      conn.write(Buffer.from('hello tab'))
      expect(new TextDecoder().decode(await fromNative)).toBe('hello tab')
      const fromTab = new Promise<Buffer>((resolve) => conn.once('data', resolve))
      tabConn.write(utf8('hello native'))
      expect((await fromTab).toString()).toBe('hello native')
      expect(hex(tabConn.handshakeHash!)).toBe(hex(conn.handshakeHash))
    } finally {
      await swarm.destroy()
      await tab.destroy()
    }
  })

  it('a tab looks a topic up and finds the real hyperswarm peer announced there', async () => {
    const tab = await openTab(relay.url)
    const swarm = nativeSwarm()
    try {
      const topic = randomBytes(32)
      await swarm.join(Buffer.from(topic), { server: true, client: false }).flushed()
      const found: string[] = []
      for await (const reply of tab.lookup(topic)) {
        for (const p of reply.peers) found.push(hex(p.publicKey))
      }
      expect(found).toContain(hex(swarm.keyPair.publicKey))
      // a topic nobody announced finds nobody
      let others = 0
      for await (const reply of tab.lookup(randomBytes(32))) others += reply.peers.length
      expect(others).toBe(0)
    } finally {
      await swarm.destroy()
      await tab.destroy()
    }
  })

  it('a tab connects to a real hyperswarm server by its public key only; keys and messages are right both ways', async () => {
    const { kp, tab, swarm, conn, nativeConn } = await tabDialsListeningNative()
    try {
      // opened means connected, as with hyperdht (the first frames went ahead of the connection)
      expect((conn.rawStream as unknown as { connected: boolean }).connected).toBe(true)
      expect(hex(nativeConn.remotePublicKey)).toBe(hex(kp.publicKey))
      expect(hex(conn.remotePublicKey!)).toBe(hex(swarm.keyPair.publicKey))
      expect(conn.isInitiator).toBe(true)
      expect(nativeConn.isInitiator).toBe(false)
      const got = nextData(conn)
      nativeConn.write(Buffer.from('from native'))
      expect(new TextDecoder().decode(await got)).toBe('from native')
      const back = new Promise<Buffer>((resolve) => nativeConn.once('data', resolve))
      conn.write(utf8('from tab'))
      expect((await back).toString()).toBe('from tab')
    } finally {
      await swarm.destroy()
      await tab.destroy()
    }
  })

  it('a burst from the tab larger than the DHT stream takes at once: the relay stops reading the tab until it drains, and every byte arrives in order', async () => {
    const { tab, swarm, conn, nativeConn } = await tabDialsListeningNative()
    try {
      const metric = async () => {
        const text = await (await fetch(`${relay.url.replace('ws', 'http')}/metrics`)).text()
        return Number(/^orchard_relay_backpressure_total (\d+)$/m.exec(text)![1])
      }
      const before = await metric()
      // 6 MiB in 16 KiB messages, each tagged with its index (under the session's 8 MiB burst)
      const count = 384
      const got: number[] = []
      const all = new Promise<void>((resolve) =>
        nativeConn.on('data', (m: Buffer) => {
          expect(m.byteLength).toBe(16 * 1024)
          got.push(m.readUInt32LE(0))
          if (got.length === count) resolve()
        })
      )
      for (let i = 0; i < count; i++) {
        const m = new Uint8Array(16 * 1024).fill(i & 0xff)
        new DataView(m.buffer).setUint32(0, i, true)
        conn.write(m)
      }
      await all
      expect(got).toEqual(Array.from({ length: count }, (_, i) => i))
      expect(await metric()).toBeGreaterThan(before)
    } finally {
      await swarm.destroy()
      await tab.destroy()
    }
  })

  it('connecting to a key nobody listens on fails with a typed error on the connection', async () => {
    const tab = await openTab(relay.url)
    try {
      const conn = tab.connect(keyPair().publicKey)
      const err = await new Promise<Error>((resolve) => conn.on('error', resolve))
      expect(err).toBeInstanceOf(RelayError)
      expect((err as RelayError).code).toBe('CONNECT_FAILED')
      expect(await conn.opened).toBe(false)
    } finally {
      await tab.destroy()
    }
  })
})

/** A tab that dialled a listening real hyperswarm by its key: both ends, once open. */
async function tabDialsListeningNative() {
  const kp = keyPair()
  const tab = await openTab(relay.url, kp)
  const swarm = nativeSwarm()
  // biome-ignore lint/suspicious/noExplicitAny: the real hyperswarm is untyped
  const native = new Promise<any>((resolve) => swarm.on('connection', resolve))
  await swarm.listen()
  const conn = tab.connect(swarm.keyPair.publicKey, { keyPair: kp })
  expect(await conn.opened).toBe(true)
  return { kp, tab, swarm, conn, nativeConn: await native }
}

// biome-ignore lint/suspicious/noExplicitAny: the real hyperswarm is untyped
function nativeSwarm(): any {
  const swarm = new Hyperswarm({ dht: new HyperDHT({ bootstrap: relay.bootstrap, host: '127.0.0.1' }) })
  swarm.on('connection', (conn: { on(e: string, f: () => void): void }) => conn.on('error', () => {}))
  return swarm
}
