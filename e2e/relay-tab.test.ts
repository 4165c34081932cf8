/**
 * Issue 11, first acceptance points, in real Chromium: a tab with a session on an Orchard relay
 * (`RelayDHT` over the browser's WebSocket, the tab's own key pair) and a native Node peer running
 * the real `hyperswarm` + `hypercore` on a loopback hyperdht testnet
 * - find each other by topic (the tab announces, hyperswarm looks up and dials; and the tab looks up
 *   hyperswarm's announcement and dials),
 * - connect by public key only (`joinPeer`'s pattern: the tab dials the native swarm's key, and
 *   hyperswarm's `joinPeer` dials the listening tab's key),
 * - join one topic with `@orchard/swarm`'s `Swarm` in the tab (on `RelaySwarmDHT`) and hyperswarm,
 * and each time replicate a core both ways: the native core's blocks land in the tab's IndexedDB
 * core (same tree hash), the tab's core is downloaded by the native hypercore (same tree hash).
 * Each side sees the other's public key as `remotePublicKey`.
 *
 * The native swarm's DHT node is started as hyperswarm starts it (firewalled until it learns
 * otherwise), so the connections the tab dials holepunch: the relay holds the tab's first stream
 * bytes from the end of the handshake and writes them the moment hyperdht connects, as a native
 * secret-stream would (a holepunching server that waits too long for that first packet aborts).
 *
 * The first four tests drive `RelayDHT` directly (the relay's own API); the last runs the swarm.
 * `@orchard/relay`, `@orchard/swarm`, `hyperswarm`, `hyperdht` and `@hyperswarm/testnet` are not
 * dependencies of the e2e package yet, so the relay and the swarm are imported from their sources
 * and the native packages through a require anchored in `packages/relay`.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { randomBytes, ready } from '@orchard/crypto'
import RealHypercore from 'hypercore'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RelayServer } from '../packages/relay/src/index.ts'
import {
  launchChromium,
  type PageServer,
  type RunningChromium,
  servePage
} from '../packages/storage/test/browser/chromium.ts'
import { createTestnet, HyperDHT, Hyperswarm, pageCall, type Untyped, within } from './relay-helpers.ts'

const N = 200
const dir = mkdtempSync(join(tmpdir(), 'orchard-relay-tab-'))
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const nativeBlock = (i: number) => `native block ${i}`

let testnet: Untyped
let relay: RelayServer
/** The native peer as hyperswarm starts by default (its DHT node firewalled: peers holepunch to it). */
let swarm: Untyped
let nativeWriter: Untyped
let server: PageServer
let chromium: RunningChromium
let page: Page
/** Every connection the native swarm got, and the tab cores it replicates on each. */
const nativeConns: Untyped[] = []
const nativeReaders: Untyped[] = []
let readers = 0

function call<T>(fn: string, ...args: unknown[]): Promise<T> {
  return pageCall(page, fn, ...args)
}

/** The next native connection whose remote key is `publicKey`. */
async function nativeConnectionFrom(publicKey: string): Promise<Untyped> {
  const until = Date.now() + 60_000
  while (Date.now() < until) {
    const conn = nativeConns.find((c) => hex(c.remotePublicKey) === publicKey)
    if (conn) return conn
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error(`the native swarm got no connection from ${publicKey}`)
}

/** A native reader of a tab's core, replicated on every native connection from now on. */
async function nativeReader(key: string): Promise<Untyped> {
  const core = new RealHypercore(join(dir, `reader-${++readers}`), Buffer.from(key, 'hex'))
  await core.ready()
  nativeReaders.push(core)
  for (const conn of nativeConns) core.replicate(conn)
  return core
}

/** Downloads `length` blocks of a tab's core into the native reader; returns them and its tree hash. */
async function nativeRead(core: Untyped, length: number) {
  await core.download({ start: 0, end: length }).done()
  const blocks: string[] = []
  for (let i = 0; i < length; i++) blocks.push((await core.get(i, { wait: false })).toString())
  return { length: core.length as number, treeHash: hex(await core.treeHash()), blocks }
}

interface TabOpen {
  publicKey: string
  writerKey: string
  writerTreeHash: string
}

interface TabRead {
  length: number
  treeHash: string
  blocks: string[]
  connections: number
  live: number
  remotePublicKey: string
  publicKey: string
  handshakeHash: string
  isInitiator: boolean
  errors: string[]
}

/** Both directions of replication on one tab session, and the keys each side sees. */
async function expectReplicatedBothWays(name: string, native: Untyped, tab: TabOpen, reader: Untyped) {
  const expected = Array.from({ length: N }, (_, i) => nativeBlock(i))
  const [fromNative, toNative, conn] = await within(
    Promise.all([call<TabRead>('read', name, N), nativeRead(reader, N), nativeConnectionFrom(tab.publicKey)]),
    60_000,
    `${name}: replication`
  )
  // native → tab: every block, verified against the real hypercore's tree
  expect(fromNative.length).toBe(N)
  expect(fromNative.blocks).toEqual(expected)
  expect(fromNative.treeHash).toBe(hex(await nativeWriter.treeHash()))
  // tab → native: the real hypercore downloaded the tab's core, same tree
  expect(toNative.length).toBe(N)
  expect(toNative.blocks).toEqual(Array.from({ length: N }, (_, i) => `tab ${name} block ${i}`))
  expect(toNative.treeHash).toBe(tab.writerTreeHash)
  // keys: each side's remotePublicKey is the other's public key, one handshake between them
  expect(hex(conn.remotePublicKey)).toBe(tab.publicKey)
  expect(fromNative.publicKey).toBe(tab.publicKey)
  expect(fromNative.remotePublicKey).toBe(hex(native.keyPair.publicKey))
  expect(fromNative.handshakeHash).toBe(hex(conn.handshakeHash))
  expect(fromNative.isInitiator).toBe(!conn.isInitiator)
  expect(fromNative.errors).toEqual([])
  return fromNative
}

/** A real hyperswarm on the testnet that replicates the native cores on every connection. */
function nativeSwarm(): Untyped {
  const s = new Hyperswarm({ dht: new HyperDHT({ bootstrap: testnet.bootstrap, host: '127.0.0.1' }) })
  s.on('connection', (conn: Untyped) => {
    conn.on('error', () => {})
    nativeConns.push(conn)
    nativeWriter.replicate(conn)
    for (const core of nativeReaders) core.replicate(conn)
  })
  return s
}

beforeAll(async () => {
  await ready()
  testnet = await createTestnet(3, { host: '127.0.0.1' })
  relay = await RelayServer.start({ bootstrap: testnet.bootstrap, dhtHost: '127.0.0.1' })

  nativeWriter = new RealHypercore(join(dir, 'native-writer'))
  await nativeWriter.append(Array.from({ length: N }, (_, i) => Buffer.from(nativeBlock(i))))
  swarm = nativeSwarm()

  server = await servePage(fileURLToPath(new URL('./pages/relay-tab-page.ts', import.meta.url)))
  chromium = await launchChromium(mkdtempSync(join(dir, 'profile-')))
  page = await chromium.open(server.url)
}, 60_000)

afterAll(async () => {
  await chromium?.close()
  await server?.close()
  await swarm?.destroy()
  await nativeWriter?.close()
  for (const core of nativeReaders) await core.close()
  await relay?.close()
  await testnet?.destroy()
  rmSync(dir, { recursive: true, force: true })
}, 60_000)

describe('a Chromium tab through an Orchard relay and a native hyperswarm + hypercore peer', () => {
  it('the tab announces a topic; hyperswarm finds it by topic, dials, and a core replicates both ways', async () => {
    const tab = await call<TabOpen>('open', 'topic', relay.url, hex(nativeWriter.key), N)
    const reader = await nativeReader(tab.writerKey)
    const topic = hex(randomBytes(32))
    await within(call('listenAndAnnounce', 'topic', topic), 30_000, 'tab announce')
    swarm.join(Buffer.from(topic, 'hex'), { server: false, client: true })
    const got = await expectReplicatedBothWays('topic', swarm, tab, reader)
    // the native swarm dialled: the tab's side is the responder
    expect(got.isInitiator).toBe(false)
    expect(got.connections).toBe(1)
    await swarm.leave(Buffer.from(topic, 'hex'))
    await call('close', 'topic')
    // what the tab downloaded is in IndexedDB, readable with the session gone
    const kept = await call<{ length: number; treeHash: string; blocks: string[] }>(
      'stored',
      'topic',
      hex(nativeWriter.key)
    )
    expect(kept.length).toBe(N)
    expect(kept.blocks[N - 1]).toBe(nativeBlock(N - 1))
    expect(kept.treeHash).toBe(hex(await nativeWriter.treeHash()))
  }, 90_000)

  it('hyperswarm announces a topic; the tab looks it up through the relay, dials, and a core replicates both ways', async () => {
    const topic = hex(randomBytes(32))
    await within(
      swarm.join(Buffer.from(topic, 'hex'), { server: true, client: false }).flushed(),
      30_000,
      'native announce'
    )
    const tab = await call<TabOpen>('open', 'lookup', relay.url, hex(nativeWriter.key), N)
    const reader = await nativeReader(tab.writerKey)
    const found = await within(call<string[]>('lookup', 'lookup', topic), 30_000, 'tab lookup')
    // exactly the native peer is announced there (the relay returns keys, the tab picks)
    expect(found).toEqual([hex(swarm.keyPair.publicKey)])
    expect(await within(call<boolean>('connect', 'lookup', found[0]), 30_000, 'tab connect')).toBe(true)
    const got = await expectReplicatedBothWays('lookup', swarm, tab, reader)
    expect(got.isInitiator).toBe(true)
    await swarm.leave(Buffer.from(topic, 'hex'))
    await call('close', 'lookup')
  }, 90_000)

  it('joinPeer: the tab dials the native peer by its public key only, and a core replicates both ways', async () => {
    await within(swarm.listen(), 30_000, 'native listen')
    const tab = await call<TabOpen>('open', 'by-key', relay.url, hex(nativeWriter.key), N)
    const reader = await nativeReader(tab.writerKey)
    const opened = await within(
      call<boolean>('connect', 'by-key', hex(swarm.keyPair.publicKey)),
      30_000,
      'tab connect by key'
    )
    expect(opened).toBe(true)
    const got = await expectReplicatedBothWays('by-key', swarm, tab, reader)
    expect(got.isInitiator).toBe(true)
    expect(got.connections).toBe(1)
    await call('close', 'by-key')
  }, 90_000)

  it('joinPeer the other way: hyperswarm dials the listening tab by its public key only, and a core replicates both ways', async () => {
    const tab = await call<TabOpen>('open', 'joined', relay.url, hex(nativeWriter.key), N)
    const reader = await nativeReader(tab.writerKey)
    await within(call('listen', 'joined'), 30_000, 'tab listen')
    const tabKey = Buffer.from(tab.publicKey, 'hex')
    swarm.joinPeer(tabKey)
    const got = await expectReplicatedBothWays('joined', swarm, tab, reader)
    expect(got.isInitiator).toBe(false)
    expect(got.connections).toBe(1)
    swarm.leavePeer(tabKey)
    await call('close', 'joined')
  }, 90_000)

  it('@orchard/swarm in the tab (on RelaySwarmDHT) and hyperswarm join one topic, connect once, and a core replicates both ways', async () => {
    const tab = await call<TabOpen>('openSwarm', 'swarm', relay.url, hex(nativeWriter.key), N)
    const reader = await nativeReader(tab.writerKey)
    const topic = hex(randomBytes(32))
    await within(call('join', 'swarm', topic), 30_000, 'tab swarm join')
    swarm.join(Buffer.from(topic, 'hex'))
    const got = await expectReplicatedBothWays('swarm', swarm, tab, reader)
    // one live connection per pair of keys on the tab's side
    expect(got.live).toBe(1)
    await swarm.leave(Buffer.from(topic, 'hex'))
    await call('close', 'swarm')
  }, 90_000)
})
