/** The page of the IndexedDB bench: runs the shared workloads on `openIdbStorage` in Chromium. */
import { openIdbStorage } from '@orchard/storage'
import { measure } from '../harness.ts'
import { runWorkloads, storageTarget, type WorkloadResult } from './workloads.ts'

declare global {
  interface Window {
    ready: boolean
    runIdbBench(): Promise<WorkloadResult[]>
  }
}

window.runIdbBench = async () => {
  const st = await openIdbStorage(`bench-${Date.now()}`)
  try {
    return (await runWorkloads([{ name: 'idb', target: storageTarget(st) }], measure)).get('idb')!
  } finally {
    await st.destroy()
  }
}

window.ready = true
