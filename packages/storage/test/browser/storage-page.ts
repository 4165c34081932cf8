/**
 * The page the crash and quota tests load (bundled by `chromium.ts`). It exposes a few functions
 * on `window` that the Node side calls through Playwright, each on a backend: `idb` runs them in the
 * page on IndexedDB; `opfs` runs them on OPFS in a dedicated worker (sync access handles exist only
 * there), which is this same bundle started as a worker, its log lines relayed to the page's console.
 */
import { openIdbStorage, openOpfsStorage, type Storage, StorageQuotaError } from '../../src/index.ts'
import { batch, checkState, readHead } from '../fixtures/crash-batches.ts'

/** Where a call runs. */
export type Backend = 'idb' | 'opfs'

declare global {
  interface Window {
    ready: boolean
    writeBatches(name: string, backend?: Backend): Promise<void>
    checkStore(name: string, backend?: Backend): Promise<{ head: number; problems: string[] }>
    fillToQuota(name: string, backend?: Backend): Promise<QuotaReport>
  }
}

export interface QuotaReport {
  acked: number
  errorName: string
  isQuotaError: boolean
  headAfter: number
  refusedPresent: boolean
  intact: boolean
  writableAfter: boolean
}

/** Writes numbered batches forever, logging `ack <n>` once each write resolves. */
async function writeBatches(st: Storage, log: (line: string) => void): Promise<void> {
  let n = (await readHead(st)) + 1
  log(`ready ${n - 1}`)
  for (;;) {
    await st.write(batch(n), { durability: n % 8 === 0 ? 'strict' : 'relaxed' })
    log(`ack ${n}`)
    n++
  }
}

async function checkStore(st: Storage): Promise<{ head: number; problems: string[] }> {
  const head = await readHead(st)
  const problems = await checkState(st, head)
  await st.close()
  return { head, problems }
}

const QUOTA_VALUE = 256 * 1024

/** Incompressible (Chromium compresses IndexedDB values), tagged with `n` at both ends. */
function quotaValue(n: number): Uint8Array {
  const v = new Uint8Array(QUOTA_VALUE)
  for (let i = 0; i < QUOTA_VALUE; i += 65536) crypto.getRandomValues(v.subarray(i, i + 65536))
  v[0] = n & 0xff
  v[QUOTA_VALUE - 1] = n & 0xff
  return v
}
const headKey = new Uint8Array([0])

/** Writes 256 KiB batches until the quota refuses one, then checks what is stored. */
async function fillToQuota(st: Storage): Promise<QuotaReport> {
  let n = 0
  let error: unknown = null
  for (; n < 10_000; n++) {
    try {
      await st.write([
        { type: 'put', store: 'blocks', key: new Uint8Array([n >> 8, n & 0xff]), value: quotaValue(n) },
        { type: 'put', store: 'meta', key: headKey, value: new Uint8Array([n >> 8, n & 0xff]) }
      ])
    } catch (err) {
      error = err
      break
    }
  }
  const head = await st.get('meta', headKey)
  const headAfter = head === null ? -1 : (head[0]! << 8) | head[1]!
  const refusedPresent = (await st.get('blocks', new Uint8Array([n >> 8, n & 0xff]))) !== null
  let intact = true
  for (let i = 0; i < n; i++) {
    const v = await st.get('blocks', new Uint8Array([i >> 8, i & 0xff]))
    if (v === null || v.length !== QUOTA_VALUE || v[0] !== (i & 0xff) || v[QUOTA_VALUE - 1] !== (i & 0xff))
      intact = false
  }
  // Small writes still fit after the refused batch was rolled back.
  let writableAfter = true
  try {
    await st.write([{ type: 'put', store: 'meta', key: new Uint8Array([1]), value: new Uint8Array([1]) }])
  } catch {
    writableAfter = false
  }
  await st.close()
  return {
    acked: n - 1,
    errorName: (error as Error | null)?.name ?? 'none',
    isQuotaError: error instanceof StorageQuotaError,
    headAfter,
    refusedPresent,
    intact,
    writableAfter
  }
}

const CALLS = {
  writeBatches: (st: Storage, log: (line: string) => void) => writeBatches(st, log),
  checkStore: (st: Storage) => checkStore(st),
  fillToQuota: (st: Storage) => fillToQuota(st)
}
type Call = keyof typeof CALLS

if (typeof window === 'undefined') {
  // the OPFS worker: one call per worker
  addEventListener('message', async (e: MessageEvent<{ call: Call; name: string }>) => {
    try {
      const st = await openOpfsStorage(e.data.name)
      const value = await CALLS[e.data.call](st, (line) => postMessage({ log: line }))
      postMessage({ done: true, value })
    } catch (err) {
      postMessage({ done: true, error: String((err as Error)?.stack ?? err) })
    }
  })
} else {
  const run = <T>(call: Call, name: string, backend: Backend = 'idb'): Promise<T> => {
    if (backend === 'idb') {
      return openIdbStorage(name).then((st) => CALLS[call](st, (line) => console.log(line)) as Promise<T>)
    }
    const worker = new Worker(new URL(import.meta.url), { type: 'module' })
    return new Promise<T>((resolve, reject) => {
      worker.onmessage = (e) => {
        if (e.data.log !== undefined) return console.log(e.data.log)
        worker.terminate()
        if (e.data.error !== undefined) reject(new Error(e.data.error))
        else resolve(e.data.value as T)
      }
      worker.postMessage({ call, name })
    })
  }
  window.writeBatches = (name, backend) => run('writeBatches', name, backend)
  window.checkStore = (name, backend) => run('checkStore', name, backend)
  window.fillToQuota = (name, backend) => run('fillToQuota', name, backend)
  window.ready = true
}
