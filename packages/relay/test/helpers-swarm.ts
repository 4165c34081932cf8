/**
 * Test plumbing for swarms through relays: a loopback testnet shared by relays, "tabs" (an
 * `@orchard/swarm` `Swarm` on the isomorphic relay client over `ws`), native peers (the real
 * `hyperswarm`), a WebSocket that tampers with relayed bytes, and polling.
 */
import createTestnet from '@hyperswarm/testnet'
import { type KeyPair, keyPair as newKeyPair, ready } from '@orchard/crypto'
import { Swarm, type SwarmOptions } from '@orchard/swarm'
import type { WebSocketLike } from '@orchard/wire'
import HyperDHT from 'hyperdht'
import Hyperswarm from 'hyperswarm'
import WebSocket from 'ws'
import { RelayDHT, RelaySwarmDHT, refreshOnReconnect } from '../src/client/index.ts'
import { RelayServer } from '../src/index.ts'

/** Every hyperdht node binds loopback on this machine. */
export const LOOPBACK = '127.0.0.1'
/** Fast retries (ms). */
export const FAST_BACKOFFS = [100, 200, 400, 800]

// biome-ignore lint/suspicious/noExplicitAny: the real hyperswarm and its streams are untyped
export type Native = any

/** A loopback testnet and everything started on it, torn down in reverse by `teardown`. */
export async function setupNet() {
  await ready()
  const testnet = (await createTestnet(3, { host: LOOPBACK })) as {
    bootstrap: { host: string; port: number }[]
    destroy(): Promise<void>
  }
  const cleanups: (() => Promise<unknown>)[] = []
  const env = {
    testnet,
    /** A relay server on the shared testnet (`port` 0: any). */
    async relay(port = 0): Promise<RelayServer> {
      const relay = await RelayServer.start({ bootstrap: testnet.bootstrap, dhtHost: LOOPBACK, port })
      cleanups.push(() => relay.close())
      return relay
    },
    /** A tab: a `Swarm` on a plain relay session (`RelayDHT`) opened on `url`. */
    async tabOnSession(url: string, opts: Partial<SwarmOptions> = {}) {
      const kp = newKeyPair()
      const dht = new RelayDHT(new WebSocket(url) as unknown as WebSocketLike, { keyPair: kp })
      await dht.ready()
      const swarm = new Swarm({ dht, keyPair: kp, backoffs: FAST_BACKOFFS, jitter: 0, ...opts })
      swarm.on('connection', quiet)
      cleanups.push(() => swarm.destroy())
      return { dht, swarm, keyPair: kp }
    },
    /** A tab: a `Swarm` on a reconnecting relay DHT whose sockets come from `socket`. */
    async tab(socket: () => WebSocketLike, opts: Partial<SwarmOptions> & { keyPair?: KeyPair } = {}) {
      const dht = new RelaySwarmDHT({
        socket,
        keyPair: opts.keyPair ?? newKeyPair(),
        reconnectDelays: [200, 500]
      })
      await dht.ready()
      const swarm = new Swarm({
        backoffs: FAST_BACKOFFS,
        jitter: 0,
        ...opts,
        dht,
        keyPair: dht.defaultKeyPair
      })
      refreshOnReconnect(dht, swarm)
      swarm.on('connection', quiet)
      cleanups.push(() => swarm.destroy())
      return { dht, swarm, keyPair: dht.defaultKeyPair }
    },
    /** The real hyperswarm 4 on the testnet. */
    native(opts: Record<string, unknown> = {}): Native {
      const swarm = new Hyperswarm({
        dht: new HyperDHT({ bootstrap: testnet.bootstrap, host: LOOPBACK }),
        ...opts
      })
      swarm.on('connection', quiet)
      cleanups.push(() => swarm.destroy())
      return swarm
    },
    defer(fn: () => unknown): void {
      cleanups.push(async () => fn())
    },
    async teardown(): Promise<void> {
      for (const fn of cleanups.reverse()) await fn().catch(() => {})
      await testnet.destroy()
    }
  }
  return env
}

/** A `ws` socket to `url` as the client's `WebSocketLike`. */
export function wsTo(url: string): WebSocketLike {
  return new WebSocket(url) as unknown as WebSocketLike
}

/** Connection errors are expected when a peer goes away: handled, as every hyperswarm app does. */
function quiet(conn: Native): void {
  conn.on('error', () => {})
}

/**
 * A socket to `url` standing for a relay that tampers with what it sends the tab: the first
 * relayed `DATA` frame (type 18) holding more than `minData` bytes gets one byte flipped.
 * `tampered()` tells whether it happened.
 */
export function tamperingSocket(url: string, minData = 512): { socket: WebSocketLike; tampered(): boolean } {
  const ws = new WebSocket(url)
  let done = false
  const socket: WebSocketLike = {
    get binaryType() {
      return ws.binaryType
    },
    set binaryType(v: string) {
      ws.binaryType = v as 'arraybuffer'
    },
    get readyState() {
      return ws.readyState
    },
    get bufferedAmount() {
      return ws.bufferedAmount
    },
    send: (data) => ws.send(data),
    close: (code, reason) => ws.close(code, reason),
    addEventListener(type, listener) {
      if (type !== 'message') {
        ws.addEventListener(type as 'open', listener as () => void)
        return
      }
      ws.addEventListener('message', (e) => {
        const data = e.data
        if (!done && data instanceof ArrayBuffer && data.byteLength > minData + 8) {
          const frame = new Uint8Array(data)
          if (frame[0] === 18) {
            frame[frame.length - Math.floor(minData / 2)]! ^= 0x01
            done = true
          }
        }
        listener({ data })
      })
    }
  }
  return { socket, tampered: () => done }
}

/** Polls `cond` every 50 ms until true; throws after `ms`. */
export async function until(cond: () => boolean, ms = 30_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Lower-case hex (empty for null). */
export function hex(b: Uint8Array | null | undefined): string {
  return b ? Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex') : ''
}

/** The live (not destroyed) connections of a swarm. */
export function live(swarm: { connections: Set<Native> }): Native[] {
  return [...swarm.connections].filter((c) => !c.destroyed)
}
