/**
 * Runs the storage workloads on the IndexedDB adapter in Debian's Chromium (driven over CDP with
 * playwright-core, page served from loopback) and returns the page's figures.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { launchChromium, servePage } from '../../packages/storage/test/browser/chromium.ts'
import type { WorkloadResult } from './workloads.ts'

export async function runIdbWorkloads(): Promise<WorkloadResult[]> {
  const server = await servePage(fileURLToPath(new URL('./idb-page.ts', import.meta.url)))
  const profile = mkdtempSync(join(tmpdir(), 'orchard-bench-chromium-'))
  const chromium = await launchChromium(profile)
  try {
    const page = await chromium.open(server.url)
    return (await page.evaluate('window.runIdbBench()')) as WorkloadResult[]
  } finally {
    await chromium.close()
    await server.close()
    rmSync(profile, { recursive: true, force: true })
  }
}
