/**
 * Replication into a Chromium tab against replication into Node, in one run: one writer (our
 * Hypercore on file storage, `source.ts`) served over a loopback WebSocket, downloaded whole by a
 * tab on IndexedDB (`tab.ts`), by a dedicated worker of that tab on OPFS, and by a Node reader on
 * file storage in a child process (`node-reader.ts`), in turn, `rounds` times each, each time into a new core in the same
 * tab and the same reader process; the best rate of each counts (the first round warms up the JIT
 * of both, and this VM's timings swing from run to run).
 */
import { join } from 'node:path'
import { openNodeReader } from './node-reader.ts'
import { openSourceCore } from './source.ts'
import { openBenchTab } from './tab.ts'

export interface TabVsNode {
  /** MB/s (10^6 bytes of block data per second) into the tab. */
  tab: number
  /** MB/s into the tab's dedicated worker, on OPFS. */
  worker: number
  /** MB/s into the Node reader. */
  node: number
}

export async function measureTabVsNode(
  root: string,
  blocks: number,
  blockSize: number,
  rounds: number
): Promise<TabVsNode> {
  const source = await openSourceCore(join(root, 'writer'), blocks, blockSize)
  const tab = await openBenchTab().catch(async (err) => {
    await source.close()
    throw err
  })
  const reader = openNodeReader()
  const rate = (ms: number) => (blocks * blockSize) / 1e3 / ms
  const best: TabVsNode = { tab: 0, worker: 0, node: 0 }
  try {
    for (let round = 0; round < rounds; round++) {
      const inTab = await tab.download(source.url, source.key, blocks, blockSize)
      if (inTab.contiguousLength !== blocks || !inTab.blocksMatch)
        throw new Error('the tab download is incomplete')
      best.tab = Math.max(best.tab, rate(inTab.ms))
      const inWorker = await tab.downloadInWorker(source.url, source.key, blocks, blockSize)
      if (inWorker.contiguousLength !== blocks || !inWorker.blocksMatch)
        throw new Error('the worker download is incomplete')
      best.worker = Math.max(best.worker, rate(inWorker.ms))
      const inNode = await reader.download({
        kind: 'ours',
        url: source.url,
        key: source.key,
        length: blocks,
        blockSize,
        dir: join(root, `reader-${round}`),
        sampleMs: 0
      })
      if (inNode.contiguousLength !== blocks || !inNode.blocksMatch)
        throw new Error('the Node download is incomplete')
      best.node = Math.max(best.node, rate(inNode.ms))
    }
  } finally {
    await reader.close()
    await tab.close()
    await source.close()
  }
  return best
}
