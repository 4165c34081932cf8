/**
 * The page the IndexedDB crash and quota tests load (bundled by `chromium.ts`). It exposes a few
 * functions on `window` that the Node side calls through Playwright.
 */
import { openIdbStorage, StorageQuotaError } from '../../src/index.ts'
import { batch, checkState, readHead } from '../fixtures/crash-batches.ts'

declare global {
  interface Window {
    ready: boolean
    writeBatches(name: string): Promise<void>
    checkStore(name: string): Promise<{ head: number; problems: string[] }>
    fillToQuota(name: string): Promise<QuotaReport>
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
window.writeBatches = async (name) => {
  const st = await openIdbStorage(name)
  let n = (await readHead(st)) + 1
  console.log(`ready ${n - 1}`)
  for (;;) {
    await st.write(batch(n), { durability: n % 8 === 0 ? 'strict' : 'relaxed' })
    console.log(`ack ${n}`)
    n++
  }
}

window.checkStore = async (name) => {
  const st = await openIdbStorage(name)
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
window.fillToQuota = async (name) => {
  const st = await openIdbStorage(name)
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

window.ready = true
