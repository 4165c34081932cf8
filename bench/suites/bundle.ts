/**
 * `pnpm bench bundle`: what the packaging test's Vite app (a core on IndexedDB replicating over a
 * WebSocket; `e2e/packaging/web`) costs a user in bytes. The app is built as a user would build it
 * — from the packed tarballs installed with npm into an empty folder — and every emitted file is
 * gzipped (level 9).
 *
 * "Loaded" is measured, not guessed from file names: the built app is served from loopback, run
 * in Chromium until it has replicated a Node core's blocks into IndexedDB, and the files the page
 * requested are the ones counted. What ships but is never fetched on that path — the inline copy
 * of the kernel (only for a missing `.wasm` asset), libsodium (only for `ready({ libsodium: true })`),
 * the pure-JS fallback (only where WebAssembly cannot run) — is reported on its own rows. The
 * scalar-engine row is the fetched set with the SIMD kernel asset swapped for the scalar one (an
 * engine without SIMD fetches that instead: lib/common.ts picks by validation).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { Hypercore } from '@orchard/hypercore'
import { openMemoryStorage } from '@orchard/storage'
import { fromWebSocket } from '@orchard/wire'
import { buildViteApp, packAndInstall } from '../../e2e/packaging/pack.ts'
import { listen, serveStatic, stop } from '../../e2e/static-server.ts'
import { launchChromium } from '../../packages/storage/test/browser/chromium.ts'
import type { Suite } from '../harness.ts'

// `ws` (a WebSocket server for the Node side) is a dependency of the e2e package, which runs the
// same app in its packaging test.
const { WebSocketServer } = createRequire(new URL('../../e2e/package.json', import.meta.url))('ws') as {
  WebSocketServer: new (opts: {
    host: string
    port: number
  }) => {
    on(event: 'connection', fn: (socket: unknown) => void): void
    once(event: 'listening', fn: () => void): void
    address(): AddressInfo
    close(): void
  }
}

interface Asset {
  file: string
  raw: number
  gzip: number
}

function assets(dir: string): Asset[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(join(dir, f)).isFile())
    .map((file) => {
      const bytes = readFileSync(join(dir, file))
      return { file, raw: bytes.byteLength, gzip: gzipSync(bytes, { level: 9 }).byteLength }
    })
}

const sum = (list: Asset[], key: 'raw' | 'gzip') => list.reduce((n, a) => n + a[key], 0)

const BLOCKS = 64

/**
 * Serves the built app, opens it in Chromium and has it replicate a Node core of BLOCKS blocks
 * into IndexedDB (`window.readFrom`, as the packaging test does); returns the paths it requested.
 */
async function fetchedByTheApp(built: string, scratch: string): Promise<Set<string>> {
  const fetched = new Set<string>()
  const server = serveStatic(built)
  server.on('request', (req) => fetched.add(new URL(req.url ?? '/', 'http://x').pathname.slice(1)))
  const base = await listen(server)
  const writer = new Hypercore(await openMemoryStorage())
  await writer.append(Array.from({ length: BLOCKS }, (_, i) => new TextEncoder().encode(`node block ${i}`)))
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  wss.on('connection', (socket) =>
    writer.replicate(false, { stream: fromWebSocket(socket as never), keepAlive: 0 })
  )
  await new Promise<void>((r) => wss.once('listening', r))
  const chromium = await launchChromium(mkdtempSync(join(scratch, 'profile-')))
  try {
    const page = await chromium.open(base)
    const wsUrl = `ws://127.0.0.1:${wss.address().port}`
    const key = Buffer.from(writer.key!).toString('hex')
    const got = (await page.evaluate(`window.readFrom(${JSON.stringify(wsUrl)}, '${key}', ${BLOCKS})`)) as {
      blocks: string[]
    }
    if (got.blocks.length !== BLOCKS || got.blocks[BLOCKS - 1] !== `node block ${BLOCKS - 1}`)
      throw new Error('the app did not replicate the core')
  } finally {
    await chromium.close()
    await stop(server)
    wss.close()
    await writer.close()
  }
  fetched.delete('') // the page itself: index.html, counted below with the other files by name
  fetched.add('index.html')
  return fetched
}

const suite: Suite = async ({ report }) => {
  const tmp = mkdtempSync(join(tmpdir(), 'orchard-bench-bundle-'))
  try {
    const built = await buildViteApp(await packAndInstall(tmp))
    const all = assets(built)
    const fetched = await fetchedByTheApp(built, tmp)
    const loaded = all.filter((a) => fetched.has(a.file))
    const unused = all.filter((a) => !fetched.has(a.file))
    const simd = all.filter((a) => /kernel-simd-.*\.wasm$/.test(a.file))
    const scalar = all.filter((a) => /kernel-scalar-.*\.wasm$/.test(a.file))
    if (!loaded.some((a) => simd.includes(a))) throw new Error('Chromium did not fetch the SIMD kernel asset')
    const loadedJs = loaded.filter((a) => a.file.endsWith('.js'))
    const row = (metric: string, list: Asset[]) =>
      report({ metric, unit: 'bytes', ours: sum(list, 'gzip'), real: null, extra: { raw: sum(list, 'raw') } })
    const name = (a: Asset) => a.file.replace(/-[\w-]{8}(\.\w+)$/, '$1')

    row('gzip JS + WASM loaded (SIMD engine)', [...loadedJs, ...simd])
    row('gzip JS + WASM loaded (scalar engine)', [...loadedJs, ...scalar])
    row('gzip JS loaded', loadedJs)
    row('gzip WASM kernel asset, SIMD', simd)
    row('gzip WASM kernel asset, scalar', scalar)
    row('gzip shipped, not fetched (lazy chunks, other kernel)', unused)
    row('gzip everything emitted', all)
    const byGzip = (list: Asset[]) =>
      list.filter((x) => !x.file.endsWith('.html')).sort((x, y) => y.gzip - x.gzip)
    for (const a of [...byGzip(loaded), ...byGzip(unused)])
      row(`gzip ${fetched.has(a.file) ? 'loaded' : 'unused'} ${name(a)}`, [a])
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}

export default suite
