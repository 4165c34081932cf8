import { keyPair, randomBytes, ready } from '@orchard/crypto'
import type { SecretStream } from '@orchard/wire'
import HyperDHT from 'hyperdht'
import Hyperswarm from 'hyperswarm'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { RelayServer, type TapDirection } from '../src/index.ts'
import { nextData, openTab, utf8 } from './helpers.ts'

let relay: RelayServer
const seen = new Map<number, { direction: TapDirection; bytes: Buffer }[]>()

beforeAll(async () => {
  await ready()
  relay = await RelayServer.start({
    tap: (session, direction, bytes) => {
      const list = seen.get(session) ?? []
      list.push({ direction, bytes: Buffer.from(bytes) })
      seen.set(session, list)
    }
  })
})

afterAll(async () => {
  await relay?.close()
})

it('every byte the relay receives and sends for a session holds no secret key and no plaintext', async () => {
  const kp = keyPair()
  const tab = await openTab(relay.url, kp)
  const incoming = new Promise<SecretStream>((resolve) => tab.createServer({}, resolve).listen(kp))
  const topic = randomBytes(32)
  await tab.announce(topic, kp)
  const swarm = new Hyperswarm({ dht: new HyperDHT({ bootstrap: relay.bootstrap, host: '127.0.0.1' }) })
  try {
    // biome-ignore lint/suspicious/noExplicitAny: the real hyperswarm is untyped
    const native = new Promise<any>((resolve) => swarm.on('connection', resolve))
    swarm.join(Buffer.from(topic), { server: false, client: true })
    const [conn, tabConn] = await Promise.all([native, incoming])
    const toTab = `TO-TAB-PLAINTEXT-${Buffer.from(randomBytes(16)).toString('hex')}`
    const toNative = `TO-NATIVE-PLAINTEXT-${Buffer.from(randomBytes(16)).toString('hex')}`
    const got = nextData(tabConn)
    conn.write(Buffer.from(toTab.repeat(20)))
    expect(new TextDecoder().decode(await got)).toBe(toTab.repeat(20))
    const back = new Promise<Buffer>((resolve) => conn.once('data', resolve))
    tabConn.write(utf8(toNative.repeat(20)))
    expect((await back).toString()).toBe(toNative.repeat(20))

    expect(seen.size).toBe(1)
    const records = [...seen.values()][0]!
    const all = Buffer.concat(records.map((r) => r.bytes))
    const dir = (d: TapDirection) =>
      Buffer.concat(records.filter((r) => r.direction === d).map((r) => r.bytes))
    // the tap saw the session and the relayed stream both ways (the search below is not vacuous) ...
    expect(dir('dht-in').byteLength).toBeGreaterThan(toTab.length * 20)
    expect(dir('dht-out').byteLength).toBeGreaterThan(toNative.length * 20)
    expect(dir('ws-in').includes(Buffer.from(kp.publicKey))).toBe(true)
    // ... and none of the secrets or plaintext appears in it
    expect(all.includes(Buffer.from(toTab))).toBe(false)
    expect(all.includes(Buffer.from(toNative))).toBe(false)
    expect(all.includes(Buffer.from(kp.secretKey))).toBe(false)
    expect(all.includes(Buffer.from(kp.secretKey.subarray(0, 32)))).toBe(false)
    // the same markers are found when present: the search works on these bytes
    expect(Buffer.concat([all, Buffer.from(toTab)]).includes(Buffer.from(toTab))).toBe(true)
  } finally {
    await swarm.destroy()
    await tab.destroy()
  }
})
