/**
 * Drives Debian's Chromium directly for the tests and benches that must outlive a page or a
 * browser: Chromium is spawned by us (so we own its process group and can SIGKILL it), with a
 * persistent profile directory (so IndexedDB survives), and controlled over CDP by playwright-core.
 * Pages load an esbuild bundle from a tiny loopback HTTP server, which gives them a real origin.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from 'esbuild'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../../../test/setup/chromium.ts'

/** Serves `index.html` + the bundle of `entry` on 127.0.0.1. */
export interface PageServer {
  url: string
  close(): Promise<void>
}

/** Bundles `entry` for the browser and serves it at `/` from a loopback server. */
export async function servePage(entry: string): Promise<PageServer> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    logLevel: 'silent'
  })
  const js = result.outputFiles[0]!.contents
  const html =
    '<!doctype html><meta charset="utf-8"><title>orchard</title><script type="module" src="/app.js"></script>'
  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith('/app.js')) {
      res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' })
      res.end(js)
    } else if (req.url === '/' || req.url?.startsWith('/?')) {
      res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'no-store' })
      res.end(html)
    } else {
      res.writeHead(404).end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

/** A Chromium we spawned, with its profile directory. */
export interface RunningChromium {
  browser: Browser
  context: BrowserContext
  proc: ChildProcess
  /** Opens `url` in a new tab and waits until the page script has loaded. */
  open(url: string): Promise<Page>
  /** SIGKILLs the whole browser (every process of it), as a crash or power-off would. */
  kill(): Promise<void>
  /** Closes the browser normally. */
  close(): Promise<void>
}

/** Starts Chromium on profile `userDataDir` and connects to it over CDP. */
export async function launchChromium(userDataDir: string): Promise<RunningChromium> {
  // Chromium's temp dir, removed once the browser is gone: a killed browser leaves its
  // `org.chromium.Chromium.*` singleton dir behind in the temp dir it was given
  const temp = mkdtempSync(join(tmpdir(), 'orchard-chromium-'))
  const proc = spawn(
    CHROMIUM_PATH,
    [...CHROMIUM_ARGS, '--remote-debugging-port=0', `--user-data-dir=${userDataDir}`, 'about:blank'],
    { detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TMPDIR: temp } }
  )
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
  const endpoint = await new Promise<string>((resolve, reject) => {
    let err = ''
    const timer = setTimeout(() => reject(new Error(`Chromium did not start:\n${err}`)), 30_000)
    proc.stderr!.setEncoding('utf8')
    proc.stderr!.on('data', (chunk: string) => {
      err += chunk
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err)
      if (m) {
        clearTimeout(timer)
        resolve(m[1]!)
      }
    })
    proc.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`Chromium exited (${code}) before listening:\n${err}`))
    })
  })
  const browser = await chromium.connectOverCDP(endpoint)
  const context = browser.contexts()[0]!
  const killGroup = () => {
    try {
      process.kill(-proc.pid!, 'SIGKILL')
    } catch {
      // Already gone.
    }
  }
  /**
   * Waits until no process of the browser's group is left: a helper process that outlives the
   * main one (the storage service) would still hold the profile's database locks when the next
   * browser starts on the same profile.
   */
  const groupGone = async (ms: number) => {
    const until = Date.now() + ms
    for (;;) {
      try {
        process.kill(-proc.pid!, 0)
      } catch {
        return true
      }
      if (Date.now() > until) return false
      await new Promise((r) => setTimeout(r, 20))
    }
  }
  return {
    browser,
    context,
    proc,
    async open(url) {
      const page = await context.newPage()
      await page.goto(url)
      await page.waitForFunction(() => (globalThis as { ready?: boolean }).ready === true)
      return page
    },
    async kill() {
      killGroup()
      await exited
      await groupGone(10_000)
      rmSync(temp, { recursive: true, force: true })
    },
    async close() {
      // Ask Chromium itself to shut down (it flushes its profile); kill whatever lingers.
      try {
        const cdp = await browser.newBrowserCDPSession()
        await cdp.send('Browser.close')
      } catch {
        // Lost the connection: fall through to the kill.
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))])
      if (!(await groupGone(5_000))) killGroup()
      await exited
      await groupGone(10_000)
      rmSync(temp, { recursive: true, force: true })
    }
  }
}
