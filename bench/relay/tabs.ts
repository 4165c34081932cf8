/**
 * The "tabs" of `pnpm bench relay` (`bench/suites/relay.ts`): relay sessions (the isomorphic
 * `RelayDHT` over the `ws` package's WebSocket), pairs of them connected through the relay, and
 * the traffic they keep up during the measuring window (pings on the pairs, lookups elsewhere).
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { keyPair } from '@orchard/crypto'
import type { SecretStream, WebSocketLike } from '@orchard/wire'
import { RelayDHT } from '../../packages/relay/src/client/index.ts'
import { noop, pool, sleep, within } from './util.ts'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(join(here, '../../packages/relay/package.json'))
const WebSocket: new (url: string) => unknown = require('ws')
// biome-ignore lint/suspicious/noExplicitAny: hyperdht's streams are untyped
type Untyped = any

/** Milliseconds between two pings of one connection. */
export const PING_EVERY = 100
/** Milliseconds between two lookups of one session. */
export const LOOKUP_EVERY = 5000

export interface Tab {
  dht: RelayDHT
  topic: Uint8Array
  announced: boolean
  /** False once the session closed or one of its requests failed. */
  ok: boolean
}

export async function openTab(url: string, topic: Uint8Array): Promise<Tab> {
  const dht = new RelayDHT(new WebSocket(url) as WebSocketLike, { keyPair: keyPair() })
  const tab: Tab = { dht, topic, announced: false, ok: true }
  dht.on('close', () => {
    tab.ok = false
  })
  await within(dht.ready(), 30_000, 'session open')
  return tab
}

/** Resolves with the next message on `conn`, or null after `ms`. */
export function nextMessage(conn: SecretStream, ms: number): Promise<Uint8Array | null> {
  return new Promise((resolve) => {
    const onData = (d: Uint8Array) => {
      clearTimeout(timer)
      resolve(d)
    }
    const timer = setTimeout(() => {
      conn.off('data', onData)
      resolve(null)
    }, ms)
    conn.once('data', onData)
  })
}

export interface Pair {
  a: Tab
  b: Tab
  /** B's end of its connection to A. */
  conn: SecretStream
}

/** Connects `pairs` [listener, dialer] tabs; returns those whose connection echoes. */
export async function connectPairs(pairs: [Tab, Tab][]): Promise<Pair[]> {
  await pool(pairs, 16, async ([a]) => {
    const server = a.dht.createServer({}, (conn) => {
      conn.on('error', noop)
      conn.on('data', (d: Uint8Array) => conn.write(d))
    })
    await within(server.listen(a.dht.defaultKeyPair), 30_000, 'listen').catch(() => {
      a.ok = false
    })
  })
  const up: Pair[] = []
  await pool(pairs, 8, async ([a, b]) => {
    if (!a.ok) return
    const conn = b.dht.connect(a.dht.defaultKeyPair.publicKey)
    conn.on('error', noop)
    const opened = await within(conn.opened, 20_000, 'connect').catch(() => false)
    // a first echo proves both ends hold the connection
    conn.write(new Uint8Array(16))
    if (opened && (await nextMessage(conn, 5000))) up.push({ a, b, conn })
    else {
      a.ok = b.ok = false
      conn.destroy()
    }
  })
  return up
}

/** Pings on every connection until `end`; returns the round trips (ms) and the pings lost. */
export async function pingUntil(pairs: { conn: Untyped; a?: Tab; b?: Tab }[], end: number) {
  const rtts: number[] = []
  let lost = 0
  await Promise.all(
    pairs.map(async ({ a, b, conn }) => {
      await sleep(Math.random() * PING_EVERY)
      const msg = Buffer.alloc(16)
      while (performance.now() < end && !conn.destroyed) {
        const start = performance.now()
        const echo = nextMessage(conn, 2000)
        conn.write(msg)
        if (!(await echo)) {
          lost++
          if (a && b) a.ok = b.ok = false
          return
        }
        rtts.push(performance.now() - start)
        await sleep(PING_EVERY)
      }
    })
  )
  return { rtts, lost }
}

/** Every tab looks its topic up every LOOKUP_EVERY ms (staggered) until `end`. */
export async function lookUntil(tabs: Tab[], end: number) {
  let done = 0
  let failed = 0
  await Promise.all(
    tabs.map(async (tab) => {
      await sleep(Math.random() * LOOKUP_EVERY)
      while (performance.now() < end && tab.ok) {
        const abort = new AbortController()
        const drain = async () => {
          for await (const _ of tab.dht.lookup(tab.topic, { signal: abort.signal })) {
            // the replies are the frames: drained
          }
        }
        try {
          await within(drain(), 10_000, 'lookup')
          done++
        } catch {
          abort.abort()
          failed++
          tab.ok = false
        }
        await sleep(LOOKUP_EVERY)
      }
    })
  )
  return { done, failed }
}
