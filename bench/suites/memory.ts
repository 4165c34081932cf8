/**
 * `pnpm bench memory`: peak memory while a reader downloads a 1 GiB core (16 384 × 64 KiB) from
 * a Node writer (our Hypercore on file storage, filled in batches of deterministic blocks) over a
 * loopback WebSocket — the goal is a heap bounded well below the core (< 256 MiB).
 *
 * - In a headless Chromium tab on IndexedDB: the page samples `performance.memory.usedJSHeapSize`
 *   every 50 ms (exact with `--enable-precise-memory-info`; in this Chromium it counts ArrayBuffer
 *   bytes as well as the V8 heap). Beside it: the renderer process's peak RSS (read from `/proc`),
 *   and what the tab still holds after the download and a forced GC, core still open.
 * - In Node (own process): our Hypercore on `@orchard/storage/fs`, and as `real` the real
 *   hypercore 11 on its own storage, from the same writer; `process.memoryUsage()` polled every
 *   50 ms. The figure is `heapUsed + arrayBuffers` — the same bytes Chromium's figure counts;
 *   block bytes live in ArrayBuffers, so `heapUsed` alone (beside it) misses them.
 *
 * Lower is better in these rows: a ratio below 1 means ours holds less than the real hypercore.
 * `ORCHARD_BENCH_MEMORY_BLOCKS` overrides the block count (to try the suite quickly).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BenchContext } from '../harness.ts'
import { readInChild } from '../replicate/node-reader.ts'
import { openSourceCore } from '../replicate/source.ts'
import { openBenchTab } from '../replicate/tab.ts'

const BLOCKS = Number(process.env.ORCHARD_BENCH_MEMORY_BLOCKS ?? 16_384)
const BLOCK_SIZE = 64 * 1024
const SAMPLE_MS = 50
const MiB = 1024 * 1024

export default async function memory(ctx: BenchContext): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'orchard-bench-memory-'))
  const bytes = BLOCKS * BLOCK_SIZE
  const size = bytes >= 1024 * MiB ? `${bytes / (1024 * MiB)} GiB` : `${bytes / MiB} MiB`
  const rate = (ms: number) => bytes / 1e3 / ms
  const source = await openSourceCore(join(root, 'writer'), BLOCKS, BLOCK_SIZE)
  try {
    const tab = await openBenchTab()
    let inTab: Awaited<ReturnType<typeof tab.download>>
    try {
      inTab = await tab.download(source.url, source.key, BLOCKS, BLOCK_SIZE, { sampleMs: SAMPLE_MS })
    } finally {
      await tab.close()
    }
    if (inTab.contiguousLength !== BLOCKS || !inTab.blocksMatch)
      throw new Error('the tab download is incomplete')
    ctx.report({
      metric: `peak heap, tab downloading ${size} (IDB)`,
      unit: 'MiB',
      ours: inTab.heapUsedPeak / MiB,
      real: null,
      extra: {
        'renderer RSS MiB': inTab.rendererRssPeak / MiB,
        'held after GC MiB': (inTab.heapUsedAfterGc + inTab.backingAfterGc) / MiB,
        'MB/s': rate(inTab.ms),
        'longest stall ms': inTab.longestStallMs
      }
    })

    const inNode = async (kind: 'ours' | 'real') => {
      const got = await readInChild({
        kind,
        url: source.url,
        key: source.key,
        length: BLOCKS,
        blockSize: BLOCK_SIZE,
        dir: join(root, `reader-${kind}`),
        sampleMs: SAMPLE_MS
      })
      if (got.contiguousLength !== BLOCKS || !got.blocksMatch)
        throw new Error(`the ${kind} Node download is incomplete`)
      return got
    }
    const ours = await inNode('ours')
    const real = await inNode('real')
    ctx.report({
      metric: `peak heap, Node downloading ${size} (file)`,
      unit: 'MiB',
      ours: ours.heapAndBuffersPeak / MiB,
      real: real.heapAndBuffersPeak / MiB,
      extra: {
        'heapUsed MiB': ours.heapUsedPeak / MiB,
        'RSS MiB': ours.rssPeak / MiB,
        'held after GC MiB': (ours.heapUsedAfterGc + ours.arrayBuffersAfterGc) / MiB,
        'MB/s': rate(ours.ms),
        'real MB/s': rate(real.ms),
        'real RSS MiB': real.rssPeak / MiB
      }
    })
  } finally {
    await source.close()
    rmSync(root, { recursive: true, force: true })
  }
}
