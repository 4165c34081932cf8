/**
 * `pnpm bench tabs`: Hyperbee puts from a client tab, through the owner tab (`@orchard/tabs`:
 * BroadcastChannel, the owner's write queue, IndexedDB), against the same puts made in the owner
 * tab itself — two tabs of one origin in Debian's Chromium, one store. Small values (32 bytes),
 * awaited one at a time, 16 in flight, and in batches of 100.
 *
 * Here `real` is not a Holepunch package (the real stack has no tabs): it is the owner-tab
 * baseline, so the ratio is client-through-owner ÷ in-owner (goal ≥ 0.5×). Beside it, the same
 * puts through a plain Hyperbee on the owner's Corestore (what this package costs the owner tab
 * itself). Measured in alternating windows, several rounds, best window of each kept.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import { launchChromium, servePage } from '../../packages/storage/test/browser/chromium.ts'
import type { BenchContext } from '../harness.ts'

const ROUNDS = 3
const WINDOW_MS = 1500

const WORKLOADS: { metric: string; window: number; batch: number }[] = [
  { metric: 'bee put, awaited one at a time', window: 1, batch: 1 },
  { metric: 'bee put, 16 in flight', window: 16, batch: 1 },
  { metric: 'bee batch of 100 puts', window: 1, batch: 100 }
]

function call<T>(page: Page, fn: string, ...args: unknown[]): Promise<T> {
  return page.evaluate(`window.${fn}(${args.map((a) => JSON.stringify(a)).join(', ')})`) as Promise<T>
}

export default async function tabs(ctx: BenchContext): Promise<void> {
  const server = await servePage(
    fileURLToPath(new URL('../../packages/tabs/test/fixtures/tabs-page.ts', import.meta.url))
  )
  const dir = mkdtempSync(join(tmpdir(), 'orchard-bench-tabs-'))
  const chromium = await launchChromium(dir)
  try {
    const owner = await chromium.open(server.url)
    const ownerRole = await call<{ owner: boolean }>(owner, 'open', 'bench-tabs')
    const client = await chromium.open(server.url)
    const clientRole = await call<{ owner: boolean }>(client, 'open', 'bench-tabs')
    if (!ownerRole.owner || clientRole.owner) throw new Error('the first tab should own the store')
    let tag = 0
    for (const w of WORKLOADS) {
      let inOwner = 0
      let viaOwner = 0
      let raw = 0
      const measure = (page: Page, prefix: string, plain = false) =>
        call<number>(page, 'measurePuts', `${prefix}${tag++}`, WINDOW_MS, w.window, w.batch, plain)
      for (let round = 0; round < ROUNDS; round++) {
        inOwner = Math.max(inOwner, await measure(owner, 'o'))
        viaOwner = Math.max(viaOwner, await measure(client, 'c'))
        raw = Math.max(raw, await measure(owner, 'r', true))
      }
      ctx.report({
        metric: `${w.metric}: client tab via owner`,
        unit: 'puts/s',
        ours: viaOwner,
        real: inOwner,
        extra: { 'plain Hyperbee in owner': raw }
      })
    }
  } finally {
    await chromium.close()
    await server.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
