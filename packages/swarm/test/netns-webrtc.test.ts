/**
 * Issue 14 end to end: two Chromium tabs in separate browser contexts run `@orchard/swarm` through
 * an Orchard relay (`relay: relayNode(url)`) with `webrtc: true`, find each other by topic, upgrade
 * their relayed connection to a direct WebRTC data channel and replicate an IndexedDB Hypercore
 * over it; the relay is stopped and they keep replicating. With ICE made to fail they stay on the
 * relayed path and replicate there.
 *
 * Chromium gathers no ICE candidates on loopback alone, so the relay (with its embedded testnet)
 * and Chromium run inside a private network namespace (`netns/harness.ts`).
 */
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Namespace, pageCall, startNamespace, VETH_ADDRESS } from './netns/harness.ts'

let ns: Namespace

beforeAll(async () => {
  ns = await startNamespace(fileURLToPath(new URL('./netns/page.ts', import.meta.url)))
}, 60_000)

afterAll(async () => {
  await ns?.close()
})

interface TabState {
  types: (string | null)[]
  upgrades: number
  failures: string[]
  errors: string[]
  live: string[]
  handshakeHash: string
  remoteAddress: string | null
  length: number
}

interface Read {
  length: number
  treeHash: string
  intact: boolean
}

const randomHex = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('hex')

/** Polls both tabs' state until `cond` holds; fails with both states (and the page logs) after `ms`. */
async function waitFor(
  tabs: [Page, Page],
  cond: (a: TabState, b: TabState) => boolean,
  what: string,
  ms = 30_000
): Promise<[TabState, TabState]> {
  const end = Date.now() + ms
  for (;;) {
    const [a, b] = await Promise.all(tabs.map((t) => pageCall<TabState>(t, 'state', 'peer')))
    if (cond(a!, b!)) return [a!, b!]
    if (Date.now() > end) {
      throw new Error(
        `timed out waiting for ${what}: ${JSON.stringify({ a, b })}\npage logs:\n${ns.logs.join('\n')}`
      )
    }
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Two tabs, each in its own browser context: a writer of `count` blocks, and its reader. */
async function twoTabs(webrtc: unknown, count: number) {
  const writer = await ns.openTab()
  const reader = await ns.openTab()
  const w = await pageCall<{ key: string }>(writer, 'openPeer', 'peer', ns.relayUrl, { webrtc, count })
  await pageCall(reader, 'openPeer', 'peer', ns.relayUrl, { webrtc, key: w.key })
  const topic = randomHex()
  await pageCall(writer, 'join', 'peer', topic)
  await pageCall(reader, 'join', 'peer', topic)
  return [writer, reader] as [Page, Page]
}

describe('two Chromium tabs through a relay, with webrtc, in a private network namespace', () => {
  it('with ICE made to fail (TURN only, no TURN server) they stay on the relayed path and replicate', async () => {
    const tabs = await twoTabs({ iceTransportPolicy: 'relay', timeout: 3000 }, 40)
    const [writer, reader] = tabs
    const [a, b] = await waitFor(
      tabs,
      (a, b) => a.failures.length > 0 && b.failures.length > 0,
      'both upgrades to fail'
    )
    expect([...a.failures, ...b.failures]).toContain('TIMEOUT')
    for (const code of [...a.failures, ...b.failures]) expect(['TIMEOUT', 'REFUSED']).toContain(code)
    const read = await pageCall<Read>(reader, 'read', 'peer', 40)
    expect(read.intact).toBe(true)
    const appended = await pageCall<{ treeHash: string }>(writer, 'append', 'peer', 10)
    const more = await pageCall<Read>(reader, 'read', 'peer', 50)
    expect(more).toEqual({ length: 50, treeHash: appended.treeHash, intact: true })
    const [a2, b2] = await waitFor(tabs, () => true, 'state')
    expect([a2.upgrades, b2.upgrades]).toEqual([0, 0])
    expect(a2.types).toEqual(['relay'])
    expect(b2.types).toEqual(['relay'])
    expect([a2.live, b2.live]).toEqual([['relay'], ['relay']])
    expect(a2.handshakeHash).toBe(b2.handshakeHash)
    expect([a.errors, b.errors]).toEqual([[], []])
    await Promise.all(tabs.map((t) => pageCall(t, 'close', 'peer')))
  }, 90_000)

  it('connect by topic through the relay, upgrade to WebRTC and replicate; the relay is stopped and they keep replicating', async () => {
    const tabs = await twoTabs(true, 40)
    const [writer, reader] = tabs
    const [a, b] = await waitFor(tabs, (a, b) => a.upgrades === 1 && b.upgrades === 1, 'both upgrades')
    // each tab got the relayed connection, then the direct one in its place
    expect(a.types).toEqual(['relay', 'webrtc'])
    expect(b.types).toEqual(['relay', 'webrtc'])
    expect(a.failures).toEqual([])
    expect(b.failures).toEqual([])
    const read = await pageCall<Read>(reader, 'read', 'peer', 40)
    expect(read.intact).toBe(true)
    // one connection left on each side: the direct one, over the namespace's veth address
    const [a1, b1] = await waitFor(
      tabs,
      (a, b) => a.live.length === 1 && b.live.length === 1,
      'the relayed connections to retire'
    )
    expect([a1.live, b1.live]).toEqual([['webrtc'], ['webrtc']])
    expect(a1.handshakeHash).toBe(b1.handshakeHash)
    expect(a1.remoteAddress).toBe(VETH_ADDRESS)

    await ns.stopRelay()
    const appended = await pageCall<{ treeHash: string }>(writer, 'append', 'peer', 25)
    const more = await pageCall<Read>(reader, 'read', 'peer', 65)
    expect(more).toEqual({ length: 65, treeHash: appended.treeHash, intact: true })
    const [a2, b2] = await waitFor(tabs, () => true, 'state')
    expect([a2.live, b2.live]).toEqual([['webrtc'], ['webrtc']])
    expect(a2.handshakeHash).toBe(a1.handshakeHash)
    expect([a2.errors, b2.errors]).toEqual([[], []])
  }, 90_000)
})
