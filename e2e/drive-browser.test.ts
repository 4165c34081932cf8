/**
 * Issue 12's browser acceptance: a Chromium tab writes a drive of 50 files (0 B to 1 MiB, nested
 * folders, executables, a symlink) with `@orchard/hyperdrive` on a Corestore in IndexedDB; the
 * page reloads and the drive, reopened from IndexedDB with no network, holds every file; then one
 * WebSocket replication stream carries it to a Node peer running the real hyperdrive 13 on the
 * real corestore 7, which reads every file with the same bytes, flags and link.
 */
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import RealSecretStream from '@hyperswarm/secret-stream'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createWebSocketStream, WebSocketServer } from 'ws'
import {
  launchChromium,
  type PageServer,
  type RunningChromium,
  servePage
} from '../packages/storage/test/browser/chromium.ts'
import { type DriveReadout, type FileSpec, fill, sum } from './pages/drive-data.ts'
import { pageCall, type Untyped, within } from './relay-helpers.ts'

const driveRequire = createRequire(
  fileURLToPath(new URL('../packages/hyperdrive/package.json', import.meta.url))
)
const RealHyperdrive: Untyped = driveRequire('hyperdrive')
const RealCorestore: Untyped = driveRequire('corestore')

const DB = 'drive-e2e'
const dir = mkdtempSync(join(tmpdir(), 'orchard-drive-e2e-'))
const sizes = [0, 1, 100, 4096, 65_535, 65_536, 65_537, 300_000, 1024 * 1024]
const specs: FileSpec[] = Array.from({ length: 50 }, (_, i) => ({
  path: `/photos/${['2024', '2025', '2026'][i % 3]}/${i % 2 ? 'raw/' : ''}img-${i}.bin`,
  size: sizes[i % sizes.length]! + (i > 8 ? i : 0),
  seed: i + 1,
  executable: i % 7 === 0
}))

let server: PageServer
let chromium: RunningChromium
let page: Page
let wss: WebSocketServer

beforeAll(async () => {
  server = await servePage(fileURLToPath(new URL('./pages/drive-page.ts', import.meta.url)))
  chromium = await launchChromium(mkdtempSync(join(dir, 'profile-')))
  page = await chromium.open(server.url)
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise((r) => wss.once('listening', r))
}, 60_000)

afterAll(async () => {
  await chromium?.close()
  await server?.close()
  await new Promise((r) => wss?.close(r))
  rmSync(dir, { recursive: true, force: true })
}, 60_000)

/** The readout the tab should give: every spec'd file, and the link. */
function expected(readout: DriveReadout) {
  const files: DriveReadout['files'] = {}
  for (const f of specs)
    files[f.path] = { size: f.size, sum: sum(fill(f.size, f.seed)), executable: f.executable }
  expect(readout.files).toEqual(files)
  expect(readout.links).toEqual({ '/latest': specs[0]!.path })
}

it('a drive of 50 files in IndexedDB survives a reload and replicates to the real hyperdrive in Node', async () => {
  const written = await within(pageCall<DriveReadout>(page, 'create', DB, specs), 60_000, 'tab writes')
  expected(written)

  await page.reload()
  await page.waitForFunction(() => (globalThis as { ready?: boolean }).ready === true)
  const reopened = await within(
    pageCall<DriveReadout>(page, 'reopen', DB, written.key),
    60_000,
    'tab reopens'
  )
  expected(reopened)
  expect(reopened.version).toBe(written.version)
  expect(reopened.contentKey).toBe(written.contentKey)

  // the Node peer: the real hyperdrive on the real corestore, reading the tab's drive by its key
  const store = new RealCorestore(join(dir, 'node-store'))
  const drive = new RealHyperdrive(store, Buffer.from(written.key, 'hex'))
  await drive.ready()
  wss.on('connection', (socket) => {
    const stream = new RealSecretStream(false, createWebSocketStream(socket))
    stream.on('error', () => {})
    store.replicate(stream)
  })
  const { port } = wss.address() as AddressInfo
  await pageCall(page, 'serve', `ws://127.0.0.1:${port}`)
  try {
    await within(drive.update({ wait: true }), 30_000, 'the real drive sees the tab’s version')
    expect(drive.version).toBe(written.version)
    const blobs = await within<Untyped>(drive.getBlobs(), 30_000, 'the real drive opens the blobs core')
    expect(blobs.core.key.toString('hex')).toBe(written.contentKey)
    for (const f of specs) {
      const entry = await within<Untyped>(drive.entry(f.path), 30_000, `entry ${f.path}`)
      expect(entry.value.executable, f.path).toBe(f.executable)
      const bytes: Buffer = await within(drive.get(f.path), 30_000, `get ${f.path}`)
      expect(bytes.byteLength, f.path).toBe(f.size)
      const want = createHash('sha256').update(fill(f.size, f.seed)).digest('hex')
      expect(createHash('sha256').update(bytes).digest('hex'), f.path).toBe(want)
    }
    expect((await drive.entry('/latest')).value.linkname).toBe(specs[0]!.path)
    const listed: string[] = []
    for await (const e of drive.list('/', { recursive: true })) listed.push(e.key)
    expect(listed.sort()).toEqual([...specs.map((f) => f.path), '/latest'].sort())
  } finally {
    await drive.close()
    await store.close()
  }
}, 180_000)
