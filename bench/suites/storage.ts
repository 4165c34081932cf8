/**
 * `pnpm bench storage`: batched writes and random reads per storage adapter — memory and files in
 * Node, IndexedDB in a Chromium page and OPFS in a dedicated worker of it — as ops/s (MB/s
 * beside). The file adapter is compared with the real hypercore-storage on RocksDB running the
 * same workloads; memory, IndexedDB and OPFS have no Holepunch equivalent (real = null).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openMemoryStorage } from '@orchard/storage'
import { openFileStorage } from '@orchard/storage/fs'
import { type BenchContext, measure } from '../harness.ts'
import { runBrowserWorkloads } from '../storage/browser.ts'
import { openRocksTarget } from '../storage/rocks.ts'
import { flushDir } from '../storage/settle.ts'
import { runWorkloads, storageTarget, type WorkloadResult } from '../storage/workloads.ts'

function report(ctx: BenchContext, adapter: string, ours: WorkloadResult[], real: WorkloadResult[] | null) {
  for (const r of ours) {
    const ref = real?.find((x) => x.metric === r.metric) ?? null
    ctx.report({
      metric: `${adapter}: ${r.metric}`,
      unit: 'ops/s',
      ours: r.opsPerSec,
      real: ref ? ref.opsPerSec : null,
      extra: { 'MB/s': r.mbPerSec, ...(ref ? { 'real MB/s': ref.mbPerSec } : {}) }
    })
  }
}

export default async function storage(ctx: BenchContext): Promise<void> {
  // Files and RocksDB run side by side, window by window, on the same disk.
  const rocks = await openRocksTarget()
  const dir = mkdtempSync(join(tmpdir(), 'orchard-bench-files-'))
  try {
    const files = await openFileStorage(dir)
    const both = await runWorkloads(
      [
        { name: 'rocks', target: rocks.target, settle: () => flushDir(rocks.dir) },
        { name: 'files', target: storageTarget(files), settle: () => flushDir(dir) }
      ],
      measure
    )
    report(ctx, 'files', both.get('files')!, both.get('rocks')!)
    await files.destroy()
  } finally {
    await rocks.close()
    rmSync(dir, { recursive: true, force: true })
  }

  const memory = await openMemoryStorage()
  report(
    ctx,
    'memory',
    (await runWorkloads([{ name: 'memory', target: storageTarget(memory) }], measure)).get('memory')!,
    null
  )
  await memory.close()

  const browser = await runBrowserWorkloads()
  report(ctx, 'idb', browser.idb, null)
  report(ctx, 'opfs', browser.opfs, null)
}
