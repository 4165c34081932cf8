/**
 * A headless Chromium tab for the replication benches: Debian's Chromium with the tests' flags
 * (`test/setup/chromium.ts`) plus `--enable-precise-memory-info` (so `performance.memory` is exact
 * and fresh), on a fresh profile, driven over a bare CDP connection (`cdp.ts` says why not
 * playwright), with `tab-page.ts` bundled and served from loopback (`servePage` of
 * `packages/storage/test/browser/chromium.ts`).
 *
 * `download` runs one whole-core download in the tab. With `sampleMs` it also records, besides the
 * page's own JS heap samples, the peak resident memory of the tab's renderer process (read from
 * Linux's `/proc` by Node, so it needs nothing from the busy tab; it also counts what the heap
 * figure does not: Blink, compiled code, allocator slack), and, once the download is done and a GC
 * has run, what the tab still holds (V8 heap and ArrayBuffer backing stores, over CDP).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { servePage } from '../../packages/storage/test/browser/chromium.ts'
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../test/setup/chromium.ts'
import { type CdpConnection, connectCdp, evaluate } from './cdp.ts'
import type { TabDownload } from './tab-page.ts'

/** A tab download with the memory figures gathered from outside the page (bytes). */
export interface TabResult extends TabDownload {
  /** Peak resident memory of the tab's renderer process during the download (0 if not sampled). */
  rendererRssPeak: number
  /** After the download and a forced GC, core still open: used JS heap. */
  heapUsedAfterGc: number
  /** Same moment: ArrayBuffer backing stores (off-heap) the tab still holds. */
  backingAfterGc: number
}

export interface BenchTab {
  download(
    url: string,
    key: string,
    length: number,
    blockSize: number,
    opts?: { sampleMs?: number }
  ): Promise<TabResult>
  /** The same download in a dedicated worker of the tab, onto OPFS (no memory figures). */
  downloadInWorker(url: string, key: string, length: number, blockSize: number): Promise<TabDownload>
  close(): Promise<void>
}

const PAGE_SIZE = 4096

/** Resident bytes of `pid`, or 0 once it is gone. */
function rssOf(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * PAGE_SIZE
  } catch {
    return 0
  }
}

/** Renderer processes of the browser whose process group is `pgid`. */
function rendererPids(pgid: number): number[] {
  const pids: number[] = []
  let names: string[]
  try {
    names = readdirSync('/proc')
  } catch {
    return pids // not Linux: no RSS figure
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      // fields after the parenthesised command: state ppid pgrp …
      const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2])
      if (pgrp !== pgid) continue
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes('--type=renderer')) pids.push(Number(name))
    } catch {
      // the process ended meanwhile
    }
  }
  return pids
}

async function launch(profile: string): Promise<{ proc: ChildProcess; endpoint: string }> {
  const proc = spawn(
    CHROMIUM_PATH,
    [
      ...CHROMIUM_ARGS,
      '--enable-precise-memory-info',
      '--remote-debugging-port=0',
      `--user-data-dir=${profile}`,
      'about:blank'
    ],
    { detached: true, stdio: ['ignore', 'ignore', 'pipe'] }
  )
  const endpoint = await new Promise<string>((resolve, reject) => {
    let err = ''
    const timer = setTimeout(() => reject(new Error(`Chromium did not start:\n${err}`)), 30_000)
    proc.stderr!.setEncoding('utf8')
    proc.stderr!.on('data', (chunk: string) => {
      err += chunk
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err)
      if (m) {
        clearTimeout(timer)
        resolve(m[1]!)
      }
    })
    proc.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`Chromium exited (${code}) before listening:\n${err}`))
    })
  })
  return { proc, endpoint }
}

async function shutdown(proc: ChildProcess, cdp: CdpConnection | null): Promise<void> {
  const exited = new Promise<void>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) resolve()
    else proc.once('exit', () => resolve())
  })
  await cdp?.send('Browser.close').catch(() => {})
  cdp?.close()
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))])
  try {
    // whatever of the browser's process group is left
    process.kill(-proc.pid!, 'SIGKILL')
  } catch {
    // all gone
  }
  await exited
}

/** Attaches to the tab Chromium opened (one renderer only), loads `url` and waits for `ready`. */
async function openPage(cdp: CdpConnection, url: string): Promise<string> {
  const { targetInfos } = await cdp.send<{ targetInfos: { targetId: string; type: string }[] }>(
    'Target.getTargets'
  )
  const target = targetInfos.find((t) => t.type === 'page')
  const targetId = target
    ? target.targetId
    : (await cdp.send<{ targetId: string }>('Target.createTarget', { url: 'about:blank' })).targetId
  const { sessionId } = await cdp.send<{ sessionId: string }>('Target.attachToTarget', {
    targetId,
    flatten: true
  })
  await cdp.send('Page.navigate', { url }, sessionId)
  const until = Date.now() + 30_000
  while (!(await evaluate<boolean>(cdp, sessionId, 'globalThis.ready === true').catch(() => false))) {
    if (Date.now() > until) throw new Error(`the bench page at ${url} did not load`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return sessionId
}

export async function openBenchTab(): Promise<BenchTab> {
  const server = await servePage(fileURLToPath(new URL('./tab-page.ts', import.meta.url)))
  const profile = mkdtempSync(join(tmpdir(), 'orchard-bench-repl-chromium-'))
  let proc: ChildProcess | null = null
  let cdp: CdpConnection | null = null
  let session: string
  const close = async () => {
    if (proc) await shutdown(proc, cdp)
    await server.close()
    rmSync(profile, { recursive: true, force: true })
  }
  try {
    const launched = await launch(profile)
    proc = launched.proc
    cdp = await connectCdp(launched.endpoint)
    session = await openPage(cdp, server.url)
  } catch (err) {
    await close()
    throw err
  }
  const pgid = proc.pid!
  const tab = cdp
  return {
    async download(url, key, length, blockSize, opts = {}) {
      const sampleMs = opts.sampleMs ?? 0
      let rendererRssPeak = 0
      let running = sampleMs > 0
      const rss = (async () => {
        if (!running) return
        let pids = rendererPids(pgid)
        for (let n = 1; running; n++) {
          for (const pid of pids) rendererRssPeak = Math.max(rendererRssPeak, rssOf(pid))
          await new Promise((resolve) => setTimeout(resolve, sampleMs))
          if (n % 20 === 0) pids = rendererPids(pgid)
        }
      })()
      let result: TabDownload
      try {
        result = await evaluate<TabDownload>(
          tab,
          session,
          `window.downloadCore(${JSON.stringify(url)}, ${JSON.stringify(key)}, ${length}, ${blockSize}, ${sampleMs})`
        )
      } finally {
        running = false
        await rss
      }
      let heapUsedAfterGc = 0
      let backingAfterGc = 0
      if (sampleMs) {
        await tab.send('HeapProfiler.collectGarbage', {}, session)
        const usage = await tab.send<{ usedSize: number; backingStorageSize?: number }>(
          'Runtime.getHeapUsage',
          {},
          session
        )
        heapUsedAfterGc = usage.usedSize
        backingAfterGc = usage.backingStorageSize ?? 0
      }
      await evaluate(tab, session, 'window.closeCore()')
      return { ...result, rendererRssPeak, heapUsedAfterGc, backingAfterGc }
    },
    async downloadInWorker(url, key, length, blockSize) {
      const result = await evaluate<TabDownload>(
        tab,
        session,
        `window.downloadInWorker(${JSON.stringify(url)}, ${JSON.stringify(key)}, ${length}, ${blockSize})`
      )
      await evaluate(tab, session, 'window.closeWorkerCore()')
      return result
    },
    close
  }
}
