/** Shared test plumbing: a loopback testnet, swarms on it (ours and the real hyperswarm), waits. */
import createTestnet from '@hyperswarm/testnet'
import { ready } from '@orchard/crypto'
import HyperDHT from 'hyperdht'
import Hyperswarm from 'hyperswarm'
import { createNodeDHT, NodeSwarm } from '../src/dht-node.ts'
import type { SwarmOptions } from '../src/index.ts'
import { Swarm } from '../src/index.ts'

export interface Testnet {
  bootstrap: { host: string; port: number }[]
  destroy(): Promise<void>
}

/**
 * Every DHT node binds loopback: this sandbox drops UDP on its other interface, and a node bound to
 * all interfaces advertises addresses a peer may try first.
 */
export const LOOPBACK = '127.0.0.1'

/** Fast retries for tests (ms). */
export const FAST_BACKOFFS = [100, 200, 400, 800]

/** A loopback testnet of 3 nodes and a registry of everything to tear down. */
export async function setup() {
  await ready()
  const testnet = (await createTestnet(3)) as Testnet
  const cleanups: (() => Promise<unknown>)[] = []
  return {
    testnet,
    /** Ours, on a NodeDHT bootstrapped on the testnet. */
    ours(opts: Partial<SwarmOptions> = {}): Swarm {
      const swarm = new Swarm({
        dht: createNodeDHT({ bootstrap: testnet.bootstrap, host: LOOPBACK }),
        ...opts
      })
      swarm.on('connection', quiet)
      cleanups.push(() => swarm.destroy())
      return swarm
    },
    /** Ours, through the Node entry's NodeSwarm (its own hyperdht). */
    oursNode(opts: Partial<SwarmOptions> = {}): NodeSwarm {
      const swarm = new NodeSwarm({ bootstrap: testnet.bootstrap, host: LOOPBACK, ...opts })
      swarm.on('connection', quiet)
      cleanups.push(() => swarm.destroy())
      return swarm
    },
    /** The real hyperswarm 4. */
    // biome-ignore lint/suspicious/noExplicitAny: untyped oracle
    real(opts: Record<string, unknown> = {}): any {
      const swarm = new Hyperswarm({
        dht: new HyperDHT({ bootstrap: testnet.bootstrap, host: LOOPBACK }),
        ...opts
      })
      swarm.on('connection', quiet)
      cleanups.push(() => swarm.destroy())
      return swarm
    },
    /** Registers a teardown (cores, dirs). */
    defer(fn: () => Promise<unknown> | unknown): void {
      cleanups.push(async () => fn())
    },
    async teardown(): Promise<void> {
      for (const fn of cleanups.reverse()) await fn().catch(() => {})
      await testnet.destroy()
    }
  }
}

/**
 * As every hyperswarm app must: connection errors (a reset when the other end goes away) are
 * handled, or a Holepunch stream throws them.
 */
// biome-ignore lint/suspicious/noExplicitAny: our connection or the real one
function quiet(conn: any): void {
  conn.on('error', () => {})
}

/** A random 32-byte topic. */
export function randomTopic(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(32))
}

export function hex(b: Uint8Array | null | undefined): string {
  return b ? Buffer.from(b).toString('hex') : ''
}

/** Polls `cond` every 50 ms until true; throws after `ms`. */
export async function until(cond: () => boolean, ms = 20_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

// biome-ignore lint/suspicious/noExplicitAny: our swarm or the real one
type AnySwarm = { connections: Set<any> }

/** The open connections of a swarm that are not destroyed. */
// biome-ignore lint/suspicious/noExplicitAny: our swarm or the real one
export function live(swarm: AnySwarm): any[] {
  return [...swarm.connections].filter((c) => !c.destroyed)
}

/**
 * Waits until `a` and `b` each hold exactly one live connection and it is the same connection
 * (equal handshake hashes), then checks it stays so for a moment (late duplicates settle).
 */
export async function oneSharedConnection(a: AnySwarm, b: AnySwarm): Promise<[unknown, unknown]> {
  const agreed = () => {
    const ca = live(a)
    const cb = live(b)
    return (
      ca.length === 1 &&
      cb.length === 1 &&
      hex(ca[0].handshakeHash) === hex(cb[0].handshakeHash) &&
      hex(ca[0].handshakeHash) !== ''
    )
  }
  await until(agreed, 30_000, 'one shared connection')
  await sleep(1000)
  await until(agreed, 30_000, 'one shared connection (after settling)')
  return [live(a)[0], live(b)[0]]
}
