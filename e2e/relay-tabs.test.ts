/**
 * Issue 11, tab ⇄ tab: two Chromium tabs in separate browser contexts (separate storage, separate
 * WebSockets), each with its own session on its own Orchard relay — two relays on one loopback
 * hyperdht testnet — run `@orchard/swarm` on `RelaySwarmDHT`, join one topic, find each other
 * through the DHT, connect once and replicate each other's IndexedDB core. Neither relay holds a
 * tab's secret key: the Noise IK handshake runs in the tabs and the secret-stream is end to end, so
 * both tabs see the same handshake hash and each other's public key.
 *
 * The page is the one the relay-tab test uses (`pages/relay-tab-page.ts`); the relay is imported
 * from its sources, as there.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { randomBytes, ready } from '@orchard/crypto'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RelayServer } from '../packages/relay/src/index.ts'
import {
  launchChromium,
  type PageServer,
  type RunningChromium,
  servePage
} from '../packages/storage/test/browser/chromium.ts'
import { createTestnet, pageCall, within } from './relay-helpers.ts'

const N = 300
const dir = mkdtempSync(join(tmpdir(), 'orchard-relay-tabs-'))
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

let testnet: Awaited<ReturnType<typeof createTestnet>>
let relays: RelayServer[] = []
let server: PageServer
let chromium: RunningChromium
let otherContext: BrowserContext
let pageA: Page
let pageB: Page

interface TabOpen {
  publicKey: string
  writerKey: string
  writerTreeHash: string
}

interface TabRead {
  length: number
  treeHash: string
  blocks: string[]
  live: number
  remotePublicKey: string
  publicKey: string
  handshakeHash: string
  isInitiator: boolean
  errors: string[]
}

beforeAll(async () => {
  await ready()
  testnet = await createTestnet(3, { host: '127.0.0.1' })
  relays = [
    await RelayServer.start({ bootstrap: testnet.bootstrap, dhtHost: '127.0.0.1' }),
    await RelayServer.start({ bootstrap: testnet.bootstrap, dhtHost: '127.0.0.1' })
  ]
  server = await servePage(fileURLToPath(new URL('./pages/relay-tab-page.ts', import.meta.url)))
  chromium = await launchChromium(mkdtempSync(join(dir, 'profile-')))
  pageA = await chromium.open(server.url)
  // a second browser context: its own storage, cookies and connections, as another user's browser
  otherContext = await chromium.browser.newContext()
  pageB = await otherContext.newPage()
  await pageB.goto(server.url)
  await pageB.waitForFunction(() => (globalThis as { ready?: boolean }).ready === true)
}, 60_000)

afterAll(async () => {
  await otherContext?.close()
  await chromium?.close()
  await server?.close()
  for (const relay of relays) await relay.close()
  await testnet?.destroy()
  rmSync(dir, { recursive: true, force: true })
}, 60_000)

describe('two Chromium tabs, two browser contexts, two relays', () => {
  it('find each other by topic, connect once, and replicate each other’s core', async () => {
    const nobody = hex(randomBytes(32))
    const a = await pageCall<TabOpen>(pageA, 'openSwarm', 'a', relays[0]!.url, nobody, N)
    const b = await pageCall<TabOpen>(pageB, 'openSwarm', 'b', relays[1]!.url, nobody, N)
    await pageCall(pageA, 'follow', 'a', b.writerKey)
    await pageCall(pageB, 'follow', 'b', a.writerKey)

    const topic = hex(randomBytes(32))
    // as with hyperswarm, a peer that joins after another's announcement is flushed finds it
    await within(pageCall(pageA, 'join', 'a', topic), 30_000, 'tab A joins')
    await within(pageCall(pageB, 'join', 'b', topic), 30_000, 'tab B joins')
    const [readA, readB] = await within(
      Promise.all([pageCall<TabRead>(pageA, 'read', 'a', N), pageCall<TabRead>(pageB, 'read', 'b', N)]),
      60_000,
      'replication both ways',
      async () =>
        JSON.stringify({ a: await pageCall(pageA, 'state', 'a'), b: await pageCall(pageB, 'state', 'b') })
    )

    // A holds B's core, verified against B's tree, and the reverse
    expect(readA.length).toBe(N)
    expect(readA.blocks[0]).toBe('tab b block 0')
    expect(readA.blocks[N - 1]).toBe(`tab b block ${N - 1}`)
    expect(readA.treeHash).toBe(b.writerTreeHash)
    expect(readB.length).toBe(N)
    expect(readB.blocks[N - 1]).toBe(`tab a block ${N - 1}`)
    expect(readB.treeHash).toBe(a.writerTreeHash)

    // one end-to-end secret-stream between the tabs' own keys
    expect(readA.remotePublicKey).toBe(b.publicKey)
    expect(readB.remotePublicKey).toBe(a.publicKey)
    expect(readA.handshakeHash).toBe(readB.handshakeHash)
    expect(readA.isInitiator).toBe(!readB.isInitiator)
    expect(readA.live).toBe(1)
    expect(readB.live).toBe(1)
    expect(readA.errors).toEqual([])
    expect(readB.errors).toEqual([])

    // each relay carried its own tab's session (and no plaintext: see the relay's blind test)
    const sessions = await Promise.all(relays.map((r) => fetch(`${r.url.replace('ws', 'http')}/metrics`)))
    for (const res of sessions) expect(await res.text()).toMatch(/orchard_relay_sessions 1\b/)

    await pageCall(pageA, 'close', 'a')
    await pageCall(pageB, 'close', 'b')
  }, 120_000)
})
