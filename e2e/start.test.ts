/**
 * `pnpm start` as a person runs it: the one command builds Orchard Notebook, starts a relay on an
 * embedded loopback DHT testnet, serves the app and prints the URL. The page it names loads in
 * Chromium with no console error, its service worker takes control and its relay session opens;
 * SIGINT stops everything with exit code 0.
 *
 * Ports are 0 (any free one): other tests run relays at the same time.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BrowserContext } from 'playwright-core'
import { afterAll, expect, it } from 'vitest'
import { launchChromium, type RunningChromium } from '../packages/storage/test/browser/chromium.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'orchard-start-'))
/** Screenshots (git-ignored). */
const artifacts = fileURLToPath(new URL('./artifacts/start/', import.meta.url))

let proc: ChildProcess | null = null
let chromium: RunningChromium | null = null
let context: BrowserContext | null = null

afterAll(async () => {
  await context?.close().catch(() => {})
  await chromium?.close()
  if (proc && proc.exitCode === null) proc.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
}, 60_000)

/** Everything the process printed so far (stdout and stderr). */
let output = ''

/** Resolves with the first match of `pattern` in the output (rejects if the process exits first). */
async function waitForOutput(pattern: RegExp, ms: number): Promise<RegExpExecArray> {
  const until = Date.now() + ms
  for (;;) {
    const m = pattern.exec(output)
    if (m) return m
    if (proc!.exitCode !== null) throw new Error(`pnpm start exited (${proc!.exitCode}); output:\n${output}`)
    if (Date.now() > until) throw new Error(`no ${pattern} in ${ms} ms; output:\n${output}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

it('pnpm start builds and serves the demo; the printed URL loads with no console error; SIGINT exits 0', async () => {
  proc = spawn('pnpm', ['start', '--port', '0', '--relay-port', '0'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  proc.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  proc.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => proc!.once('exit', (code) => resolve(code)))
  const [, url] = await waitForOutput(/Open:\s+(http:\/\/\S+)/, 120_000)
  const [, bootstrap] = await waitForOutput(/DHT bootstrap:\s+(\S+)/, 5_000)
  expect(bootstrap).toMatch(/^127\.0\.0\.1:\d+/)
  const [, blindPeer] = await waitForOutput(/Blind peer:\s+([0-9a-f]{64})/, 5_000)

  chromium = await launchChromium(mkdtempSync(join(dir, 'profile-')))
  context = await chromium.browser.newContext()
  const page = await context.newPage()
  const problems: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`)
  })
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`))
  await page.goto(url!)
  await page.waitForSelector('body[data-state=home]', { timeout: 30_000 })
  await page.getByText('New notebook').waitFor()
  // the service worker installed (the whole app shell precached) and controls the page
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 30_000 })
  // the manifest and its icons are served
  const manifest = await page.evaluate(async () => {
    const href = document.querySelector('link[rel=manifest]')!.getAttribute('href')!
    const m = (await (await fetch(href)).json()) as { name: string; icons: { src: string }[] }
    const icons = await Promise.all(m.icons.map(async (i) => (await fetch(i.src)).status))
    return { name: m.name, icons }
  })
  expect(manifest.name).toBe('Orchard Notebook')
  expect(manifest.icons).toEqual([200, 200, 200])
  // the page's config points at the relay pnpm start runs, and the relay answers
  const config = await page.evaluate(async () => (await fetch('config.json')).json())
  expect(config.relay).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/)
  expect(config.bootstrap).toEqual([bootstrap])
  // and names the blind peer that runs beside it, which the app hands its notebooks to
  expect(config.blindPeers).toEqual([blindPeer])
  // the app's relay session is open
  await page.waitForFunction(
    () =>
      (globalThis as { orchardNotebook?: { sync?: { relay: string } } }).orchardNotebook?.sync?.relay ===
      'online',
    null,
    { timeout: 30_000 }
  )
  mkdirSync(artifacts, { recursive: true })
  await page.screenshot({ path: join(artifacts, 'home.png'), fullPage: true })
  expect(problems).toEqual([])

  proc.kill('SIGINT')
  expect(await exited).toBe(0)
}, 180_000)
