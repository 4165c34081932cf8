/**
 * The page of the core bench's tab rows: our Hypercore in Chromium, on `openIdbStorage` in the page,
 * on `openOpfsStorage` in a dedicated worker (OPFS sync access handles exist only there; the worker
 * runs this same bundle), and in the page on that worker's OPFS storage (`connectStorage`). The
 * Node side (`tab.ts`) sets the cores up, then asks for one timed window at a time, alternating
 * with the real hypercore's windows in Node.
 */
import { Hypercore } from '@orchard/hypercore'
import { connectStorage, openIdbStorage, openOpfsStorage, type Storage, serveStorage } from '@orchard/storage'
import { measure, xorshift } from '../harness.ts'
import { type FloorWorkload, openFloor } from './idb-floor.ts'

declare global {
  interface Window {
    ready: boolean
    coreSetup(blocks: number, cacheBytes?: number): Promise<void>
    coreMeasure(kind: TabWorkload, ms: number): Promise<number>
    coreFloor(kind: FloorWorkload, ms: number): Promise<number>
    coreTeardown(): Promise<void>
    opfsSetup(blocks: number): Promise<void>
    opfsMeasure(kind: TabWorkload, ms: number): Promise<number>
    opfsTeardown(): Promise<void>
    remoteSetup(blocks: number): Promise<void>
    remoteMeasure(kind: TabWorkload, ms: number): Promise<number>
    remoteTeardown(): Promise<void>
  }
}

/** The timed windows the page runs. */
export type TabWorkload = 'append-batch' | 'random-get'

/** A core being measured: prefilled with `blocks` blocks of 1 KiB. */
class BenchCore {
  readonly storage: Storage
  readonly core: Hypercore
  /** Opens the same storage root again (to destroy it once the core closed it). */
  readonly #reopen: () => Promise<Storage>
  /** Random gets read blocks `[0, prefilled)`. */
  prefilled = 0
  readonly #rand = xorshift(0x2545f491)
  readonly #batch = Array.from({ length: 100 }, (_, i) => new Uint8Array(1024).fill(i))

  constructor(storage: Storage, reopen: () => Promise<Storage>) {
    this.storage = storage
    this.core = new Hypercore(storage)
    this.#reopen = reopen
  }

  async fill(blocks: number): Promise<void> {
    await this.core.ready()
    const thousand = Array.from({ length: 1000 }, (_, i) => new Uint8Array(1024).fill(i & 0xff))
    for (let i = 0; i < blocks; i += 1000) await this.core.append(thousand)
    this.prefilled = this.core.length
  }

  async measure(kind: TabWorkload, ms: number): Promise<number> {
    const c = this.core
    const fn =
      kind === 'append-batch' ? () => c.append(this.#batch) : () => c.get(this.#rand() % this.prefilled)
    const { opsPerSec } = await measure(fn, {
      opsPerCall: kind === 'append-batch' ? 100 : 1,
      ms,
      warmupMs: 200
    })
    return opsPerSec
  }

  async destroy(): Promise<void> {
    await this.core.close()
    await (this.storage.closed ? await this.#reopen() : this.storage).destroy()
  }
}

type WorkerRequest =
  | { op: 'setup'; blocks: number }
  | { op: 'measure'; kind: TabWorkload; ms: number }
  | { op: 'teardown' }

if (typeof window === 'undefined') {
  // the dedicated worker: a core on OPFS
  let bench: BenchCore | null = null
  // and the page's core on this worker's OPFS storage
  serveStorage((name, opts) => openOpfsStorage(name, opts))
  addEventListener('message', async (e: MessageEvent<WorkerRequest>) => {
    const m = e.data
    if (typeof m?.op !== 'string') return // serveStorage's
    try {
      let value: unknown = null
      if (m.op === 'setup') {
        const name = `bench-core-${Date.now()}`
        bench = new BenchCore(await openOpfsStorage(name), () => openOpfsStorage(name))
        await bench.fill(m.blocks)
      } else if (m.op === 'measure') {
        value = await bench!.measure(m.kind, m.ms)
      } else {
        await bench?.destroy()
        bench = null
      }
      postMessage({ ok: true, value })
    } catch (err) {
      postMessage({ ok: false, error: String((err as Error)?.stack ?? err) })
    }
  })
} else {
  let bench: BenchCore | null = null
  let floor: Awaited<ReturnType<typeof openFloor>> | null = null
  let worker: Worker | null = null

  window.coreSetup = async (blocks, cacheBytes) => {
    const name = `bench-core-${Date.now()}`
    const opts = cacheBytes === undefined ? {} : { cacheBytes }
    bench = new BenchCore(await openIdbStorage(name, opts), () => openIdbStorage(name, opts))
    await bench.fill(blocks)
    floor = await openFloor(`bench-floor-${Date.now()}`, blocks)
  }

  window.coreMeasure = (kind, ms) => bench!.measure(kind, ms)

  window.coreFloor = (kind, ms) => floor!.measure(kind, ms)

  window.coreTeardown = async () => {
    await floor?.destroy()
    floor = null
    await bench?.destroy()
    bench = null
  }

  /** One request to the OPFS worker, answered in order. */
  const ask = (request: WorkerRequest) =>
    new Promise<unknown>((resolve, reject) => {
      worker!.onmessage = (e) => (e.data.ok ? resolve(e.data.value) : reject(new Error(e.data.error)))
      worker!.postMessage(request)
    })

  window.opfsSetup = async (blocks) => {
    worker = new Worker(new URL(import.meta.url), { type: 'module' })
    await ask({ op: 'setup', blocks })
  }

  window.opfsMeasure = async (kind, ms) => (await ask({ op: 'measure', kind, ms })) as number

  window.opfsTeardown = async () => {
    await ask({ op: 'teardown' })
    worker!.terminate()
    worker = null
  }

  let remote: { bench: BenchCore; worker: Worker } | null = null
  window.remoteSetup = async (blocks) => {
    const w = new Worker(new URL(import.meta.url), { type: 'module' })
    const host = connectStorage(w)
    const name = `bench-core-remote-${Date.now()}`
    remote = { bench: new BenchCore(await host.open(name), () => host.open(name)), worker: w }
    await remote.bench.fill(blocks)
  }
  window.remoteMeasure = (kind, ms) => remote!.bench.measure(kind, ms)
  window.remoteTeardown = async () => {
    await remote?.bench.destroy()
    remote?.worker.terminate()
    remote = null
  }

  window.ready = true
}
