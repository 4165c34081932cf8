/**
 * `pnpm bench relay`: one Orchard relay (`@orchard/relay`) under load, on a loopback hyperdht
 * testnet (3 nodes, every DHT node bound to 127.0.0.1). The relay runs in a child process
 * (`bench/relay/relay-process.ts`, through tsx) so that its event loop, CPU core and heap are its
 * own; this process holds the testnet, the "tabs" (the isomorphic `RelayDHT` client over the `ws`
 * package's WebSocket) and the native peers. Rows:
 *
 * 1. sessions held: `RELAY_SESSIONS` (default 1000) tabs open a session (challenge signed), each
 *    announces a topic (two sessions per topic; the tab signs every announce record), then all
 *    stay busy for `RELAY_WINDOW_MS` (default 10 s): `RELAY_PAIRS` pairs (default 50) ping-pong
 *    over a connection (below) and every other session sends a `LOOKUP` of its topic every 5 s
 *    (request → `REPLY`s → `DONE`). Held = sessions still open at the end whose announce and every
 *    request succeeded (a pair session also needs its connection to keep echoing).
 * 2. frame latency: in each pair, tab A listens through the relay and tab B dials A's key through
 *    the same relay (hyperdht connects the relay's node to itself: two blind streams, one UDX
 *    connection on loopback). B sends a 16-byte message on the end-to-end encrypted stream every
 *    100 ms and A echoes it; B times the round trip. A round trip crosses the relay twice each way
 *    (tab → WebSocket → relay → UDX → relay → WebSocket → tab), so RTT/2 is the latency of one
 *    small frame relayed tab to tab, including both tabs' event loops (this process, busy with
 *    all the other sessions). Reported as RTT/2 p50 and p99 over every ping of the window; beside,
 *    `direct RTT/2`: the same pings over 5 connections between two native hyperdht nodes (no
 *    relay, no WebSocket) in the same window, the floor this machine allows.
 * 3. memory per session: the relay process's heap used + external memory (Buffers, ArrayBuffers)
 *    after the window, minus the same once started (DHT node up, no session), both after full GCs,
 *    over the sessions it holds. RSS per session beside, but RSS does not shrink after the start-up
 *    (tsx transpiling the sources): its delta swings from 3 to 38 KiB/session between runs.
 *    UDX's native stream memory is in neither figure (only 100 streams are open).
 * 4. replication: an Orchard hypercore (memory storage, 4000 × 4 KiB) written by a native Node peer
 *    (a real `hyperdht` node listening with its key) is read by an Orchard hypercore (memory) in a
 *    tab through the relay (`RelayDHT.connect` by key), and by an Orchard hypercore on a native
 *    `hyperdht` node dialling the writer directly. The clock runs from the open connection to the
 *    reader holding every block (for the tab: once the relay reports the DHT stream connected,
 *    as a native dial opens); best of three alternating rounds (the first warms up). ours =
 *    through the relay, real = Node-direct. Run after the load sessions closed. A dial that fails
 *    after its handshake (`CONNECT_FAILED: HOLEPUNCH_ABORTED`) or whose connection carries nothing
 *    (the listener never got it; hyperdht closes it ~13 s later; seen native → native too) is
 *    dropped (after 5 s at most), dialled again (3 tries a round) and counted (`dials lost`).
 *
 * The figures move with the machine: on this 2-core VM other work shows as event-loop lag in both
 * processes (`relay lag ms`, `tabs lag ms`, at the row's percentile), in `direct RTT/2 ms` and in
 * the 1-minute load average beside p99. Sessions, pairs and pings live in `bench/relay/tabs.ts`,
 * the child-process handle and small helpers in `bench/relay/util.ts`.
 *
 * Rows 1–3 have no native counterpart (`real` is null). `@orchard/relay`, `ws`, `hyperdht` and
 * `@hyperswarm/testnet` are not dependencies of the bench package: the relay client comes from its
 * sources, the rest through a require anchored in `packages/relay`.
 */
import { createRequire } from 'node:module'
import { loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { ready } from '@orchard/crypto'
import { Hypercore } from '@orchard/hypercore'
import { openMemoryStorage } from '@orchard/storage'
import type { BenchContext } from '../harness.ts'
import { connectPairs, lookUntil, openTab, pingUntil, type Tab } from '../relay/tabs.ts'
import { debug, noop, percentile, pool, sleep, startRelay, within } from '../relay/util.ts'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '../..')
const require = createRequire(join(root, 'packages/relay/package.json'))
// biome-ignore lint/suspicious/noExplicitAny: hyperdht, the testnet and their streams are untyped
type Untyped = any
const HyperDHT: Untyped = require('hyperdht')
const createTestnet: (
  size: number,
  opts: { host: string }
) => Promise<Untyped> = require('@hyperswarm/testnet')

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback)
const SESSIONS = env('RELAY_SESSIONS', 1000)
const PAIRS = Math.min(env('RELAY_PAIRS', 50), Math.floor(SESSIONS / 2))
const WINDOW_MS = env('RELAY_WINDOW_MS', 10_000)
const BLOCKS = 4000
const SIZE = 4096
const LOOPBACK = '127.0.0.1'

/**
 * Replicates the writer's core into a fresh Orchard reader over `conn`: MB/s from now (the
 * connection is open) to the reader holding every block, or null if the connection closed first
 * or carried nothing for 5 s.
 */
async function readAll(key: Uint8Array, conn: Untyped): Promise<number | null> {
  const reader = new Hypercore(openMemoryStorage(), key)
  await reader.ready()
  const start = performance.now()
  reader.replicate(conn)
  const closed = new Promise<null>((resolve) => conn.once('close', () => resolve(null)))
  const all = (async () => {
    while (reader.length < BLOCKS && !conn.destroyed) {
      // the writer sends its length at once: a connection silent for 5 s is a dead one
      if (reader.length === 0 && performance.now() - start > 5000) return null
      await sleep(1)
    }
    if (conn.destroyed) return null
    await reader.download({ start: 0, end: BLOCKS }).done()
    return performance.now() - start
  })()
  all.catch(noop)
  try {
    const ms = await within(Promise.race([all, closed]), 60_000, 'replication')
    if (ms === null) debug('connection lost after', performance.now() - start, 'ms, blocks', reader.length)
    return ms === null ? null : (BLOCKS * SIZE) / 1000 / ms
  } finally {
    conn.destroy()
    await reader.close()
  }
}

type Dial = () => Promise<{ conn: Untyped; close(): Promise<void> } | null>

/** Dials (`dial`: an open connection, or null) and reads the core, up to 3 times; MB/s, dials lost. */
async function dialAndRead(key: Uint8Array, dial: Dial): Promise<{ rate: number; lost: number }> {
  let lost = 0
  for (; lost < 3; lost++) {
    const d = await dial().catch(() => null)
    const rate = d ? await readAll(key, d.conn) : null
    await d?.close()
    if (rate !== null) return { rate, lost }
  }
  return { rate: 0, lost }
}

export default async function relay(ctx: BenchContext): Promise<void> {
  await ready()
  const testnet = await createTestnet(3, { host: LOOPBACK })
  const cleanups: (() => Promise<unknown>)[] = [() => testnet.destroy()]
  try {
    const relay = await startRelay(testnet.bootstrap, SESSIONS + 16)
    cleanups.push(() => relay.close())
    const base = await relay.mem()
    debug('relay up', relay.url)

    // 1. sessions, each announcing (two per topic)
    const topics = Array.from({ length: Math.ceil(SESSIONS / 2) }, () =>
      crypto.getRandomValues(new Uint8Array(32))
    )
    const tabs: Tab[] = []
    cleanups.push(async () => {
      for (const t of tabs) await t.dht.destroy()
    })
    await pool(topics.flatMap((t) => [t, t]).slice(0, SESSIONS), 50, async (topic) => {
      tabs.push(await openTab(relay.url, topic))
    })
    const opened = tabs.length
    debug('sessions open', opened)
    await pool(tabs, 32, async (tab) => {
      await within(tab.dht.announce(tab.topic), 30_000, 'announce').then(
        () => {
          tab.announced = true
        },
        () => {
          tab.ok = false
        }
      )
    })

    // 2. pairs connected through the relay; then the window: pings on the pairs, lookups elsewhere
    const pairs: [Tab, Tab][] = []
    for (let i = 0; i < PAIRS; i++) pairs.push([tabs[2 * i]!, tabs[2 * i + 1]!])
    debug('announced', tabs.filter((t) => t.announced).length)
    const up = await connectPairs(pairs)
    debug('pairs up', up.length)
    // the baseline: 5 connections between two native hyperdht nodes, no relay, pinged alike
    const writerDht = new HyperDHT({ bootstrap: testnet.bootstrap, host: LOOPBACK })
    const readerDht = new HyperDHT({ bootstrap: testnet.bootstrap, host: LOOPBACK })
    cleanups.push(
      () => readerDht.destroy(),
      () => writerDht.destroy()
    )
    const echoKeyPair = HyperDHT.keyPair()
    await writerDht
      .createServer((conn: Untyped) => {
        conn.on('error', noop)
        conn.on('data', (d: Buffer) => conn.write(d))
      })
      .listen(echoKeyPair)
    const dialed = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const conn = readerDht.connect(echoKeyPair.publicKey)
        conn.on('error', noop)
        const open = within(new Promise((resolve) => conn.once('open', resolve)), 20_000, 'connect')
        return open.then(
          () => ({ conn }),
          () => conn.destroy()
        )
      })
    )
    const native = dialed.filter((d) => d !== undefined)
    await relay.mem() // resets the relay's event-loop histogram
    const loop = monitorEventLoopDelay({ resolution: 2 })
    loop.enable()
    const end = performance.now() + WINDOW_MS
    const [pings, nativePings, lookups] = await Promise.all([
      pingUntil(up, end),
      pingUntil(native, end),
      lookUntil(tabs.slice(2 * pairs.length), end)
    ])

    loop.disable()
    // 3. memory of the relay holding them
    const loaded = await relay.mem()
    debug('window over', loaded)
    const held = tabs.filter((t) => t.ok && t.announced && !t.dht.destroyed).length
    ctx.report({
      metric: `sessions held, announced + live (of ${SESSIONS})`,
      unit: 'sessions',
      ours: held,
      real: null,
      extra: {
        opened,
        announced: tabs.filter((t) => t.announced).length,
        'at relay': loaded.sessions,
        pairs: up.length,
        lookups: lookups.done,
        'lookups failed': lookups.failed
      }
    })
    for (const { conn } of native) conn.destroy()
    const rtts = pings.rtts.sort((a, b) => a - b)
    const nativeRtts = nativePings.rtts.sort((a, b) => a - b)
    for (const p of [0.5, 0.99]) {
      ctx.report({
        metric: `frame latency RTT/2 p${p * 100}, ${held} sessions`,
        unit: 'ms',
        ours: percentile(rtts, p) / 2,
        real: null,
        extra: {
          'RTT ms': percentile(rtts, p),
          'direct RTT/2 ms': percentile(nativeRtts, p) / 2,
          pings: rtts.length,
          lost: pings.lost,
          // event-loop lag over the window at the same percentile: the relay's, the tabs'
          'relay lag ms': p === 0.5 ? loaded.loopP50 : loaded.loopP99,
          'tabs lag ms': Math.max(0, loop.percentile(p * 100) / 1e6 - 2),
          ...(p === 0.99 ? { 'load 1m': loadavg()[0]! } : {})
        }
      })
    }
    const per = (a: number, b: number) => (a - b) / Math.max(1, loaded.sessions) / 1024
    ctx.report({
      metric: `relay heap+external per session, ${loaded.sessions} sess.`,
      unit: 'KiB/session',
      ours: per(loaded.heapUsed + loaded.external, base.heapUsed + base.external),
      real: null,
      extra: {
        'heap KiB': per(loaded.heapUsed, base.heapUsed),
        'external KiB': per(loaded.external, base.external),
        'RSS KiB': per(loaded.rss, base.rss),
        'RSS MB': loaded.rss / 1e6,
        'base RSS MB': base.rss / 1e6
      }
    })
    for (const t of tabs.splice(0)) await t.dht.destroy()
    debug('sessions closed')

    // 4. replication: a native writer; an Orchard reader through the relay vs on a native node
    const writer = new Hypercore(openMemoryStorage())
    cleanups.push(() => writer.close())
    const batch = Array.from({ length: 500 }, (_, i) => new Uint8Array(SIZE).fill(i & 0xff))
    for (let i = 0; i < BLOCKS; i += batch.length) await writer.append(batch)
    const writerKeyPair = HyperDHT.keyPair()
    const server = writerDht.createServer((conn: Untyped) => {
      conn.on('error', noop)
      writer.replicate(conn)
    })
    await server.listen(writerKeyPair)
    const direct: Dial = async () => {
      const conn = readerDht.connect(writerKeyPair.publicKey)
      conn.on('error', (err: Error) => debug('direct dial:', err.message))
      const open = new Promise<boolean>((resolve) => {
        conn.once('open', () => resolve(true))
        conn.once('close', () => resolve(false))
      })
      return (await within(open, 20_000, 'direct connect'))
        ? { conn, close: async () => conn.destroy() }
        : null
    }
    const throughRelay: Dial = async () => {
      const tab = await openTab(relay.url, topics[0]!)
      const conn = tab.dht.connect(writerKeyPair.publicKey)
      conn.on('error', (err: Error) => debug('relay dial:', err.message))
      const close = () => tab.dht.destroy()
      // `opened` resolves once the IK handshake is done, before hyperdht connected the stream (the
      // tab's first bytes wait at the relay); a native dial opens once connected: wait for that too
      const connected = async () => {
        if (!(await conn.opened)) return false
        while (!conn.destroyed && !(conn.rawStream as { connected?: boolean } | null)?.connected)
          await sleep(1)
        return !conn.destroyed
      }
      if (await within(connected(), 20_000, 'relay connect').catch(() => false)) return { conn, close }
      await close()
      return null
    }
    const best = { relay: 0, direct: 0 }
    const lost = { relay: 0, direct: 0 }
    for (let round = 0; round < 3; round++) {
      for (const [name, dial] of [
        ['direct', direct],
        ['relay', throughRelay]
      ] as const) {
        const r = await dialAndRead(writer.key!, dial)
        best[name] = Math.max(best[name], r.rate)
        lost[name] += r.lost
        debug(name, r)
      }
    }
    ctx.report({
      metric: `replication ${BLOCKS} × 4 KiB, tab via relay`,
      unit: 'MB/s',
      ours: best.relay,
      real: best.direct,
      // connections that opened at the dialler but closed before carrying the core (dialled again)
      extra: { 'relay dials lost': lost.relay, 'direct dials lost': lost.direct }
    })
  } finally {
    for (const fn of cleanups.reverse()) await fn().catch(noop)
  }
}
