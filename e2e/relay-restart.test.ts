/**
 * Issue 11, the relay restarts mid-replication, in real Chromium: a tab runs `@orchard/swarm` on
 * `RelaySwarmDHT` (reconnecting, topics refreshed on each new session) and reads a native real
 * hypercore, found by topic through a real hyperswarm. Partway through, the relay process's server
 * is closed and started again on the same port; the tab opens a new session, rejoins the topic,
 * redials, and the read resumes — including blocks appended while the relay was away. Every block
 * arrives once, verified: the tab's tree hash equals the writer's.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { randomBytes, ready } from '@orchard/crypto'
import RealHypercore from 'hypercore'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { RelayServer } from '../packages/relay/src/index.ts'
import {
  launchChromium,
  type PageServer,
  type RunningChromium,
  servePage
} from '../packages/storage/test/browser/chromium.ts'
import { createTestnet, HyperDHT, Hyperswarm, pageCall, type Untyped } from './relay-helpers.ts'

const N = 2000
const M = N + 100
const dir = mkdtempSync(join(tmpdir(), 'orchard-relay-restart-'))
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const block = (i: number) => `native block ${i} ${'.'.repeat(2000)}`

let testnet: Untyped
let relay: RelayServer
let swarm: Untyped
let writer: Untyped
let server: PageServer
let chromium: RunningChromium
let page: Page

function call<T>(fn: string, ...args: unknown[]): Promise<T> {
  return pageCall(page, fn, ...args)
}

interface Progress {
  read: number
  live: number
  sessions: number
}

/** Polls the tab's progress until `cond` holds; fails naming `what` after `ms`. */
async function until(cond: (p: Progress) => boolean, what: string, ms = 30_000): Promise<Progress> {
  const end = Date.now() + ms
  for (;;) {
    const p = await call<Progress>('readProgress', 'restart')
    if (cond(p)) return p
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(p)}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

beforeAll(async () => {
  await ready()
  testnet = await createTestnet(3, { host: '127.0.0.1' })
  relay = await RelayServer.start({ bootstrap: testnet.bootstrap, dhtHost: '127.0.0.1' })
  writer = new RealHypercore(join(dir, 'writer'))
  await writer.append(Array.from({ length: N }, (_, i) => Buffer.from(block(i))))
  swarm = new Hyperswarm({ dht: new HyperDHT({ bootstrap: testnet.bootstrap, host: '127.0.0.1' }) })
  swarm.on('connection', (conn: Untyped) => {
    conn.on('error', () => {})
    writer.replicate(conn)
  })
  server = await servePage(fileURLToPath(new URL('./pages/relay-tab-page.ts', import.meta.url)))
  chromium = await launchChromium(mkdtempSync(join(dir, 'profile-')))
  page = await chromium.open(server.url)
}, 60_000)

afterAll(async () => {
  await chromium?.close()
  await server?.close()
  await swarm?.destroy()
  await writer?.close()
  await relay?.close()
  await testnet?.destroy()
  rmSync(dir, { recursive: true, force: true })
}, 60_000)

it('the relay restarts mid-replication: the tab reopens its session, rejoins, resumes; every block once and verified', async () => {
  const topic = hex(randomBytes(32))
  await swarm.join(Buffer.from(topic, 'hex'), { server: true, client: false }).flushed()
  const port = relay.address().port

  await call('openSwarm', 'restart', relay.url, hex(writer.key), 1)
  await call('join', 'restart', topic)
  await call('readInBackground', 'restart', M)
  const before = await until((p) => p.read >= N / 4, 'a quarter of the blocks')
  expect(before.read).toBeLessThan(M)

  await relay.close()
  await until((p) => p.live === 0, 'the relayed connection to drop')
  relay = await RelayServer.start({ bootstrap: testnet.bootstrap, dhtHost: '127.0.0.1', port })
  // written while the tab had no relay: only the new session can bring these
  await writer.append(Array.from({ length: M - N }, (_, i) => Buffer.from(block(N + i))))

  const all = await call<{ blocks: string[]; length: number; treeHash: string }>('readAll', 'restart')
  const after = await call<Progress>('readProgress', 'restart')
  expect(after.sessions).toBeGreaterThanOrEqual(2)
  expect(all.length).toBe(M)
  expect(all.blocks).toEqual(Array.from({ length: M }, (_, i) => block(i)))
  expect(all.treeHash).toBe(hex(await writer.treeHash(M)))
  await call('close', 'restart')
}, 120_000)
