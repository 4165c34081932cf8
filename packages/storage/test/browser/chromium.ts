/**
 * Drives Debian's Chromium directly for the tests and benches that must outlive a page or a
 * browser: Chromium is spawned by us (so we own its process group and can SIGKILL it), with a
 * persistent profile directory (so IndexedDB survives), and controlled over CDP by playwright-core.
 * Pages load an esbuild bundle from a tiny loopback HTTP server, which gives them a real origin.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { build } from 'esbuild'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'

/** The flags vitest's browser project uses, minus what we set ourselves. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync'
]

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

/** Pids of live processes (of any group or session) running on profile `userDataDir`. */
function profileProcesses(userDataDir: string): number[] {
  const flag = `--user-data-dir=${userDataDir}`
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8')
      // a zombie has an empty command line and holds nothing
      if (cmdline.split('\0').includes(flag)) pids.push(Number(entry))
    } catch {
      // the process ended while we looked
    }
  }
  return pids
}

/**
 * Waits until no process uses profile `userDataDir`, SIGKILLing stragglers after `ms`. A helper
 * process of a previous browser that is still shutting down (the storage service) would otherwise
 * race the next browser on the same profile for its databases.
 */
async function profileReleased(userDataDir: string, ms: number): Promise<void> {
  const until = Date.now() + ms
  for (;;) {
    const pids = profileProcesses(userDataDir)
    if (pids.length === 0) return
    if (Date.now() > until) {
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {
          // already gone
        }
      }
    }
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** Starts Chromium on profile `userDataDir` and connects to it over CDP. */
export async function launchChromium(userDataDir: string): Promise<RunningChromium> {
  await profileReleased(userDataDir, 10_000)
  const proc = spawn(
    process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    [...CHROMIUM_ARGS, '--remote-debugging-port=0', `--user-data-dir=${userDataDir}`, 'about:blank'],
    { detached: true, stdio: ['ignore', 'ignore', 'pipe'] }
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
      await profileReleased(userDataDir, 0)
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
      await profileReleased(userDataDir, 10_000)
    }
  }
}
