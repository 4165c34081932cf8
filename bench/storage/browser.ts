/**
 * Runs the storage workloads in Debian's Chromium (driven over CDP with playwright-core, page
 * served from loopback): on the IndexedDB adapter in the page, then on the OPFS adapter in a
 * dedicated worker, and returns the figures of each.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { launchChromium, servePage } from '../../packages/storage/test/browser/chromium.ts'
import type { WorkloadResult } from './workloads.ts'

export async function runBrowserWorkloads(): Promise<{ idb: WorkloadResult[]; opfs: WorkloadResult[] }> {
  const server = await servePage(fileURLToPath(new URL('./browser-page.ts', import.meta.url)))
  const profile = mkdtempSync(join(tmpdir(), 'orchard-bench-chromium-'))
  const chromium = await launchChromium(profile)
  try {
    const page = await chromium.open(server.url)
    const idb = (await page.evaluate('window.runIdbBench()')) as WorkloadResult[]
    const opfs = (await page.evaluate('window.runOpfsBench()')) as WorkloadResult[]
    return { idb, opfs }
  } finally {
    await chromium.close()
    await server.close()
    rmSync(profile, { recursive: true, force: true })
  }
}
