/**
 * Tabs in real Chromium that reach each other over WebRTC. Chromium gathers no ICE candidates when
 * only loopback exists, so everything runs in a private network namespace holding an isolated veth
 * pair with a default route into it (nothing can leave it; we are root): a Node child started in
 * it with `unshare -n` runs the relay (with its embedded loopback testnet) and serves the bundled
 * page (`relay-child.ts`); Chromium joins the child's namespace (`nsenter`), driven by Playwright
 * over a pipe, which crosses namespaces. Used by `netns-webrtc.test.ts` and `pnpm bench webrtc`.
 */
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { type Browser, chromium, type Page } from 'playwright-core'
import { CHROMIUM_ARGS } from '../../../../test/setup/chromium.ts'
import { chromiumInNamespaceOf, startInNetns, VETH_ADDRESS } from '../../../../test/setup/netns.ts'

const root = fileURLToPath(new URL('../../../..', import.meta.url))

export { VETH_ADDRESS }

/** A running namespace: the relay child, and Chromium inside it. */
export interface Namespace {
  /** The page's URL (served inside the namespace). */
  readonly origin: string
  /** The relay's WebSocket URL (inside the namespace). */
  readonly relayUrl: string
  /** Chromium, running in the namespace. */
  readonly browser: Browser
  /** What the pages logged (errors above all), to explain a failure. */
  readonly logs: string[]
  /** Opens the page in a new browser context (its own storage and connections) and waits for `ready`. */
  openTab(): Promise<Page>
  /** Stops the relay (and its testnet); resolves once it is gone. */
  stopRelay(): Promise<void>
  /** Closes Chromium and the child. */
  close(): Promise<void>
}

/**
 * Bundles `pageEntry` (esbuild, as a user's bundler would: no `global` define, no shims), starts
 * the relay child in a new network namespace and Chromium in it.
 */
export async function startNamespace(pageEntry: string): Promise<Namespace> {
  const dir = mkdtempSync(join(tmpdir(), 'orchard-swarm-netns-'))
  const bundlePath = join(dir, 'app.js')
  await build({
    entryPoints: [pageEntry],
    bundle: true,
    outfile: bundlePath,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    logLevel: 'silent'
  })
  const { child, line } = startInNetns(
    fileURLToPath(new URL('./relay-child.ts', import.meta.url)),
    [bundlePath],
    root,
    'pipe'
  )
  let browser: Browser | null = null
  try {
    const [, httpPort, relayPort] = await line(/listening (\d+) (\d+)/)
    browser = await chromium.launch({
      executablePath: chromiumInNamespaceOf(child, dir),
      args: CHROMIUM_ARGS
    })
    const b = browser
    const logs: string[] = []
    return {
      origin: `http://127.0.0.1:${httpPort}/`,
      relayUrl: `ws://127.0.0.1:${relayPort}`,
      browser: b,
      logs,
      async openTab() {
        const context = await b.newContext()
        const page = await context.newPage()
        const tag = `tab ${b.contexts().length}`
        page.on('console', (m) => logs.push(`${tag} ${m.type()}: ${m.text()}`))
        page.on('pageerror', (e) => logs.push(`${tag} pageerror: ${e.message}`))
        await page.goto(`http://127.0.0.1:${httpPort}/`)
        await page.waitForFunction(() => (globalThis as { ready?: boolean }).ready === true)
        return page
      },
      async stopRelay() {
        const stopped = line(/relay stopped/)
        child.stdin!.write('stop-relay\n')
        await stopped
      },
      async close() {
        await b.close()
        await stopChild(child)
        rmSync(dir, { recursive: true, force: true })
      }
    }
  } catch (e) {
    await browser?.close()
    await stopChild(child)
    rmSync(dir, { recursive: true, force: true })
    throw e
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
}

/** Calls `window[fn](...args)` in `page` (arguments as JSON). */
export function pageCall<T>(page: Page, fn: string, ...args: unknown[]): Promise<T> {
  return page.evaluate(`window.${fn}(${args.map((a) => JSON.stringify(a)).join(', ')})`) as Promise<T>
}
