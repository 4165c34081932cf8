/**
 * A Chromium tab runs our Hypercore on IndexedDB and replicates over a WebSocket on loopback with
 * (a) our core and (b) the real hypercore 11 in Node — reading from them and writing to them — then
 * reloads and finds everything readable from IndexedDB alone. The Node side is a tiny WebSocket
 * server that pipes each socket into a replication stream.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import RealSecretStream from '@hyperswarm/secret-stream'
import { ready } from '@orchard/crypto'
import { Hypercore } from '@orchard/hypercore'
import { openMemoryStorage } from '@orchard/storage'
import { fromWebSocket } from '@orchard/wire'
import RealHypercore from 'hypercore'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createWebSocketStream, WebSocketServer } from 'ws'
import {
  launchChromium,
  type PageServer,
  type RunningChromium,
  servePage
} from '../packages/storage/test/browser/chromium.ts'

const N = 300
const dir = mkdtempSync(join(tmpdir(), 'orchard-browser-repl-'))
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const content = (prefix: string) => Array.from({ length: N }, (_, i) => `${prefix} ${i}`)

// biome-ignore lint/suspicious/noExplicitAny: the real hypercore is untyped
type Real = any
let page: Page
let chromium: RunningChromium
let server: PageServer
let wss: WebSocketServer
let wsUrl = ''
const nodeCores = new Map<string, { kind: 'ours'; core: Hypercore } | { kind: 'real'; core: Real }>()
let oursWriter: Hypercore
let realWriter: Real
let n = 0

function call<T>(fn: string, ...args: unknown[]): Promise<T> {
  return page.evaluate(`window.${fn}(${args.map((a) => JSON.stringify(a)).join(', ')})`) as Promise<T>
}

/** The Node core for `kind` and `key`: a writer we made, or a new reader for a tab's core. */
async function nodeCore(kind: 'ours' | 'real', key: string) {
  const id = `${kind}/${key}`
  let entry = nodeCores.get(id)
  if (!entry) {
    if (kind === 'ours') {
      const core = new Hypercore(openMemoryStorage(), Buffer.from(key, 'hex'))
      await core.ready()
      entry = { kind, core }
    } else {
      const core = new RealHypercore(join(dir, `reader-${++n}`), Buffer.from(key, 'hex'))
      await core.ready()
      entry = { kind, core }
    }
    // a reader for a tab's core fetches everything the tab offers, live
    entry.core.download({ start: 0, end: -1 })
    nodeCores.set(id, entry)
  }
  return entry
}

beforeAll(async () => {
  await ready()
  oursWriter = new Hypercore(openMemoryStorage())
  await oursWriter.append(content('ours node block').map((s) => new TextEncoder().encode(s)))
  realWriter = new RealHypercore(join(dir, 'real-writer'))
  await realWriter.append(content('real node block').map((s) => Buffer.from(s)))
  nodeCores.set(`ours/${hex(oursWriter.key!)}`, { kind: 'ours', core: oursWriter })
  nodeCores.set(`real/${hex(realWriter.key)}`, { kind: 'real', core: realWriter })

  wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  // the Node core for a socket exists before the tab connects, so the replication stream is
  // attached synchronously and no early message is missed
  wss.on('connection', (socket, req) => {
    const [, kind, key] = (req.url ?? '').split('/') as [string, 'ours' | 'real', string]
    const entry = nodeCores.get(`${kind}/${key}`)
    if (!entry) return socket.close()
    if (entry.kind === 'ours')
      entry.core.replicate(false, { stream: fromWebSocket(socket as never), keepAlive: 0 })
    else
      entry.core.replicate(new RealSecretStream(false, createWebSocketStream(socket)), { keepAlive: false })
  })
  await new Promise((r) => wss.once('listening', r))
  wsUrl = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`

  server = await servePage(fileURLToPath(new URL('./pages/replication-page.ts', import.meta.url)))
  chromium = await launchChromium(mkdtempSync(join(dir, 'profile-')))
  page = await chromium.open(server.url)
}, 60_000)

afterAll(async () => {
  await chromium?.close()
  await server?.close()
  wss?.close()
  for (const { core } of nodeCores.values()) await core.close()
  rmSync(dir, { recursive: true, force: true })
})

interface ReadResult {
  length: number
  treeHash: string
  blocks: string[]
}

describe('a Chromium tab replicating over a WebSocket', () => {
  it('reads a core from our Node core into IndexedDB', async () => {
    const got = await call<ReadResult>(
      'readFrom',
      `${wsUrl}/ours/${hex(oursWriter.key!)}`,
      'from-ours',
      hex(oursWriter.key!),
      N
    )
    expect(got.blocks).toEqual(content('ours node block'))
    expect(got.treeHash).toBe(hex(await oursWriter.treeHash()))
  }, 60_000)

  it('reads a core from the real hypercore into IndexedDB', async () => {
    const got = await call<ReadResult>(
      'readFrom',
      `${wsUrl}/real/${hex(realWriter.key)}`,
      'from-real',
      hex(realWriter.key),
      N
    )
    expect(got.blocks).toEqual(content('real node block'))
    expect(got.treeHash).toBe(hex(await realWriter.treeHash()))
  }, 60_000)

  for (const kind of ['ours', 'real'] as const) {
    it(`writes a core in the tab that ${kind === 'ours' ? 'our' : 'the real'} Node core downloads`, async () => {
      const { key, treeHash } = await call<{ key: string; treeHash: string }>(
        'createWriter',
        `written-for-${kind}`,
        N
      )
      const entry = await nodeCore(kind, key)
      const uploaded = await call<number>('serveTo', `${wsUrl}/${kind}/${key}`, `written-for-${kind}`)
      expect(uploaded).toBeGreaterThanOrEqual(N)
      await entry.core.download({ start: 0, end: N }).done()
      for (let i = 0; i < N; i++) {
        const v = await entry.core.get(i, { wait: false })
        expect(new TextDecoder().decode(v as Uint8Array)).toBe(`tab block ${i}`)
      }
      expect(hex(new Uint8Array(await entry.core.treeHash()))).toBe(treeHash)
    }, 60_000)
  }

  it('finds everything in IndexedDB after a reload, with no network', async () => {
    await page.reload()
    await page.waitForFunction('typeof window.stored === "function"')
    const fromOurs = await call<ReadResult & { writable: boolean }>(
      'stored',
      'from-ours',
      hex(oursWriter.key!)
    )
    expect(fromOurs.blocks).toEqual(content('ours node block'))
    expect(fromOurs.writable).toBe(false)
    const fromReal = await call<ReadResult & { writable: boolean }>(
      'stored',
      'from-real',
      hex(realWriter.key)
    )
    expect(fromReal.blocks).toEqual(content('real node block'))
    for (const kind of ['ours', 'real']) {
      const written = await call<ReadResult & { writable: boolean }>('stored', `written-for-${kind}`, null)
      expect(written.length).toBe(N)
      expect(written.writable).toBe(true)
      expect(written.blocks[N - 1]).toBe(`tab block ${N - 1}`)
    }
  }, 60_000)
})
