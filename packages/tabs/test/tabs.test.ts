/**
 * Issue 14's acceptance, end to end in Debian's Chromium: three tabs of one origin (one browser
 * context) share one store. The first tab opened holds it; all three write to the same bee at
 * once, several puts in flight each; the owner tab is closed in the middle; the next tab in the
 * lock's queue takes over and the writes go on. Then every acknowledged write is in the bee once,
 * each tab's writes in the order it made them, as the remaining tabs see it and after a reload.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  launchChromium,
  type PageServer,
  type RunningChromium,
  servePage
} from '../../storage/test/browser/chromium.ts'

const dir = mkdtempSync(join(tmpdir(), 'orchard-tabs-'))
let chromium: RunningChromium
let server: PageServer

/**
 * Writes each client tab makes (the owner tab writes until it is closed). Enough that the clients
 * are still writing when the owner closes, however fast this machine is at the moment.
 */
const COUNT = 2000
const OWNER_ENDLESS = 1_000_000
const WINDOW = 8
const STORE = 'tabs-e2e'

type Progress = { acked: number[]; done: boolean; failed: string | null }
type History = [key: string, value: string | null, seq: number][]

function call<T>(page: Page, fn: string, ...args: unknown[]): Promise<T> {
  return page.evaluate(`window.${fn}(${args.map((a) => JSON.stringify(a)).join(', ')})`) as Promise<T>
}

async function until(cond: () => Promise<boolean>, what: string, ms = 60_000) {
  const end = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** The numbers tab `tag` wrote, in the bee's order, from a history read in a tab. */
function writesOf(history: History, tag: string): number[] {
  return history
    .filter(([key]) => key.startsWith(`${tag}/`))
    .map(([key]) => Number(key.slice(tag.length + 1)))
}

beforeAll(async () => {
  server = await servePage(fileURLToPath(new URL('./fixtures/tabs-page.ts', import.meta.url)))
  chromium = await launchChromium(mkdtempSync(join(dir, 'profile-')))
}, 60_000)

afterAll(async () => {
  await chromium?.close()
  await server?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('three tabs of one origin, one store', () => {
  it('the owner tab closes mid-write: every acknowledged write stays, once and in order, in every tab and after a reload', async () => {
    // the first tab is the owner: it opened the store before the others existed
    const first = await chromium.open(server.url)
    expect(await call(first, 'open', STORE)).toMatchObject({ owner: true })
    const second = await chromium.open(server.url)
    expect(await call(second, 'open', STORE)).toMatchObject({ owner: false })
    const third = await chromium.open(server.url)
    expect(await call(third, 'open', STORE)).toMatchObject({ owner: false })
    const tabs = [first, second, third]
    const tags = ['tab-1', 'tab-2', 'tab-3']

    for (const [i, page] of tabs.entries()) {
      await call(page, 'startWriting', tags[i], page === first ? OWNER_ENDLESS : COUNT, WINDOW)
    }
    await until(async () => {
      for (const page of tabs)
        if ((await call<Progress>(page, 'progress')).acked.length < COUNT / 10) return false
      return true
    }, 'every tab to have written a while')

    // what the owner had acknowledged when it went away; every tab has writes in flight
    const ownerAcked = (await call<Progress>(first, 'progress')).acked
    const before = await Promise.all([second, third].map((page) => call<Progress>(page, 'progress')))
    await first.close()
    for (const p of before) expect(p.done).toBe(false)

    // the tab that asked for the lock next takes over; both finish their writes
    await until(async () => (await call<Progress>(second, 'progress')).done, 'the second tab to finish')
    await until(async () => (await call<Progress>(third, 'progress')).done, 'the third tab to finish')
    expect(await call(second, 'isOwner')).toBe(true)
    expect(await call(third, 'isOwner')).toBe(false)
    for (const page of [second, third]) {
      const p = await call<Progress>(page, 'progress')
      expect(p.failed).toBe(null)
      expect([...p.acked].sort((a, b) => a - b)).toEqual(Array.from({ length: COUNT }, (_, i) => i))
    }

    const check = (history: History) => {
      // seqs run 1, 2, 3, ...: no gap, nothing twice
      expect(history.map(([, , seq]) => seq)).toEqual(history.map((_, i) => i + 1))
      const all = Array.from({ length: COUNT }, (_, i) => i)
      expect(writesOf(history, 'tab-2')).toEqual(all)
      expect(writesOf(history, 'tab-3')).toEqual(all)
      // the closed owner's writes (as many as it got to): in order, no gap, all it acknowledged
      const ownerWrites = writesOf(history, 'tab-1')
      expect(ownerWrites).toEqual(Array.from({ length: ownerWrites.length }, (_, i) => i))
      for (const n of ownerAcked) expect(ownerWrites).toContain(n)
      for (const [key, value] of history) expect(value).toBe(String(Number(key.split('/')[1])))
      expect(history).toHaveLength(2 * COUNT + ownerWrites.length)
    }
    const seenBySecond = await call<History>(second, 'readHistory')
    const seenByThird = await call<History>(third, 'readHistory')
    check(seenBySecond)
    expect(seenByThird).toEqual(seenBySecond)

    // a reloaded tab joins again and reads the same from the store
    await third.reload()
    await third.waitForFunction(() => (globalThis as { ready?: boolean }).ready === true)
    expect(await call(third, 'open', STORE)).toMatchObject({ owner: false })
    expect(await call<History>(third, 'readHistory')).toEqual(seenBySecond)

    // and the owner reloaded: the third tab takes over, the second reads it all from storage
    await second.reload()
    await second.waitForFunction(() => (globalThis as { ready?: boolean }).ready === true)
    expect(await call(second, 'open', STORE)).toMatchObject({ owner: false })
    expect(await call(third, 'isOwner')).toBe(true)
    expect(await call<History>(second, 'readHistory')).toEqual(seenBySecond)
  }, 180_000)
})
