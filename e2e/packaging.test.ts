/**
 * Orchard as a user gets it: every publishable workspace package is packed (`pnpm pack`, so
 * `publishConfig` points at `dist/` and `workspace:*` becomes a version), the tarballs are installed
 * with npm into an empty folder with no workspace around it, and there:
 * - a plain `node` script (no loader) uses a core on disk, replication, sessions, snapshots and
 *   discovery keys; every `examples/node/*.mjs` of the repository runs too;
 * - the relay's `orchard-relay` bin runs under plain node: `--help`, and a start with no flags
 *   (embedded loopback testnet, port 8787) that serves `/health` and a tab session, then SIGTERM;
 * - a strict consumer type-checks against the installed `.d.ts` with `bundler` and `nodenext`
 *   resolution;
 * - a Vite app is built from the tarballs and runs in Chromium: a core on IndexedDB that replicates
 *   with our Node core over a WebSocket, with the hashing kernel streamed in as a `.wasm` asset.
 */
import { spawn } from 'node:child_process'
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync
} from 'node:fs'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Hypercore } from '@orchard/hypercore'
import { openMemoryStorage } from '@orchard/storage'
import { fromWebSocket } from '@orchard/wire'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocketServer } from 'ws'
import { exit, waitFor } from '../packages/relay/test/cli.ts'
import { launchChromium, type RunningChromium } from '../packages/storage/test/browser/chromium.ts'
import {
  buildViteApp,
  fixtures,
  type Manifest,
  packAndInstall,
  publishable,
  root,
  sh
} from './packaging/pack.ts'
import { serveStatic } from './static-server.ts'

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
const tmp = mkdtempSync(join(tmpdir(), 'orchard-packaging-'))
let app = ''

/** Every file an `exports` map names (the values under all conditions, not the subpath keys). */
function exportTargets(exports: unknown): string[] {
  if (typeof exports === 'string') return [exports]
  if (exports === null || typeof exports !== 'object') return []
  return Object.values(exports).flatMap(exportTargets)
}

const packages = publishable()
const installed = (name: string) => join(app, 'node_modules', ...name.split('/'))

beforeAll(async () => {
  app = await packAndInstall(tmp, packages)
}, 240_000)

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true })
})

describe('the packed packages', () => {
  it('have publishable manifests pointing at built files', () => {
    expect(packages.length).toBeGreaterThanOrEqual(7)
    for (const dir of packages) {
      const source = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest
      const m = JSON.parse(readFileSync(join(installed(source.name), 'package.json'), 'utf8')) as Manifest
      expect(m.private, m.name).toBeUndefined()
      expect(m.version).toMatch(/^0\.\d+\.\d+$/)
      expect(m.license).toBe('Apache-2.0')
      expect(m.sideEffects).toBe(false)
      expect(readFileSync(join(installed(m.name), 'LICENSE'), 'utf8')).toContain('Apache License')
      for (const range of Object.values(m.dependencies ?? {})) expect(range).not.toMatch(/^workspace:/)
      // every export condition names a built file (JavaScript or declarations) that is in the tarball
      const targets = exportTargets(m.exports)
      expect(targets.length, m.name).toBeGreaterThan(0)
      for (const path of targets) {
        expect(path, m.name).toMatch(/^\.\/dist\/.*(\.js|\.d\.ts)$/)
        expect(existsSync(join(installed(m.name), path)), `${m.name} ${path}`).toBe(true)
      }
      expect(JSON.stringify(m.exports)).toContain('"types"')
    }
  })

  it('load every entry point under plain node', async () => {
    const specifiers = packages.flatMap((dir) => {
      const m = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest
      return Object.keys(m.exports as Record<string, unknown>).map((sub) => m.name + sub.slice(1))
    })
    const script = `for (const s of ${JSON.stringify(specifiers)}) await import(s)\nconsole.log('loaded', ${specifiers.length})`
    const { stdout } = await sh(process.execPath, ['--input-type=module', '-e', script], app, 60_000)
    expect(stdout.trim()).toBe(`loaded ${specifiers.length}`)
  }, 60_000)

  it('run under plain node: a core on disk, replication by key, a session, a snapshot', async () => {
    copyFileSync(join(fixtures, 'node-smoke.mjs'), join(app, 'node-smoke.mjs'))
    const { stdout } = await sh(process.execPath, ['node-smoke.mjs'], app, 60_000)
    console.log(stdout.trim())
    expect(stdout).toContain('all checks passed')
  }, 60_000)

  it('run every examples/node/*.mjs of the repository', async () => {
    const dir = join(root, 'examples', 'node')
    const examples = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.mjs')) : []
    const exampleDir = join(app, 'examples')
    mkdirSync(exampleDir, { recursive: true })
    for (const file of examples) {
      copyFileSync(join(dir, file), join(exampleDir, file))
      const { stdout } = await sh(process.execPath, [file], exampleDir, 60_000)
      console.log(`examples/node/${file}:\n${stdout.trim()}`)
    }
  }, 180_000)

  it('run the relay as installed: `orchard-relay --help`, then a start with no flags under plain node (embedded testnet, port 8787), /health, a tab session, SIGTERM', async () => {
    const bin = join(app, 'node_modules', '.bin', 'orchard-relay')
    const help = await sh(bin, ['--help'], app)
    for (const flag of ['--port', '--host', '--bootstrap', '--max-sessions'])
      expect(help.stdout).toContain(flag)
    // the bin is the compiled dist/bin.js, run by plain node through its shebang
    expect(realpathSync(bin)).toBe(join(installed('@orchard/relay'), 'dist', 'bin.js'))

    const child = spawn(bin, [], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] })
    const lines: Record<string, unknown>[] = []
    try {
      const listening = await waitFor(child, lines, 'listening')
      expect(listening).toMatchObject({ url: 'ws://127.0.0.1:8787', testnet: true })
      const health = await fetch('http://127.0.0.1:8787/health')
      expect(await health.json()).toMatchObject({ ok: true, sessions: 0 })
      // a tab (the installed client, plain node) opens a session and announces on the embedded DHT
      const script = [
        "import WebSocket from 'ws'",
        "import { RelayDHT } from '@orchard/relay/client'",
        "const tab = new RelayDHT(new WebSocket('ws://127.0.0.1:8787'))",
        'await tab.ready()',
        'await tab.announce(new Uint8Array(32).fill(7))',
        'let found = 0',
        'for await (const r of tab.lookup(new Uint8Array(32).fill(7))) found += r.peers.length',
        "console.log('found', found > 0)",
        'await tab.destroy()'
      ].join('\n')
      const { stdout } = await sh(process.execPath, ['--input-type=module', '-e', script], app, 60_000)
      expect(stdout.trim()).toBe('found true')
      const closed = waitFor(child, lines, 'closed')
      const code = exit(child)
      child.kill('SIGTERM')
      await closed
      expect(await code).toBe(0)
    } finally {
      child.kill('SIGKILL')
    }
  }, 120_000)

  for (const resolution of ['bundler', 'nodenext'] as const) {
    it(`type-check a strict consumer with moduleResolution ${resolution}`, async () => {
      copyFileSync(join(fixtures, 'consumer.ts'), join(app, 'consumer.ts'))
      copyFileSync(join(fixtures, `tsconfig.${resolution}.json`), join(app, `tsconfig.${resolution}.json`))
      const { stdout } = await sh(process.execPath, [tsc, '-p', `tsconfig.${resolution}.json`], app)
      expect(stdout).toBe('')
    }, 120_000)
  }
})

describe('a Vite app built from the tarballs, in Chromium', () => {
  const N = 64
  let server: Server
  let wss: WebSocketServer
  let writer: Hypercore
  let chromium: RunningChromium | undefined

  beforeAll(async () => {
    const built = await buildViteApp(app)

    writer = new Hypercore(await openMemoryStorage())
    await writer.append(Array.from({ length: N }, (_, i) => new TextEncoder().encode(`node block ${i}`)))
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    wss.on('connection', (socket) =>
      writer.replicate(false, { stream: fromWebSocket(socket as never), keepAlive: 0 })
    )
    await new Promise((r) => wss.once('listening', r))
    server = serveStatic(built)
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    chromium = await launchChromium(mkdtempSync(join(tmp, 'profile-')))
  }, 180_000)

  afterAll(async () => {
    await chromium?.close()
    server?.closeAllConnections()
    await new Promise((r) => (server ? server.close(r) : r(null)))
    wss?.close()
    await writer?.close()
  })

  it("reads a Node core's blocks into IndexedDB over a WebSocket", async () => {
    const page = await chromium!.open(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
    const wsUrl = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`
    const key = Buffer.from(writer.key!).toString('hex')
    const got = (await page.evaluate(`window.readFrom(${JSON.stringify(wsUrl)}, '${key}', ${N})`)) as {
      blocks: string[]
      kernel: string
    }
    expect(got.blocks).toEqual(Array.from({ length: N }, (_, i) => `node block ${i}`))
    expect(got.kernel).toBe('asset')
  }, 60_000)
})
