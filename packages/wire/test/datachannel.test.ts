/**
 * WebRTC data channels pass the Duplex conformance suite in real Chromium. Chromium gathers no
 * ICE candidates on loopback alone, so the browser runs in a private network namespace holding an
 * isolated veth pair (nothing can leave it); Playwright drives it over a pipe, and the page is
 * loaded from memory, as nothing outside the namespace is reachable from it.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../../test/setup/chromium.ts'
import { duplexChecksFor } from './duplex-conformance.ts'

const dir = mkdtempSync(join(tmpdir(), 'orchard-webrtc-'))
let browser: Browser

/** A launcher that starts Chromium inside a new network namespace with an isolated veth pair. */
function namespacedChromium(): string {
  const path = join(dir, 'chromium-netns')
  writeFileSync(
    path,
    `#!/bin/sh
exec unshare -n sh -c 'ip link set lo up && ip link add v0 type veth peer name v1 &&
ip addr add 10.201.0.1/24 dev v0 && ip link set v0 up && ip link set v1 up &&
ip route add default via 10.201.0.2 dev v0 && exec "$0" "$@"' ${CHROMIUM_PATH} "$@"
`
  )
  chmodSync(path, 0o755)
  return path
}

beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: namespacedChromium(),
    args: CHROMIUM_ARGS
  })
}, 60_000)

afterAll(async () => {
  await browser?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('Duplex conformance: WebRTC data channel (Chromium)', () => {
  it('passes every check of the shared suite', async () => {
    const bundle = await build({
      entryPoints: [fileURLToPath(new URL('./browser/datachannel-page.ts', import.meta.url))],
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      logLevel: 'silent'
    })
    const page = await browser.newPage()
    await page.setContent('<!doctype html><meta charset="utf-8"><title>orchard webrtc</title>')
    await page.addScriptTag({ content: bundle.outputFiles[0]!.text, type: 'module' })
    await page.waitForFunction(() => (globalThis as { ready?: boolean }).ready === true)
    const results = (await page.evaluate('window.runConformance()')) as Record<string, string>
    expect(Object.keys(results)).toEqual(Object.keys(duplexChecksFor({ halfClose: false })))
    for (const [name, outcome] of Object.entries(results)) expect(outcome, name).toBe('ok')
  }, 120_000)
})
