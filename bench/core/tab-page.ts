/**
 * The page of the core bench's tab rows: our Hypercore on `openIdbStorage` in Chromium. The Node
 * side (`tab.ts`) sets a core up, then asks for one timed window at a time, alternating with the
 * real hypercore's windows in Node.
 */
import { Hypercore } from '@orchard/hypercore'
import { idbDatabaseName, openIdbStorage, type Storage } from '@orchard/storage'
import { measure, xorshift } from '../harness.ts'
import { type FloorWorkload, openFloor } from './idb-floor.ts'

declare global {
  interface Window {
    ready: boolean
    coreSetup(blocks: number, cacheBytes?: number): Promise<void>
    coreMeasure(kind: TabWorkload, ms: number): Promise<number>
    coreFloor(kind: FloorWorkload, ms: number): Promise<number>
    coreTeardown(): Promise<void>
  }
}

/** The timed windows the page runs. */
export type TabWorkload = 'append-batch' | 'random-get'

let storage: Storage | null = null
let core: Hypercore | null = null
let floor: Awaited<ReturnType<typeof openFloor>> | null = null
/** Random gets read blocks `[0, prefilled)`. */
let prefilled = 0
const batch = Array.from({ length: 100 }, (_, i) => new Uint8Array(1024).fill(i))

const rand = xorshift(0x2545f491)

window.coreSetup = async (blocks, cacheBytes) => {
  storage = await openIdbStorage(`bench-core-${Date.now()}`, cacheBytes === undefined ? {} : { cacheBytes })
  core = new Hypercore(storage)
  await core.ready()
  const thousand = Array.from({ length: 1000 }, (_, i) => new Uint8Array(1024).fill(i & 0xff))
  for (let i = 0; i < blocks; i += 1000) await core.append(thousand)
  prefilled = core.length
  floor = await openFloor(`bench-floor-${Date.now()}`, blocks)
}

window.coreMeasure = async (kind, ms) => {
  const c = core!
  const fn = kind === 'append-batch' ? () => c.append(batch) : () => c.get(rand() % prefilled)
  const { opsPerSec } = await measure(fn, {
    opsPerCall: kind === 'append-batch' ? 100 : 1,
    ms,
    warmupMs: 200
  })
  return opsPerSec
}

window.coreFloor = (kind, ms) => floor!.measure(kind, ms)

window.coreTeardown = async () => {
  await floor?.destroy()
  floor = null
  await core?.close()
  if (storage && !storage.closed) await storage.destroy()
  else if (storage) {
    const name = idbDatabaseName(storage.name)
    await new Promise((resolve) => {
      const req = indexedDB.deleteDatabase(name)
      req.onsuccess = req.onerror = () => resolve(undefined)
    })
  }
  core = null
  storage = null
}

window.ready = true
