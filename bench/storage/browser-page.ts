/**
 * The page of the browser storage bench: runs the shared workloads on `openIdbStorage` in the page,
 * and on `openOpfsStorage` in a dedicated worker (this bundle, started as a worker: OPFS sync
 * access handles exist only there).
 */
import { openIdbStorage, openOpfsStorage, type Storage } from '@orchard/storage'
import { measure } from '../harness.ts'
import { runWorkloads, storageTarget, type WorkloadResult } from './workloads.ts'

declare global {
  interface Window {
    ready: boolean
    runIdbBench(): Promise<WorkloadResult[]>
    runOpfsBench(): Promise<WorkloadResult[]>
  }
}

/** The workloads on a fresh root of `open`, destroyed after. */
async function run(name: string, open: (root: string) => Promise<Storage>): Promise<WorkloadResult[]> {
  const st = await open(`bench-${Date.now()}`)
  try {
    return (await runWorkloads([{ name, target: storageTarget(st) }], measure)).get(name)!
  } finally {
    await st.destroy()
  }
}

if (typeof window === 'undefined') {
  addEventListener('message', async () => {
    try {
      postMessage({ ok: true, value: await run('opfs', (root) => openOpfsStorage(root)) })
    } catch (err) {
      postMessage({ ok: false, error: String((err as Error)?.stack ?? err) })
    }
  })
} else {
  window.runIdbBench = () => run('idb', (root) => openIdbStorage(root))
  window.runOpfsBench = () => {
    const worker = new Worker(new URL(import.meta.url), { type: 'module' })
    return new Promise((resolve, reject) => {
      worker.onmessage = (e) => {
        worker.terminate()
        if (e.data.ok) resolve(e.data.value)
        else reject(new Error(e.data.error))
      }
      worker.postMessage(null)
    })
  }
  window.ready = true
}
