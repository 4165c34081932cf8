/**
 * Orchard Notebook, driven as a person would through its UI in real Chromium (issue 14):
 * 1. in one browser context, create a notebook, add a note and a photo, copy the share link; open
 *    the link in a second browser context (another "device": its own storage and relay session)
 *    and see the note and the photo arrive, read-only, with full progress bars;
 * 2. a native peer — `web/node/cli.ts` on the REAL hyperswarm, corestore, hyperbee and hyperdrive,
 *    in its own process — opens the same link and reads the note and the photo's exact bytes;
 *    The native peer also creates a notebook of its own (a note, a photo) and the second context
 *    opens its link: Node writes, the tab reads;
 * 3. offline: the first context goes offline and the relay stops; the installed app reloads from
 *    its service worker, opens the notebook from IndexedDB and takes an edit; the relay restarts on
 *    the same port, the context comes back online, and the second context sees the edit.
 *
 * 4. a second tab of the first browser shows "open in another tab" (one tab works on the IndexedDB
 *    store at a time) and takes over once the first tab closes;
 * 5. a third browser context writes a notebook, waits until the app says the relay's blind peer
 *    keeps it, and is closed; a fourth context opens the link and reads it from the blind peer.
 *
 * The DHT is a loopback testnet of the test's own, so it outlives the relay's restart (as a real
 * DHT outlives a relay); the app is built with Vite into a temporary folder and served with the
 * same server `pnpm start` uses. Screenshots of every step go to `e2e/artifacts/demo/`.
 */
import { execFile, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toHex } from '../packages/codec/src/index.ts'
import { RelayServer } from '../packages/relay/src/index.ts'
import { launchChromium, type RunningChromium } from '../packages/storage/test/browser/chromium.ts'
import { buildApp } from '../web/node/build.ts'
import { type AppServer, serveApp } from '../web/node/serve.ts'
import { encodePng } from '../web/vite/icons.ts'
import { createTestnet, type Untyped, within } from './relay-helpers.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'orchard-demo-'))
const artifacts = fileURLToPath(new URL('./artifacts/demo/', import.meta.url))
const TITLE = 'Trip to Lisbon'
const NOTE = 'Pastéis de nata at Manteigaria, 8 am before the queue'
const KEPT_NOTE = 'Written in a tab that was closed before anyone else opened the link'
const EDITED = 'Pastéis de nata at Manteigaria — go at 8 am, and try Alfama after'

/** A small "photo": a colour gradient, as a real PNG. */
function photo(): Uint8Array {
  const w = 96
  const h = 64
  const px = new Uint8Array(w * h * 4)
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      px.set([40 + (x * 200) / w, 90 + (y * 120) / h, 160 - (x * 100) / w, 255], (y * w + x) * 4)
    }
  }
  return encodePng(w, h, px)
}
const PHOTO = photo()
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

let testnet: Untyped
let relay: RelayServer | null = null
let relayPort = 0
let bootstrap: string[] = []
let app: AppServer
let chromium: RunningChromium
let contextA: BrowserContext
let contextB: BrowserContext
let pageA: Page
let pageB: Page
let link = ''
let step = 0

async function startRelay(port: number): Promise<RelayServer> {
  // the blind peer keeps its key (a seed in its folder) and its data across the relay's restart
  return RelayServer.start({
    port,
    bootstrap: testnet.bootstrap,
    dhtHost: '127.0.0.1',
    blindPeer: { storage: join(dir, 'blind-peer') }
  })
}

/** Saves a screenshot of `page` as the next numbered step. */
async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({
    path: join(artifacts, `${String(++step).padStart(2, '0')}-${name}.png`),
    fullPage: true
  })
}

/** Console errors and page errors of `page` (WebSocket failures while the relay is down are expected). */
function watchErrors(page: Page): string[] {
  const errors: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text())
  })
  page.on('pageerror', (err) => errors.push(err.message))
  return errors
}

/** The notes page shows now, in order. */
function notesOf(page: Page): Promise<string[]> {
  return page.locator('[data-testid=note-text]').allTextContents()
}

/** Waits until `page` shows exactly `texts` as its notes. */
async function waitForNotes(page: Page, texts: string[], ms: number): Promise<void> {
  await page.waitForFunction(
    (want) =>
      JSON.stringify(
        Array.from(document.querySelectorAll('[data-testid=note-text]'), (e) => e.textContent)
      ) === JSON.stringify(want),
    texts,
    { timeout: ms }
  )
}

/** The progress rows of the sync panel: label → [downloaded, length]. */
async function progressOf(page: Page): Promise<Record<string, string>> {
  const rows = await page.locator('[data-testid=progress-row]').all()
  const out: Record<string, string> = {}
  for (const row of rows) {
    out[(await row.getAttribute('data-core'))!] = (await row.locator('.progress-count').textContent())!.split(
      ' · '
    )[0]!
  }
  return out
}

beforeAll(async () => {
  // this run's screenshots only
  rmSync(artifacts, { recursive: true, force: true })
  mkdirSync(artifacts, { recursive: true })
  testnet = await createTestnet(3, { host: '127.0.0.1' })
  bootstrap = testnet.bootstrap.map((n: { host: string; port: number }) => `${n.host}:${n.port}`)
  relay = await startRelay(0)
  relayPort = relay.address().port
  const built = await buildApp(join(dir, 'dist'))
  const blindPeer = toHex(relay.blindPeer!.publicKey)
  app = await serveApp({ dir: built, relayPort: () => relayPort, bootstrap, blindPeers: () => [blindPeer] })
  chromium = await launchChromium(mkdtempSync(join(dir, 'profile-')))
  contextA = await chromium.browser.newContext()
  contextB = await chromium.browser.newContext()
  await contextA.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(app.url).origin })
}, 120_000)

afterAll(async () => {
  await contextA?.close().catch(() => {})
  await contextB?.close().catch(() => {})
  await chromium?.close()
  await app?.close()
  await relay?.close()
  await testnet?.destroy()
  rmSync(dir, { recursive: true, force: true })
}, 60_000)

describe('Orchard Notebook: two browsers, a native peer, offline', () => {
  it('creates a notebook with a note and a photo, shares the link, and a second browser context sees both', async () => {
    pageA = await contextA.newPage()
    const errorsA = watchErrors(pageA)
    await pageA.goto(app.url)
    await pageA.waitForSelector('body[data-state=home]')
    await shot(pageA, 'a-home')

    await pageA.getByTestId('new-title').fill(TITLE)
    await pageA.getByTestId('create-notebook').click()
    await pageA.waitForSelector('body[data-state=notebook]')
    expect(await pageA.getByTestId('notebook-title').textContent()).toBe(TITLE)
    expect(await pageA.getByTestId('role').textContent()).toContain('You write')

    await pageA.getByTestId('new-note').fill(NOTE)
    await pageA.getByTestId('add-note').click()
    await waitForNotes(pageA, [NOTE], 10_000)
    await pageA.getByTestId('add-photo').setInputFiles({
      name: 'pasteis.png',
      mimeType: 'image/png',
      buffer: Buffer.from(PHOTO)
    })
    await pageA.waitForSelector('[data-testid=photo-img]')
    await shot(pageA, 'a-note-and-photo')

    await pageA.getByTestId('copy-link').click()
    link = await pageA.evaluate(() => navigator.clipboard.readText())
    expect(link).toBe(await pageA.getByTestId('share-link').inputValue())
    expect(link).toMatch(new RegExp(`^${app.url}#key=[a-z0-9]{52}$`))

    pageB = await contextB.newPage()
    await pageB.goto(link)
    await pageB.waitForSelector('body[data-state=notebook]')
    await within(waitForNotes(pageB, [NOTE], 60_000), 61_000, 'the second context sees the note')
    await pageB.waitForFunction(
      () =>
        (document.querySelector('[data-testid=photo-img]') as HTMLImageElement | null)?.naturalWidth === 96,
      null,
      { timeout: 60_000 }
    )
    expect(await pageB.getByTestId('notebook-title').textContent()).toBe(TITLE)
    expect(await pageB.getByTestId('role').textContent()).toContain('Read-only')
    expect(await pageB.getByTestId('new-note').count()).toBe(0)
    // every core fully downloaded: the bars fill (the panel redraws a moment after the blocks land)
    await pageB.waitForFunction(
      () => {
        const rows = Array.from(document.querySelectorAll('[data-testid=progress-row] progress'))
        return (
          rows.length === 3 &&
          rows.every((p) => (p as HTMLProgressElement).value === (p as HTMLProgressElement).max)
        )
      },
      null,
      { timeout: 30_000 }
    )
    const progress = await progressOf(pageB)
    for (const [label, count] of Object.entries(progress)) {
      const [have, of] = count.split(' ')[0]!.split('/')
      expect(`${label}: ${have}`).toBe(`${label}: ${of}`)
    }
    expect(await pageB.getByTestId('peers').getAttribute('data-peers')).toBe('1')
    await shot(pageB, 'b-opened-link')
    expect(errorsA).toEqual([])
  }, 120_000)

  it('a native peer (the real hyperswarm + corestore + hyperbee + hyperdrive, in its own process) reads the notebook', async () => {
    const { stdout } = await promisify(execFile)(
      'node',
      [
        '--import',
        'tsx',
        'web/node/cli.ts',
        link,
        '--json',
        '--storage',
        join(dir, 'native'),
        '--timeout',
        '30000'
      ],
      { cwd: root, timeout: 90_000 }
    )
    const readout = JSON.parse(stdout.trim().split('\n').at(-1)!)
    expect(readout.title).toBe(TITLE)
    expect(readout.writable).toBe(false)
    expect(readout.notes.map((n: { text: string }) => n.text)).toEqual([NOTE])
    expect(readout.photos).toHaveLength(1)
    expect(readout.photos[0]).toMatchObject({
      name: 'pasteis.png',
      type: 'image/png',
      size: PHOTO.byteLength
    })
    expect(readout.photos[0].sha256).toBe(sha256(PHOTO))
  }, 120_000)

  it('a notebook the native peer creates and writes opens in a tab', async () => {
    const photoFile = join(dir, 'from-node.png')
    writeFileSync(photoFile, PHOTO)
    const cli = spawn(
      'node',
      [
        '--import',
        'tsx',
        'web/node/cli.ts',
        '--create',
        'From the terminal',
        '--add',
        'Written by the real hyperbee in Node',
        '--photo',
        photoFile,
        '--app',
        app.url,
        '--storage',
        join(dir, 'native-writer')
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] }
    )
    let output = ''
    cli.stdout.on('data', (b: Buffer) => (output += b.toString()))
    cli.stderr.on('data', (b: Buffer) => (output += b.toString()))
    const exited = new Promise<number | null>((resolve) => cli.once('exit', (code) => resolve(code)))
    try {
      const until = Date.now() + 60_000
      while (!/Photo from-node\.png added/.test(output) && Date.now() < until)
        await new Promise((r) => setTimeout(r, 50))
      const nodeLink = /Created "From the terminal": (\S+)/.exec(output)?.[1]
      expect(nodeLink, output).toMatch(new RegExp(`^${app.url}#key=[a-z0-9]{52}$`))
      await pageB.goto(nodeLink!)
      await within(
        waitForNotes(pageB, ['Written by the real hyperbee in Node'], 60_000),
        61_000,
        'the tab sees the note written in Node'
      )
      await pageB.waitForFunction(
        () =>
          (document.querySelector('[data-testid=photo-img]') as HTMLImageElement | null)?.naturalWidth === 96,
        null,
        { timeout: 60_000 }
      )
      expect(await pageB.getByTestId('notebook-title').textContent()).toBe('From the terminal')
      await shot(pageB, 'b-opened-node-notebook')
      // the native writer saw the tab download it
      while (!/A peer has it/.test(output) && Date.now() < until) await new Promise((r) => setTimeout(r, 50))
      expect(output).toContain('A peer has it')
    } finally {
      cli.kill('SIGINT')
    }
    expect(await exited).toBe(0)
    // back to the tab's own notebook for the offline part
    await pageB.goto(link)
    await waitForNotes(pageB, [NOTE], 30_000)
  }, 150_000)

  it('offline, the app reloads from its service worker and takes an edit, which reaches the other context once back online', async () => {
    // the app is installed: its service worker controls the page
    await pageA.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 30_000 })

    await contextA.setOffline(true)
    await relay!.close()
    relay = null
    await pageA.reload()
    await pageA.waitForSelector('body[data-state=notebook]', { timeout: 30_000 })
    await waitForNotes(pageA, [NOTE], 30_000)
    await pageA.waitForSelector('[data-testid=photo-img]')
    // the reload happened with the network cut: a request the cache cannot answer fails
    expect(
      await pageA.evaluate(() =>
        fetch(`/not-cached-${Math.random()}`).then(
          () => 'reached',
          () => 'failed'
        )
      )
    ).toBe('failed')
    // Chromium 150 keeps the network cut across the reload but reports `navigator.onLine` true
    // in the new document: send it the offline state again (emulation and the newer override of
    // the network state), with no online moment in between
    const cdp = await contextA.newCDPSession(pageA)
    const offline = { offline: true, latency: 0, downloadThroughput: -1, uploadThroughput: -1 }
    await cdp.send('Network.emulateNetworkConditions', offline)
    await cdp.send('Network.overrideNetworkState' as never, offline as never)
    await pageA.waitForFunction(() => !navigator.onLine, null, { timeout: 5_000 })
    await cdp.detach()
    expect(await pageA.getByTestId('relay-state').getAttribute('data-state')).toBe('offline')
    await shot(pageA, 'a-offline-reloaded')

    await pageA.locator('[data-testid=note] [data-testid=edit]').click()
    await pageA.getByTestId('edit-note').fill(EDITED)
    await pageA.getByTestId('save-note').click()
    await waitForNotes(pageA, [EDITED], 10_000)
    await shot(pageA, 'a-offline-edited')
    // the edit is stored in IndexedDB: it is there after another offline reload
    await pageA.reload()
    await waitForNotes(pageA, [EDITED], 30_000)
    // and the other context cannot have it yet
    expect(await notesOf(pageB)).toEqual([NOTE])

    relay = await startRelay(relayPort)
    await contextA.setOffline(false)
    await within(waitForNotes(pageB, [EDITED], 90_000), 91_000, 'the second context sees the edit')
    await pageA.waitForFunction(
      () => document.querySelector('[data-testid=relay-state]')?.getAttribute('data-state') === 'online',
      null,
      { timeout: 30_000 }
    )
    await shot(pageA, 'a-back-online')
    await shot(pageB, 'b-sees-edit')
  }, 180_000)

  it('a second tab of the same browser shows "open in another tab", then takes over when the first closes', async () => {
    const second = await contextA.newPage()
    await second.goto(link)
    await second.waitForSelector('body[data-state=locked]', { timeout: 30_000 })
    expect(await second.getByTestId('locked').textContent()).toContain('open in another tab')
    await shot(second, 'a2-locked')
    await pageA.close()
    await second.waitForSelector('body[data-state=notebook]', { timeout: 30_000 })
    await waitForNotes(second, [EDITED], 30_000)
    await shot(second, 'a2-took-over')
  }, 90_000)

  it("a notebook stays available from the relay's blind peer once every tab of its writer is closed", async () => {
    const writer = await chromium.browser.newContext()
    const page = await writer.newPage()
    await page.goto(app.url)
    await page.waitForSelector('body[data-state=home]')
    await page.getByTestId('new-title').fill('Kept while closed')
    await page.getByTestId('create-notebook').click()
    await page.waitForSelector('body[data-state=notebook]')
    await page.getByTestId('new-note').fill(KEPT_NOTE)
    await page.getByTestId('add-note').click()
    await waitForNotes(page, [KEPT_NOTE], 10_000)
    // the app says when the blind peer holds every block: the moment the user may close the tab
    await page.waitForSelector('[data-testid=kept][data-kept=kept]', { timeout: 60_000 })
    expect(await page.getByTestId('peers').getAttribute('data-peers')).toBe('0')
    await shot(page, 'c-kept-by-blind-peer')
    const keptLink = await page.getByTestId('share-link').inputValue()
    await writer.close() // every tab of the writer's browser is gone

    const later = await chromium.browser.newContext()
    try {
      const reader = await later.newPage()
      await reader.goto(keptLink)
      await reader.waitForSelector('body[data-state=notebook]')
      await within(waitForNotes(reader, [KEPT_NOTE], 60_000), 61_000, 'the note from the blind peer')
      expect(await reader.getByTestId('notebook-title').textContent()).toBe('Kept while closed')
      // no swarm peer holds it (the writer is gone): it came from the blind peer
      expect(await reader.getByTestId('peers').getAttribute('data-peers')).toBe('0')
      await shot(reader, 'd-reads-from-blind-peer')
    } finally {
      await later.close()
    }
  }, 180_000)
})
