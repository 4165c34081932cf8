/**
 * `pnpm bench webrtc`: tab ⇄ tab over WebRTC (issue 14). Two Chromium tabs in separate browser
 * contexts, inside a private network namespace (Chromium gathers no ICE candidates on loopback
 * alone; `packages/swarm/test/netns/harness.ts`), meet through an Orchard relay by topic.
 *
 * - `real` here is not a Holepunch package (the real stack has no WebRTC): it is the raw data
 *   channel between the two tabs — a bare simple-peer channel signalled over their relayed
 *   connection, the same bytes written through the same transport (`PeerDuplex`: its backpressure,
 *   and its packing of one turn's writes into 16 KiB messages) — once in writes of the block size
 *   and once in writes of the largest message (16 KiB, `MAX_DATACHANNEL_MESSAGE`); the faster of
 *   the two (by its median) is the channel's capacity, `real` (both medians beside the row).
 * - `ours` is hypercore replication between the same two tabs over the connection the swarm
 *   upgraded to WebRTC (`new Swarm({ relay, webrtc: true })`): the reader downloads every block of
 *   the writer's core (memory storage on both sides: the transport and the replication are measured,
 *   not IndexedDB) — secret-stream encryption, protomux, requests, Merkle proofs and verification.
 *
 * So ratio = replication MB/s ÷ raw channel MB/s, the share of the channel replication gets (goal
 * ≥ 0.8×). Both are timed on the receiving tab, from the first byte (raw) or the first request
 * (replication) to the last block; payload bytes only. Each workload runs ROUNDS times, raw and
 * replication alternating, and the row compares their medians. The faster write size is chosen by
 * its median, not per round: the faster of a round's two raw transfers is the luckier of two draws
 * of one rate (both put the same 16 KiB messages on the wire), and a median of those maxima stood
 * above both write sizes' own medians (28.1 MB/s against 23.8 and 25.5 in one run), so replication's
 * one draw per round was measured against raw's best of two.
 *
 * Medians, not bests: on this 2-core machine the raw channel's rate has a long upper tail (16 KiB,
 * 14 rounds in a row: 22.7–38.7 MB/s, median 28; replication 20.7–28.8, median 24), so a best-of-N
 * compares one lucky raw transfer with replication's typical best and falls as N grows, and a
 * stalled transfer (SCTP waits ~2 s about one time in five, raw or not) moves a median less than a
 * mean. The bests are reported beside the row.
 *
 * Blocks of 64 KiB are left out: a message above 16 KiB is cut into 16 KiB messages by the
 * transport anyway, so the 16 KiB row already measures the channel at its largest messages.
 */
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import { type Namespace, pageCall, startNamespace } from '../../packages/swarm/test/netns/harness.ts'
import { type BenchContext, median } from '../harness.ts'

const ROUNDS = 5
const WORKLOADS = [
  { count: 4000, size: 4 * 1024, label: '4 000 × 4 KiB' },
  { count: 1000, size: 16 * 1024, label: '1 000 × 16 KiB' }
]
/** The largest data-channel message `PeerDuplex` sends (`MAX_DATACHANNEL_MESSAGE`). */
const MAX_MESSAGE = 16 * 1024

const randomHex = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('hex')
let sessionId = 0

/** Raw channel MB/s: `count` × `size` bytes from `a` to `b`, timed on `b`. */
async function rawChannel(ns: Namespace, a: Page, b: Page, count: number, size: number): Promise<number> {
  const name = `raw-${sessionId++}`
  const topic = randomHex()
  await pageCall(a, 'openRaw', name, ns.relayUrl, topic, true)
  await pageCall(b, 'openRaw', name, ns.relayUrl, topic, false)
  await Promise.all([pageCall(a, 'rawReady', name), pageCall(b, 'rawReady', name)])
  const received = pageCall<number>(b, 'rawReceive', name, count * size)
  await pageCall(a, 'rawSend', name, count, size)
  const ms = await received
  await Promise.all([pageCall(a, 'closeRaw', name), pageCall(b, 'closeRaw', name)])
  return (count * size) / 1e6 / (ms / 1000)
}

/** Replication MB/s: a reader in `b` downloads a writer's `count` × `size` core from `a`, over WebRTC. */
async function replication(ns: Namespace, a: Page, b: Page, count: number, size: number): Promise<number> {
  const name = `repl-${sessionId++}`
  const opts = { webrtc: true, storage: 'memory' }
  const w = await pageCall<{ key: string }>(a, 'openPeer', name, ns.relayUrl, {
    ...opts,
    count,
    blockSize: size
  })
  await pageCall(b, 'openPeer', name, ns.relayUrl, { ...opts, key: w.key })
  const topic = randomHex()
  await pageCall(a, 'join', name, topic)
  await pageCall(b, 'join', name, topic)
  const ms = await pageCall<number>(b, 'replicate', name, count)
  await Promise.all([pageCall(a, 'close', name), pageCall(b, 'close', name)])
  return (count * size) / 1e6 / (ms / 1000)
}

export default async function webrtc(ctx: BenchContext): Promise<void> {
  const ns = await startNamespace(fileURLToPath(new URL('../webrtc/page.ts', import.meta.url)))
  try {
    const a = await ns.openTab()
    const b = await ns.openTab()
    for (const w of WORKLOADS) {
      const bytes = w.count * w.size
      const rawBlocks: number[] = []
      const rawMax: number[] = []
      const repl: number[] = []
      for (let round = 0; round < ROUNDS; round++) {
        rawBlocks.push(await rawChannel(ns, a, b, w.count, w.size))
        if (w.size !== MAX_MESSAGE) {
          rawMax.push(await rawChannel(ns, a, b, bytes / MAX_MESSAGE, MAX_MESSAGE))
        }
        repl.push(await replication(ns, a, b, w.count, w.size))
      }
      const rawMedians: Record<string, number> = {
        [`raw median, ${w.size / 1024} KiB writes`]: median(rawBlocks)
      }
      if (rawMax.length > 0) rawMedians['raw median, 16 KiB writes'] = median(rawMax)
      ctx.report({
        metric: `tab⇄tab ${w.label}: replication vs raw channel (medians of ${ROUNDS})`,
        unit: 'MB/s',
        ours: median(repl),
        real: Math.max(...Object.values(rawMedians)),
        extra: {
          'replication best': Math.max(...repl),
          'raw best': Math.max(...rawBlocks, ...rawMax),
          ...rawMedians
        }
      })
    }
  } finally {
    await ns.close()
  }
}
