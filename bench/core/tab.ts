/**
 * Our Hypercore in headless Chromium on IndexedDB (page) and OPFS (dedicated worker), driven from Node for the core bench: Debian's
 * Chromium over CDP (as the storage bench), the page bundled from `tab-page.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { launchChromium, servePage } from '../../packages/storage/test/browser/chromium.ts'
import type { FloorWorkload } from './idb-floor.ts'
import type { TabWorkload } from './tab-page.ts'

/** Cores in a tab: set up with `blocks` blocks each, measured one window at a time. */
export interface TabCore {
  /** Ops/s (blocks/s for appends) over one window of `ms`, on IndexedDB in the page. */
  measure(kind: TabWorkload, ms: number): Promise<number>
  /** The same workload on bare IndexedDB in the same tab (see `idb-floor.ts`). */
  floor(kind: FloorWorkload, ms: number): Promise<number>
  /** The same workload on OPFS in a dedicated worker of the tab. */
  opfs(kind: TabWorkload, ms: number): Promise<number>
  /** The same workload with the core in the page, its storage OPFS in a worker (`connectStorage`). */
  remote(kind: TabWorkload, ms: number): Promise<number>
  close(): Promise<void>
}

export async function openTabCore(blocks: number, cacheBytes?: number): Promise<TabCore> {
  const server = await servePage(fileURLToPath(new URL('./tab-page.ts', import.meta.url)))
  const profile = mkdtempSync(join(tmpdir(), 'orchard-bench-core-chromium-'))
  const chromium = await launchChromium(profile)
  const close = async () => {
    await chromium.close()
    await server.close()
    rmSync(profile, { recursive: true, force: true })
  }
  try {
    const page = await chromium.open(server.url)
    await page.evaluate(`window.coreSetup(${blocks}, ${cacheBytes ?? 'undefined'})`)
    await page.evaluate(`window.opfsSetup(${blocks})`)
    await page.evaluate(`window.remoteSetup(${blocks})`)
    return {
      measure: async (kind, ms) =>
        (await page.evaluate(`window.coreMeasure(${JSON.stringify(kind)}, ${ms})`)) as number,
      floor: async (kind, ms) =>
        (await page.evaluate(`window.coreFloor(${JSON.stringify(kind)}, ${ms})`)) as number,
      opfs: async (kind, ms) =>
        (await page.evaluate(`window.opfsMeasure(${JSON.stringify(kind)}, ${ms})`)) as number,
      remote: async (kind, ms) =>
        (await page.evaluate(`window.remoteMeasure(${JSON.stringify(kind)}, ${ms})`)) as number,
      async close() {
        try {
          await page.evaluate('window.remoteTeardown()')
          await page.evaluate('window.opfsTeardown()')
          await page.evaluate('window.coreTeardown()')
        } finally {
          await close()
        }
      }
    }
  } catch (err) {
    await close()
    throw err
  }
}
