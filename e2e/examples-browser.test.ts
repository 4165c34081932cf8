/**
 * The browser example (`examples/browser`) as a user runs it: built with Vite and opened in
 * Chromium. Its log lives in IndexedDB: the first visit creates it, an entry typed into the form is
 * appended, and after a reload both entries are still listed.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import type { Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import { build } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, type RunningChromium } from '../packages/storage/test/browser/chromium.ts'
import { listen, serveStatic, stop } from './static-server.ts'

const tmp = mkdtempSync(join(tmpdir(), 'orchard-example-browser-'))
const exampleDir = fileURLToPath(new URL('../examples/browser/', import.meta.url))
let server: Server | undefined
let chromium: RunningChromium | undefined
let url = ''

beforeAll(async () => {
  const outDir = join(tmp, 'dist')
  await build({ root: exampleDir, logLevel: 'warn', build: { outDir, emptyOutDir: true } })
  server = serveStatic(outDir)
  url = await listen(server)
  chromium = await launchChromium(mkdtempSync(join(tmp, 'profile-')))
}, 180_000)

afterAll(async () => {
  await chromium?.close()
  await stop(server)
  rmSync(tmp, { recursive: true, force: true })
})

async function entries(page: Page, count: number): Promise<string[]> {
  await page.waitForFunction(`document.querySelectorAll('#entries li').length === ${count}`, null, {
    timeout: 30_000
  })
  return page.$$eval('#entries li', (items) => items.map((li) => li.textContent ?? ''))
}

describe('examples/browser', () => {
  it('keeps its log in IndexedDB across a reload', async () => {
    // the example is a plain app (no test hooks): open it as a visitor would
    const page = await chromium!.context.newPage()
    const errors: string[] = []
    page.on('pageerror', (err) => errors.push(err.message))
    await page.goto(url)
    const first = await entries(page, 1)
    expect(first[0]).toMatch(/first entry/)
    const key = await page.textContent('#key')
    expect(key).toMatch(/^[a-z0-9]{52}$/) // the core's z-base-32 id

    await page.fill('#entry', 'written in the tab')
    await page.click('button[type=submit]')
    expect(await entries(page, 2)).toEqual([first[0], 'written in the tab'])

    await page.reload()
    expect(await entries(page, 2)).toEqual([first[0], 'written in the tab'])
    expect(await page.textContent('#key')).toBe(key)
    expect(await page.textContent('#status')).toMatch(/^2 entries/)
    expect(errors).toEqual([])
  }, 120_000)
})
