/**
 * The page of the tab replication benches (bundled and served by `tab.ts`): our Hypercore on
 * IndexedDB downloads a whole core from the Node writer over a WebSocket. Every block arrives with
 * its Merkle proof and is verified and stored by the replicator, as in any tab. The page samples
 * its own JS heap (`performance.memory`, precise with `--enable-precise-memory-info`; in this
 * Chromium `usedJSHeapSize` counts ArrayBuffer bytes too), so sampling needs no round trip to
 * Node while the tab is busy.
 *
 * The same download also runs in a dedicated worker of the page on OPFS (`openOpfsStorage`): this
 * bundle, started as a worker, answers `download` and `close` requests (no heap sampling there).
 */
import { ready } from '@orchard/crypto'
import { Hypercore } from '@orchard/hypercore'
import { openIdbStorage, openOpfsStorage, type Storage } from '@orchard/storage'
import { fromWebSocket } from '@orchard/wire'

/** What one download in the tab measured (bytes and ms). */
export interface TabDownload {
  /** From attaching the replication stream to `contiguousLength === length`. */
  ms: number
  contiguousLength: number
  /** Whether the first and last blocks read back from IndexedDB as the writer made them. */
  blocksMatch: boolean
  /** Peak of `performance.memory.usedJSHeapSize` during the download (0 when not sampled). */
  heapUsedPeak: number
  /** Peak of `performance.memory.totalJSHeapSize` during the download. */
  heapTotalPeak: number
  heapUsedBefore: number
  samples: number
  /** The longest gap between two 50 ms sampler ticks: how long the main thread was busy at once. */
  longestStallMs: number
}

interface MemoryInfo {
  usedJSHeapSize: number
  totalJSHeapSize: number
}

const unhex = (s: string) => Uint8Array.from(s.match(/../g)!, (h) => Number.parseInt(h, 16))
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
/** The page's heap figures (zeros in a worker, which has no `performance.memory`). */
const memory = (): MemoryInfo =>
  (performance as unknown as { memory?: MemoryInfo }).memory ?? { usedJSHeapSize: 0, totalJSHeapSize: 0 }

/** Mirrors `benchBlock` in `source.ts` (the page must not import Node code). */
function expectedBlock(index: number, size: number): Uint8Array {
  const block = new Uint8Array(size)
  for (let i = 4; i < size; i++) block[i] = (i + index * 7) & 0xff
  new DataView(block.buffer).setUint32(0, index)
  return block
}

function same(a: Uint8Array | null, b: Uint8Array): boolean {
  if (a === null || a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}

let open: { core: Hypercore; storage: Storage; socket: WebSocket } | null = null

/**
 * Downloads the core `key` of `length` blocks from `url` into a fresh IndexedDB database, sampling
 * the heap every `sampleMs` (0 = not at all). The core stays open (so that what it retains can be
 * measured) until {@link closeCore}.
 */
async function downloadCore(
  url: string,
  key: string,
  length: number,
  blockSize: number,
  sampleMs: number,
  openStorage: (name: string) => Promise<Storage> = openIdbStorage
): Promise<TabDownload> {
  await ready()
  const storage = await openStorage(`bench-replicate-${key.slice(0, 16)}-${Date.now()}`)
  // the storage outlives the core so that it can be destroyed (deleted) after
  const core = new Hypercore(storage, unhex(key), { closeStorage: false })
  await core.ready()
  const m0 = memory()
  const out: TabDownload = {
    ms: 0,
    contiguousLength: 0,
    blocksMatch: false,
    heapUsedPeak: m0.usedJSHeapSize,
    heapTotalPeak: m0.totalJSHeapSize,
    heapUsedBefore: m0.usedJSHeapSize,
    samples: 1,
    longestStallMs: 0
  }
  let last = performance.now()
  const sample = () => {
    const now = performance.now()
    out.longestStallMs = Math.max(out.longestStallMs, now - last)
    last = now
    const m = memory()
    out.samples++
    out.heapUsedPeak = Math.max(out.heapUsedPeak, m.usedJSHeapSize)
    out.heapTotalPeak = Math.max(out.heapTotalPeak, m.totalJSHeapSize)
  }
  const sampler = sampleMs ? setInterval(sample, sampleMs) : null

  const socket = new WebSocket(url)
  const start = performance.now()
  last = start
  core.replicate(true, { stream: fromWebSocket(socket), keepAlive: 0 })
  while (core.length < length) await sleep(5)
  await core.download({ start: 0, end: length }).done()
  while (core.contiguousLength < length) await sleep(5)
  out.ms = performance.now() - start
  if (sampler) {
    clearInterval(sampler)
    sample()
  }
  out.contiguousLength = core.contiguousLength
  out.blocksMatch =
    same(await core.get(0, { wait: false }), expectedBlock(0, blockSize)) &&
    same(await core.get(length - 1, { wait: false }), expectedBlock(length - 1, blockSize))
  open = { core, storage, socket }
  return out
}

/** Closes the core of the last download and deletes its database. */
async function closeCore(): Promise<void> {
  if (!open) return
  const { core, storage, socket } = open
  open = null
  socket.close()
  await core.close()
  await storage.destroy()
}

type WorkerRequest = { op: 'download'; args: [string, string, number, number] } | { op: 'close' }

if (typeof window === 'undefined') {
  // the dedicated worker: downloads onto OPFS
  addEventListener('message', async (e: MessageEvent<WorkerRequest>) => {
    try {
      const m = e.data
      const value =
        m.op === 'download'
          ? await downloadCore(...m.args, 0, (name) => openOpfsStorage(name))
          : await closeCore()
      postMessage({ ok: true, value })
    } catch (err) {
      postMessage({ ok: false, error: String((err as Error)?.stack ?? err) })
    }
  })
} else {
  let worker: Worker | null = null
  const ask = (request: WorkerRequest) => {
    worker ??= new Worker(new URL(import.meta.url), { type: 'module' })
    const w = worker
    return new Promise<unknown>((resolve, reject) => {
      w.onmessage = (e) => (e.data.ok ? resolve(e.data.value) : reject(new Error(e.data.error)))
      w.postMessage(request)
    })
  }
  /** {@link downloadCore} in the page's dedicated worker, on OPFS. */
  const downloadInWorker = (url: string, key: string, length: number, blockSize: number) =>
    ask({ op: 'download', args: [url, key, length, blockSize] })
  const closeWorkerCore = () => ask({ op: 'close' })
  Object.assign(window, { downloadCore, closeCore, downloadInWorker, closeWorkerCore })
  // the launcher waits for this flag
  ;(globalThis as { ready?: boolean }).ready = true
}
