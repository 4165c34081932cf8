/**
 * Tab ↔ tab WebRTC in real Chromium. Chromium gathers no ICE candidates when only loopback
 * exists, so everything runs in a private network namespace holding an isolated veth pair with a
 * default route into it (nothing can leave it; we are root): a Node child started inside it with
 * `unshare -n` serves the bundled page and relays WebSocket frames between the tabs on the
 * namespace's loopback, and Chromium joins the child's namespace (`nsenter`), driven by
 * Playwright over a pipe, which crosses namespaces. The tabs' secret-stream runs end to end
 * through the child; `upgrade` then moves them to a direct data channel over the veth address.
 */
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM_ARGS } from '../../../test/setup/chromium.ts'
import { chromiumInNamespaceOf, startInNetns } from '../../../test/setup/netns.ts'
import { duplexChecks } from '../../wire/test/duplex-conformance.ts'
import type { UpgradeReport } from './browser/netns-page.ts'

const root = fileURLToPath(new URL('../../..', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'orchard-webrtc-netns-'))

let child: ChildProcess
let origin: string
let browser: Browser

/** Starts the relay child inside a new network namespace; resolves with its port. */
async function startChild(bundlePath: string): Promise<number> {
  const started = startInNetns(
    fileURLToPath(new URL('./netns/relay-child.ts', import.meta.url)),
    [bundlePath],
    root,
    'ignore'
  )
  child = started.child
  const [, port] = await started.line(/listening (\d+)/)
  return Number(port)
}

/** The page's entry points (see browser/netns-page.ts). */
type PageApi = {
  runUpgrade(role: 'a' | 'b', room: string): Promise<UpgradeReport>
  runConformance(): Promise<Record<string, string>>
  step(): string
}

beforeAll(async () => {
  const bundlePath = join(dir, 'app.js')
  // as a user's bundler would see it: no `global` define, no `process`/`events`/`buffer` shims
  await build({
    entryPoints: [fileURLToPath(new URL('./browser/netns-page.ts', import.meta.url))],
    bundle: true,
    outfile: bundlePath,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    logLevel: 'silent'
  })
  const port = await startChild(bundlePath)
  origin = `http://127.0.0.1:${port}/`
  browser = await chromium.launch({ executablePath: chromiumInNamespaceOf(child, dir), args: CHROMIUM_ARGS })
}, 60_000)

afterAll(async () => {
  await browser?.close()
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  }
  rmSync(dir, { recursive: true, force: true })
})

/** What the pages logged (errors above all), to explain a failure. */
const pageLogs: string[] = []

async function openPage() {
  const page = await browser.newPage()
  page.on('console', (m) => pageLogs.push(`${m.type()}: ${m.text()}`))
  page.on('pageerror', (e) => pageLogs.push(`pageerror: ${e.message}`))
  await page.goto(origin)
  await page.waitForFunction(() => (globalThis as { ready?: boolean }).ready === true)
  return page
}

describe('WebRTC between two Chromium tabs, in a private network namespace', () => {
  it('two tabs connected through a relay upgrade to a direct data channel and exchange data over a secret-stream', async () => {
    const [tabA, tabB] = await Promise.all([openPage(), openPage()])
    const room = `room-${Date.now()}`
    const run = Promise.all([
      tabA.evaluate(([r]) => (window as never as PageApi).runUpgrade('a', r!), [room]),
      tabB.evaluate(([r]) => (window as never as PageApi).runUpgrade('b', r!), [room])
    ])
    let timer: ReturnType<typeof setTimeout> | undefined
    const stuck = new Promise<never>((_, reject) => {
      timer = setTimeout(async () => {
        const steps = await Promise.all(
          [tabA, tabB].map((t) => t.evaluate(() => (window as never as PageApi).step()))
        )
        reject(new Error(`stuck at ${steps.join(' / ')}`))
      }, 45_000)
    })
    const [a, b] = await Promise.race([run, stuck])
      .catch((err: Error) => {
        throw new Error(`${err.message}\npage logs:\n${pageLogs.join('\n')}`)
      })
      .finally(() => clearTimeout(timer))

    // the same keys on both paths
    expect(a.remotePublicKey).toBe(b.publicKey)
    expect(b.remotePublicKey).toBe(a.publicKey)
    expect(a.relayedRemotePublicKey).toBe(b.publicKey)
    // over the data channel, between the namespace's veth addresses
    expect(a.directIsPeerDuplex && b.directIsPeerDuplex).toBe(true)
    expect(a.remoteAddress).toBe('10.201.0.1')
    expect([a.greeting, b.greeting]).toEqual(['hello from b', 'hello from a'])
    expect([a.bigReceived, b.bigReceived]).toEqual([1 << 20, 1 << 20])
    expect(a.bigIntact && b.bigIntact).toBe(true)
    // a clean end of the direct path, and the relayed connection carries on
    expect([a.closedWith, b.closedWith]).toEqual([null, null])
    expect([a.relayedAfter, b.relayedAfter]).toEqual(['still relayed, from b', 'still relayed, from a'])
  }, 60_000)

  it('simple-peer data channels pass the Duplex conformance suite in Chromium (bufferedamountlow path)', async () => {
    const page = await openPage()
    const results = (await page.evaluate(() => (window as never as PageApi).runConformance())) as Record<
      string,
      string
    >
    expect(Object.keys(results)).toEqual([...Object.keys(duplexChecks), 'bufferedamountlow supported'])
    for (const [name, outcome] of Object.entries(results)) expect(outcome, name).toBe('ok')
  }, 120_000)
})
