/**
 * A Node reader for the replication benches, in its own process (forked by `openNodeReader` with
 * `--import tsx`), so that its heap holds nothing but the reader and the writer does not share its
 * event loop — as with a tab. It connects to the writer's WebSocket, downloads the whole core into
 * file storage in a temp directory — our Hypercore on `@orchard/storage/fs` (`ours`) or the real
 * hypercore 11 on its own storage (`real`) — while polling `process.memoryUsage()`, and sends one
 * {@link NodeDownload} over IPC for each {@link ReaderArgs} it is sent.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import RealSecretStream from '@hyperswarm/secret-stream'
import { ready } from '@orchard/crypto'
import { Hypercore } from '@orchard/hypercore'
import { openFileStorage } from '@orchard/storage/fs'
import { fromWebSocket, type WebSocketLike } from '@orchard/wire'
import RealHypercore from 'hypercore'
import { benchBlock } from './source.ts'

const here = dirname(fileURLToPath(import.meta.url))

export interface ReaderArgs {
  kind: 'ours' | 'real'
  url: string
  key: string
  length: number
  blockSize: number
  /** The reader's storage directory (created; removed by the caller). */
  dir: string
  /** Poll the heap this often (ms); 0 = not at all. */
  sampleMs: number
}

/** What one download in the child measured; heap figures in bytes (0 when not sampled). */
export interface NodeDownload {
  ms: number
  contiguousLength: number
  blocksMatch: boolean
  heapUsedBefore: number
  heapUsedPeak: number
  /** Peak of `heapUsed + arrayBuffers`: the JS heap as Chromium's `usedJSHeapSize` counts it. */
  heapAndBuffersPeak: number
  heapTotalPeak: number
  /** Peak of off-heap memory V8 knows of (`external`, which includes ArrayBuffers). */
  externalPeak: number
  rssPeak: number
  samples: number
  /** After the download and a full GC, core still open: used heap and ArrayBuffer bytes. */
  heapUsedAfterGc: number
  arrayBuffersAfterGc: number
}

/** A reader process: downloads one after another, each into a new core (warm after the first). */
export interface NodeReader {
  download(args: ReaderArgs): Promise<NodeDownload>
  close(): Promise<void>
}

/** Forks a reader process (`--import tsx --expose-gc`), ready for downloads. */
export function openNodeReader(): NodeReader {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [], {
    cwd: join(here, '../..'),
    execArgv: ['--import', 'tsx', '--expose-gc'],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc']
  })
  let tail = ''
  child.stderr?.on('data', (d: Buffer) => {
    tail = (tail + d.toString()).slice(-4000)
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return {
    download(args) {
      return new Promise<NodeDownload>((resolve, reject) => {
        const onExit = (code: number | null) => reject(new Error(`node reader exited (${code}):\n${tail}`))
        child.once('exit', onExit)
        child.once('message', (msg) => {
          child.off('exit', onExit)
          const reply = msg as { ok: true; result: NodeDownload } | { ok: false; error: string }
          if (reply.ok) resolve(reply.result)
          else reject(new Error(`node reader: ${reply.error}`))
        })
        child.send(args)
      })
    },
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    }
  }
}

/** One download in a fresh reader process (nothing else in its heap), which then exits. */
export async function readInChild(args: ReaderArgs): Promise<NodeDownload> {
  const reader = openNodeReader()
  try {
    return await reader.download(args)
  } finally {
    await reader.close()
  }
}

// biome-ignore lint/suspicious/noExplicitAny: the real hypercore is untyped
type AnyCore = any

function same(a: Uint8Array | null, b: Uint8Array): boolean {
  return a !== null && Buffer.compare(a, b) === 0
}

async function main(args: ReaderArgs): Promise<NodeDownload> {
  const wsRequire = createRequire(join(here, '../../packages/relay/package.json'))
  const ws = wsRequire('ws') as {
    WebSocket: new (url: string, opts: { perMessageDeflate: boolean }) => WebSocketLike
    createWebSocketStream(socket: WebSocketLike): unknown
  }
  await ready()
  let core: AnyCore
  if (args.kind === 'ours') {
    core = new Hypercore(await openFileStorage(args.dir), Buffer.from(args.key, 'hex'))
  } else {
    core = new RealHypercore(args.dir, Buffer.from(args.key, 'hex'))
  }
  await core.ready()

  const m0 = process.memoryUsage()
  const out: NodeDownload = {
    ms: 0,
    contiguousLength: 0,
    blocksMatch: false,
    heapUsedBefore: m0.heapUsed,
    heapUsedPeak: m0.heapUsed,
    heapAndBuffersPeak: m0.heapUsed + m0.arrayBuffers,
    heapTotalPeak: m0.heapTotal,
    externalPeak: m0.external,
    rssPeak: m0.rss,
    samples: 1,
    heapUsedAfterGc: 0,
    arrayBuffersAfterGc: 0
  }
  const sample = () => {
    const m = process.memoryUsage()
    out.samples++
    out.heapUsedPeak = Math.max(out.heapUsedPeak, m.heapUsed)
    out.heapAndBuffersPeak = Math.max(out.heapAndBuffersPeak, m.heapUsed + m.arrayBuffers)
    out.heapTotalPeak = Math.max(out.heapTotalPeak, m.heapTotal)
    out.externalPeak = Math.max(out.externalPeak, m.external)
    out.rssPeak = Math.max(out.rssPeak, m.rss)
  }
  const timer = args.sampleMs ? setInterval(sample, args.sampleMs) : null

  const socket = new ws.WebSocket(args.url, { perMessageDeflate: false })
  const start = performance.now()
  if (args.kind === 'ours') {
    core.replicate(true, { stream: fromWebSocket(socket), keepAlive: 0 })
  } else {
    core.replicate(new RealSecretStream(true, ws.createWebSocketStream(socket)), { keepAlive: false })
  }
  while (core.length < args.length) await new Promise((resolve) => setTimeout(resolve, 5))
  await core.download({ start: 0, end: args.length }).done()
  while (core.contiguousLength < args.length) await new Promise((resolve) => setTimeout(resolve, 5))
  out.ms = performance.now() - start
  if (timer) {
    clearInterval(timer)
    sample()
  }
  out.contiguousLength = core.contiguousLength
  out.blocksMatch =
    same(await core.get(0, { wait: false }), benchBlock(0, args.blockSize)) &&
    same(await core.get(args.length - 1, { wait: false }), benchBlock(args.length - 1, args.blockSize))
  if (args.sampleMs) {
    // a few passes: weak maps and finalizers free more on the second
    for (let i = 0; i < 3; i++) {
      ;(globalThis as { gc?: () => void }).gc?.()
      await new Promise((resolve) => setImmediate(resolve))
    }
    const m = process.memoryUsage()
    out.heapUsedAfterGc = m.heapUsed
    out.arrayBuffersAfterGc = m.arrayBuffers
  }
  socket.close()
  await core.close()
  return out
}

if (process.send && process.argv[1] === fileURLToPath(import.meta.url)) {
  process.on('message', (args: ReaderArgs) => {
    main(args).then(
      (result) => process.send!({ ok: true, result }),
      (err: unknown) => process.send!({ ok: false, error: String((err as Error)?.stack ?? err) })
    )
  })
}
