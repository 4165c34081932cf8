/**
 * Availability, in real Chromium (issue 14): tab A, on IndexedDB behind an Orchard relay, writes an
 * encrypted core, asks the relay's blind peer (Holepunch's real `blind-peer`) to keep it, waits
 * until it holds every block, and closes — its whole browser context. Tab B, in another context,
 * opens the link later and reads everything from the blind peer, the only peer left. A scan of the
 * blind peer's files finds the plain control core's text and none of the encrypted core's.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ready } from '@orchard/crypto'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { RelayServer } from '../../relay/src/index.ts'
import {
  launchChromium,
  type PageServer,
  type RunningChromium,
  servePage
} from '../../storage/test/browser/chromium.ts'
import { storedAnywhere, until } from './helpers.ts'

const dir = mkdtempSync(join(tmpdir(), 'orchard-bp-tab-'))
let relay: RelayServer
let server: PageServer
let chromium: RunningChromium

beforeAll(async () => {
  await ready()
  relay = await RelayServer.start({ blindPeer: { storage: join(dir, 'blind-peer') } })
  server = await servePage(fileURLToPath(new URL('./browser/tab-page.ts', import.meta.url)))
  chromium = await launchChromium(mkdtempSync(join(dir, 'profile-')))
}, 60_000)

afterAll(async () => {
  await chromium?.close()
  await server?.close()
  await relay?.close()
  rmSync(dir, { recursive: true, force: true })
}, 60_000)

function call<T>(page: import('playwright-core').Page, fn: string, ...args: unknown[]): Promise<T> {
  return page.evaluate(`window.${fn}(${args.map((a) => JSON.stringify(a)).join(', ')})`) as Promise<T>
}

it('a tab writes an encrypted core, the blind peer keeps it, another context reads it later; the blind peer stores no plaintext', async () => {
  const encryptionKey = randomBytes(32).toString('hex')
  const secret = Array.from({ length: 60 }, (_, i) => `secret-${i}-${randomBytes(24).toString('hex')}`)
  const open = Array.from({ length: 5 }, (_, i) => `open-${i}-${randomBytes(24).toString('hex')}`)

  const contextA = await chromium.browser.newContext()
  const pageA = await contextA.newPage()
  await pageA.goto(server.url)
  await pageA.waitForFunction(() => (globalThis as { ready?: boolean }).ready === true)
  const key = await call<string>(pageA, 'write', relay.url, encryptionKey, secret, open)
  await contextA.close() // tab A is gone, and its storage with its context

  const contextB = await chromium.browser.newContext()
  const pageB = await contextB.newPage()
  await pageB.goto(server.url)
  await pageB.waitForFunction(() => (globalThis as { ready?: boolean }).ready === true)
  const blocks = await call<string[]>(pageB, 'read', relay.url, key, encryptionKey, secret.length)
  expect(blocks).toEqual(secret)
  await contextB.close()

  await relay.blindPeer!.flush()
  const stored = relay.blindPeer!.storage
  const bytes = (s: string) => new TextEncoder().encode(s)
  // the scan sees plaintext: the control core's text reaches the blind peer's files. Waited for, as
  // one clean-clone run under the full suite's load did not find it at once (in every other run it
  // sits in RocksDB's write-ahead log by now; the cause of that one miss is not established)
  await until(
    () => open.every((s) => storedAnywhere(stored, bytes(s))),
    'the control core in the blind peer files',
    15_000
  )
  expect(secret.filter((s) => storedAnywhere(stored, bytes(s)))).toEqual([]) // and finds none of the secret
}, 120_000)
