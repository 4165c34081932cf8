/**
 * The relay's optional blind peer: Holepunch's real `blind-peer` (npm), on its own DHT node next to
 * the relay's. Tabs ask it (with `@orchard/blind-peering`, through the relay) to keep their cores,
 * so the data stays reachable while every tab is closed; encrypted cores reach it, and stay with
 * it, as ciphertext only. Its key pair comes from a seed kept beside its database, so the key
 * apps were given survives restarts.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

const require = createRequire(import.meta.url)
// biome-ignore lint/suspicious/noExplicitAny: untyped CommonJS packages, used through the few calls below
type Any = any
const BlindPeer: Any = require('blind-peer')
const Hyperswarm: Any = require('hyperswarm')
const HyperDHT: Any = require('hyperdht')

/** Options of {@link startBlindPeer}. */
export interface BlindPeerOptions {
  /** Directory of its database and key seed (created if missing). */
  storage: string
  /** The DHT to join (the relay's bootstrap list). */
  bootstrap: (string | { host: string; port: number })[]
  /** Interface its DHT node binds (the relay's DHT host). */
  host?: string
  /**
   * Tell the DHT the node is reachable as is (hyperdht's `firewalled: false`), for a loopback DHT
   * where it is: peers in other processes then dial it directly instead of holepunching.
   */
  reachable?: boolean
  /** Bytes it may store before it clears the least recently used cores (default blind-peer's: 100 GB). */
  maxBytes?: number
}

/** A running blind peer. */
export interface RunningBlindPeer {
  /** The key clients dial and pass to `BlindPeering` as `keys`. */
  readonly publicKey: Uint8Array
  /** The directory its database lives in (for audits: it holds what it was asked to keep). */
  readonly storage: string
  /** Writes pending records now (the blind peer also does every 10 s). */
  flush(): Promise<void>
  /** Closes the blind peer and its DHT node. */
  close(): Promise<void>
}

/** Starts the blind peer and listens on its key. */
export async function startBlindPeer(opts: BlindPeerOptions): Promise<RunningBlindPeer> {
  mkdirSync(opts.storage, { recursive: true })
  const seedFile = join(opts.storage, 'swarm-seed')
  if (!existsSync(seedFile)) writeFileSync(seedFile, randomBytes(32), { mode: 0o600 })
  const seed = readFileSync(seedFile)
  if (seed.byteLength !== 32) throw new Error(`${seedFile} must hold 32 bytes`)
  const dht = new HyperDHT({
    bootstrap: opts.bootstrap,
    ...(opts.host ? { host: opts.host } : {}),
    ...(opts.reachable ? { firewalled: false } : {})
  })
  const swarm = new Hyperswarm({ dht, keyPair: HyperDHT.keyPair(seed) })
  const bp = new BlindPeer(join(opts.storage, 'db'), {
    swarm,
    ...(opts.maxBytes !== undefined ? { maxBytes: opts.maxBytes } : {})
  })
  try {
    await bp.ready()
    await bp.listen()
  } catch (err) {
    await bp.close().catch(() => {})
    await swarm.destroy()
    throw err
  }
  return {
    publicKey: new Uint8Array(bp.publicKey),
    storage: opts.storage,
    flush: () => bp.flush(),
    async close() {
      await bp.close()
      await swarm.destroy()
    }
  }
}
