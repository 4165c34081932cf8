/**
 * The relay of `pnpm bench relay`, in its own process (forked by `bench/suites/relay.ts` with
 * `--import tsx --expose-gc`): a `RelayServer` from the sources on the parent's loopback testnet,
 * so the bench's tabs, testnet and native peers do not share its event loop or heap. Over IPC it
 * sends `{ op: 'ready', url }`, answers `{ op: 'mem' }` with its memory after a full GC, its
 * session and stream counts and its event-loop lag since the previous `mem`, and answers
 * `{ op: 'close' }` by closing the relay and exiting. Argv: the bootstrap list as JSON, then
 * maxSessions.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { RelayServer } from '../../packages/relay/src/index.ts'

export interface RelayMemory {
  op: 'mem'
  rss: number
  heapUsed: number
  external: number
  arrayBuffers: number
  sessions: number
  streams: number
  /** The relay's event-loop lag since the previous `mem` (ms): p50, p99 and max. */
  loopP50: number
  loopP99: number
  loopMax: number
  /** The relay's error counters by code. */
  errors: Record<string, number>
}

const send = (msg: unknown) => process.send?.(msg)
const [bootstrapJson = '[]', maxSessions = '1000'] = process.argv.slice(2)
const relay = await RelayServer.start({
  bootstrap: JSON.parse(bootstrapJson) as { host: string; port: number }[],
  dhtHost: '127.0.0.1',
  limits: { maxSessions: Number(maxSessions) },
  shutdownTimeout: 1000
})
const RESOLUTION = 2
const loop = monitorEventLoopDelay({ resolution: RESOLUTION })
loop.enable()
const gc = (globalThis as { gc?: () => void }).gc

process.on('message', async (msg: { op: string }) => {
  if (msg.op === 'mem') {
    // a few passes: weak maps and finalizers free more on the second
    for (let i = 0; i < 3; i++) {
      gc?.()
      await new Promise((resolve) => setImmediate(resolve))
    }
    const m = process.memoryUsage()
    // each sample is the timer's period plus the lag: the lag is what is reported
    const lag = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION)
    const loopP50 = lag(loop.percentile(50))
    const loopP99 = lag(loop.percentile(99))
    const loopMax = lag(loop.max)
    loop.reset()
    const reply: RelayMemory = {
      op: 'mem',
      rss: m.rss,
      heapUsed: m.heapUsed,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
      sessions: relay.sessions,
      streams: relay.metrics.streams,
      loopP50,
      loopP99,
      loopMax,
      errors: Object.fromEntries(relay.metrics.errors)
    }
    send(reply)
  } else if (msg.op === 'close') {
    await relay.close().catch(() => {})
    process.exit(0)
  }
})
// the bench died: do not outlive it
process.on('disconnect', () => {
  relay.close().finally(() => process.exit(0))
})
send({ op: 'ready', url: relay.url })
