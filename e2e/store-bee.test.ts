/**
 * Issue 10's browser acceptance, end to end: a Chromium tab keeps a Corestore on IndexedDB with 30
 * named cores and a Hyperbee of 10 000 keys; it survives a page reload; one WebSocket replication
 * stream carries every core and the bee to a Node peer — our Corestore + Hyperbee, then the real
 * corestore 7 + hyperbee 2 — which reads every block and the bee's entries equal; and the tab's
 * `watch()`/`getAndWatch()` fire for writes the Node peer makes to a bee the tab follows.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import RealSecretStream from '@hyperswarm/secret-stream'
import { Corestore } from '@orchard/corestore'
import { ready } from '@orchard/crypto'
import { Hyperbee } from '@orchard/hyperbee'
import { openMemoryStorage } from '@orchard/storage'
import { fromWebSocket } from '@orchard/wire'
import RealCorestore from 'corestore'
import RealHyperbee from 'hyperbee'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createWebSocketStream, type WebSocket, WebSocketServer } from 'ws'
import {
  launchChromium,
  type PageServer,
  type RunningChromium,
  servePage
} from '../packages/storage/test/browser/chromium.ts'
import type { Readout, Spec } from './pages/store-bee-page.ts'

// biome-ignore lint/suspicious/noExplicitAny: the real packages are untyped
type Real = any

const DB = 'store-bee'
const CORES = 30
const KEYS = 10_000
const dir = mkdtempSync(join(tmpdir(), 'orchard-store-bee-'))
const text = (b: unknown) => Buffer.from(b as Uint8Array).toString()

/** A seeded PRNG (mulberry32), for a reproducible insertion order. */
function prng(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const key = (i: number) => `k${String(i).padStart(5, '0')}`
const value = (i: number) => `value of ${i} ${'~'.repeat(i % 23)}`

/** What the tab writes: 30 cores of 2..12 blocks, 10 000 keys put in a shuffled order. */
const spec: Spec = (() => {
  const rnd = prng(10)
  const order = Array.from({ length: KEYS }, (_, i) => i)
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1))
    ;[order[i], order[j]] = [order[j]!, order[i]!]
  }
  return {
    cores: Array.from({ length: CORES }, (_, c) => ({
      name: `core-${c}`,
      blocks: Array.from(
        { length: 2 + ((c * 7) % 11) },
        (_, i) => `core ${c} block ${i} ${'#'.repeat((c + i) % 9)}`
      )
    })),
    puts: order.map((i) => [key(i), value(i)] as [string, string]),
    batchSize: 1_000,
    gets: [key(0), key(1), key(4_242), key(9_999), key(5_000), 'k10000', 'a', 'k0424', 'zzz', ''],
    ranges: [
      { gte: key(2_000), lt: key(2_500) },
      { gt: key(9_990) },
      { lte: key(10), reverse: true },
      { gte: key(5_000), limit: 100 },
      { lt: key(7_000), reverse: true, limit: 37 },
      { gt: key(3_333), lte: key(3_400), reverse: true },
      { gte: 'l' },
      { lt: 'k' }
    ]
  }
})()

/** The bee's expected contents, computed here from the spec. */
const sortedKeys = spec.puts.map(([k]) => k).sort()
const valueByKey = new Map(spec.puts)
const entry = (k: string) => `${k}=${valueByKey.get(k)}`
const expectedFull = sortedKeys.map(entry)
function expectedRange(r: Spec['ranges'][number]): string[] {
  let keys = sortedKeys.filter(
    (k) =>
      (r.gt === undefined || k > (r.gt as string)) &&
      (r.gte === undefined || k >= (r.gte as string)) &&
      (r.lt === undefined || k < (r.lt as string)) &&
      (r.lte === undefined || k <= (r.lte as string))
  )
  if (r.reverse) keys = keys.reverse()
  if (r.limit !== undefined && r.limit >= 0) keys = keys.slice(0, r.limit)
  return keys.map(entry)
}
const expectedGets = spec.gets.map((k) => valueByKey.get(k) ?? null)

let page: Page
let chromium: RunningChromium
let server: PageServer
let wss: WebSocketServer
let wsUrl = ''
/** What the WebSocket server does with the next tab connection. */
let onConnection: ((socket: WebSocket) => void) | null = null
/** The tab's store as written (before the reload): the Node peers compare against it. */
let written: Readout

function call<T>(fn: string, ...args: unknown[]): Promise<T> {
  return page.evaluate(`window.${fn}(${args.map((a) => JSON.stringify(a)).join(', ')})`) as Promise<T>
}

async function until(cond: () => boolean, what: string, ms = 30_000) {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** Checks a readout of the tab's store against the spec. */
function expectMatchesSpec(got: Readout) {
  expect(got.cores.map((c) => c.name)).toEqual(spec.cores.map((c) => c.name))
  for (const [c, core] of got.cores.entries()) {
    expect(core.length).toBe(spec.cores[c]!.blocks.length)
    expect(core.blocks).toEqual(spec.cores[c]!.blocks)
    expect(core.writable).toBe(true)
  }
  expect(new Set(got.cores.map((c) => c.key)).size).toBe(CORES)
  // header + one block per put
  expect(got.bee.length).toBe(KEYS + 1)
  expect(got.bee.version).toBe(KEYS + 1)
  expect(got.bee.gets).toEqual(expectedGets)
  expect(got.bee.full).toEqual(expectedFull)
  expect(got.bee.ranges).toEqual(spec.ranges.map(expectedRange))
  // list() finds the 30 cores and the bee's core (and nothing else)
  expect([...got.listed].sort()).toEqual(
    [...got.cores.map((c) => c.discoveryKey), got.bee.discoveryKey].sort()
  )
}

/** A Node-side core (ours or real): what the reader needs of it. */
interface NodeCore {
  length: number
  ready(): Promise<void>
  get(i: number, opts?: object): Promise<unknown>
  download(range: { start: number; end: number }): { done(): Promise<void> }
}
/** A Node-side bee (ours or real). */
interface NodeBee {
  ready(): Promise<void>
  get(key: string, opts?: object): Promise<{ value: string } | null>
  createReadStream(range?: object): AsyncIterable<{ key: string; value: string }>
  version: number
}

/** Downloads `core` whole from the tab (it must reach `length` first), then reads every block. */
async function readFromTab(core: NodeCore, length: number, what: string): Promise<string[]> {
  await core.ready()
  core.download({ start: 0, end: -1 }) // live: fetches whatever the tab has
  await until(() => core.length >= length, `${what} to reach length ${length} (at ${core.length})`)
  expect(core.length).toBe(length)
  await core.download({ start: 0, end: length }).done()
  const blocks: string[] = []
  for (let i = 0; i < length; i++) blocks.push(text(await core.get(i, { wait: false })))
  return blocks
}

/** Reads the bee like the tab did: gets, full scan, ranged scans. */
async function readBee(bee: NodeBee) {
  await bee.ready()
  const scan = async (range: object = {}) => {
    const out: string[] = []
    for await (const { key, value } of bee.createReadStream(range)) out.push(`${key}=${value}`)
    return out
  }
  const gets: (string | null)[] = []
  for (const k of spec.gets) gets.push((await bee.get(k))?.value ?? null)
  const ranges: string[][] = []
  for (const r of spec.ranges) ranges.push(await scan(r))
  return { version: bee.version, gets, full: await scan(), ranges }
}

/**
 * The Node peer of one scenario: a store to replicate the tab's with, readers for the tab's cores
 * and bee, and a bee of its own for the tab to follow.
 */
interface NodePeer {
  replicate(socket: WebSocket): void
  core(key: string): NodeCore
  bee(key: string): NodeBee
  /** The peer's own bee: a writer the tab follows. */
  writer: { key: string; length(): number; put(k: string, v: string): Promise<void> }
  close(): Promise<void>
}

async function ourPeer(): Promise<NodePeer> {
  const store = new Corestore(openMemoryStorage())
  const writerBee = new Hyperbee<string, string>(store.get({ name: 'remote-bee' }), {
    keyEncoding: 'utf-8',
    valueEncoding: 'utf-8'
  })
  await writerBee.ready()
  return {
    replicate: (socket) => {
      store.replicate(false, { stream: fromWebSocket(socket as never), keepAlive: 0 })
    },
    core: (k) => store.get({ key: k }) as unknown as NodeCore,
    bee: (k) =>
      new Hyperbee<string, string>(store.get({ key: k }), {
        keyEncoding: 'utf-8',
        valueEncoding: 'utf-8'
      }) as unknown as NodeBee,
    writer: {
      key: Buffer.from(writerBee.key!).toString('hex'),
      length: () => writerBee.core.length,
      put: (k, v) => writerBee.put(k, v)
    },
    close: async () => {
      await writerBee.close()
      await store.close()
    }
  }
}

async function realPeer(): Promise<NodePeer> {
  const store: Real = new RealCorestore(mkdtempSync(join(dir, 'real-store-')))
  // a default real hyperbee (its extension on), as a Pear app would write one
  const writerBee: Real = new RealHyperbee(store.get({ name: 'remote-bee' }), {
    keyEncoding: 'utf-8',
    valueEncoding: 'utf-8'
  })
  await writerBee.ready()
  return {
    replicate: (socket) => {
      const stream = new RealSecretStream(false, createWebSocketStream(socket))
      stream.on('error', () => {}) // the tab closing the socket ends the stream
      store.replicate(stream)
    },
    core: (k) => store.get({ key: Buffer.from(k, 'hex') }),
    bee: (k) =>
      new RealHyperbee(store.get({ key: Buffer.from(k, 'hex') }), {
        keyEncoding: 'utf-8',
        valueEncoding: 'utf-8',
        extension: false
      }),
    writer: {
      key: writerBee.key.toString('hex'),
      length: () => writerBee.core.length,
      put: (k, v) => writerBee.put(k, v)
    },
    close: async () => {
      await writerBee.close()
      await store.close()
    }
  }
}

beforeAll(async () => {
  await ready()
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  // the Node store's replication attaches synchronously, so no early message is missed
  wss.on('connection', (socket) => {
    const handler = onConnection
    onConnection = null
    if (handler) handler(socket)
    else socket.close()
  })
  await new Promise((r) => wss.once('listening', r))
  wsUrl = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`
  server = await servePage(fileURLToPath(new URL('./pages/store-bee-page.ts', import.meta.url)))
  chromium = await launchChromium(mkdtempSync(join(dir, 'profile-')))
  page = await chromium.open(server.url)
}, 60_000)

afterAll(async () => {
  await chromium?.close()
  await server?.close()
  wss?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('a Corestore and a Hyperbee in a Chromium tab, on IndexedDB', () => {
  it('holds 30 named cores and a bee of 10 000 keys, and finds them all again after a reload', async () => {
    written = await call<Readout>('build', DB, spec)
    expectMatchesSpec(written)

    await page.reload()
    await page.waitForFunction(() => (globalThis as { ready?: boolean }).ready === true)
    const reloaded = await call<Readout>('inspect', DB, spec)
    expectMatchesSpec(reloaded)
    // the same cores (keys derive from the stored primary key), lengths and contents
    expect(reloaded).toEqual(written)
  }, 90_000)

  for (const kind of ['ours', 'real'] as const) {
    const who = kind === 'ours' ? 'our Corestore + Hyperbee' : 'the real corestore 7 + hyperbee 2'
    it(`replicates every core and the bee on one WebSocket to ${who} in Node; watch fires for its writes`, async () => {
      expect(written, 'the first test wrote the store').toBeDefined()
      const peer = kind === 'ours' ? await ourPeer() : await realPeer()
      let connections = 0
      onConnection = (socket) => {
        connections++
        peer.replicate(socket)
      }
      try {
        // one stream; the tab's store has no core open: each opens when the Node peer asks for it
        await call('serve', DB, `${wsUrl}/${kind}`)
        const readers = written.cores.map((c) => peer.core(c.key))
        const bee = peer.bee(written.bee.key)
        const blocks = await Promise.all(
          readers.map((core, c) => readFromTab(core, written.cores[c]!.length, `core-${c}`))
        )
        for (const [c, got] of blocks.entries()) expect(got).toEqual(spec.cores[c]!.blocks)

        const beeCore = (bee as unknown as { core: NodeCore }).core
        await readFromTab(beeCore, KEYS + 1, 'the bee core')
        const read = await readBee(bee)
        expect(read.version).toBe(written.bee.version)
        expect(read.gets).toEqual(written.bee.gets)
        expect(read.full).toEqual(written.bee.full)
        expect(read.full).toHaveLength(KEYS)
        expect(read.ranges).toEqual(written.bee.ranges)
        expect(connections).toBe(1)
        // the tab opened every core on demand, when the Node peer asked for it
        const opened = await call<string[]>('opened')
        for (const dk of [...written.cores.map((c) => c.discoveryKey), written.bee.discoveryKey])
          expect(opened).toContain(dk)

        // the tab follows a bee the Node peer writes, on the same stream
        await peer.writer.put('greeting', `hello from ${kind}`)
        await peer.writer.put('other', 'x')
        const followed = await call<{ value: string | null; entryValue: string | null; writable: boolean }>(
          'follow',
          peer.writer.key,
          peer.writer.length(),
          'greeting'
        )
        expect(followed).toMatchObject({
          value: `hello from ${kind}`,
          entryValue: `hello from ${kind}`,
          writable: false
        })

        const changed = `changed by ${kind} node`
        const before = peer.writer.length()
        await peer.writer.put('greeting', changed)
        const change = await call<{
          versions: [number, number]
          diff: { key: string; left: string | null; right: string | null }[]
          value: string | null
          entryValue: string | null
          entryUpdates: (string | null)[]
        }>('nextChange', 'greeting', changed)
        expect(change.versions).toEqual([before + 1, before])
        expect(change.diff).toEqual([{ key: 'greeting', left: changed, right: `hello from ${kind}` }])
        expect(change.value).toBe(changed)
        expect(change.entryValue).toBe(changed)
        expect(change.entryUpdates).toEqual([changed])

        // and again: a new key fires the watcher too, the watched entry stays as it is
        await peer.writer.put('late', 'arrival')
        const late = await call<typeof change>('nextChange', 'greeting', changed)
        expect(late.diff).toEqual([{ key: 'late', left: 'arrival', right: null }])
        expect(late.entryUpdates).toEqual([changed])
      } finally {
        await call('stop')
        await peer.close()
      }
    }, 120_000)
  }
})
