/**
 * The page of the swarm's network-namespace test (bundled by esbuild, served by the relay child
 * inside the namespace): a tab runs `@orchard/swarm` through the Orchard relay
 * (`relay: relayNode(url)`), with the `webrtc` option, and replicates a Hypercore (IndexedDB or
 * memory) on every connection the swarm hands out. The test drives it through the functions put on
 * `window`; `pnpm bench webrtc`'s page builds on it (`sessions`).
 */
import { ready } from '@orchard/crypto'
import { Hypercore } from '@orchard/hypercore'
import { openIdbStorage, openMemoryStorage } from '@orchard/storage'
import type { PeerDuplex, WebRtcError } from '@orchard/webrtc'
import { type RelaySwarmDHT, relayNode } from '../../../relay/src/client/index.ts'
import { selectedRemoteAddress } from '../../../webrtc/test/browser/ice.ts'
import { Swarm, type SwarmConnection, type SwarmWebRtcOptions } from '../../src/index.ts'

const hex = (b: Uint8Array | null) =>
  b ? Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('') : ''
const unhex = (s: string) => Uint8Array.from(s.match(/../g)!, (h) => Number.parseInt(h, 16))

/** One tab's swarm and core, and what it saw. */
export interface Session {
  swarm: Swarm
  core: Hypercore
  /** Every connection handed out, with its type then. */
  seen: { conn: SwarmConnection; type: string | null }[]
  upgrades: number
  failures: string[]
  errors: string[]
}

/** The sessions of this tab, by name. */
export const sessions = new Map<string, Session>()

function session(name: string): Session {
  const s = sessions.get(name)
  if (!s) throw new Error(`no session ${name}`)
  return s
}

/** Options of {@link openPeer}. */
export interface OpenOptions {
  /** The swarm's `webrtc` option (`wrtc` is not needed in a browser). */
  webrtc: boolean | SwarmWebRtcOptions
  /** A reader of this core key (hex); a fresh writer when absent. */
  key?: string
  /** Blocks the writer starts with. */
  count?: number
  /** Bytes per block (default: a short text per block). */
  blockSize?: number
  /** Where the core lives (default IndexedDB). */
  storage?: 'idb' | 'memory'
}

/** Block `i` of a writer: a text, or `size` bytes derived from `i`. */
export function block(i: number, size?: number): Uint8Array {
  if (!size) return new TextEncoder().encode(`block ${i}`)
  const out = new Uint8Array(size)
  let x = (i + 1) * 2654435761
  for (let j = 0; j < size; j += 4) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[j] = x & 0xff
    out[j + 1] = (x >>> 8) & 0xff
    out[j + 2] = (x >>> 16) & 0xff
    out[j + 3] = (x >>> 24) & 0xff
  }
  return out
}

/**
 * Opens session `name`: a swarm through the relay at `relayUrl` (its session open before anything
 * is joined) and a core — a writer of `count` blocks, or a reader of `key` — replicated on every
 * connection. Returns the swarm's public key and the core's key.
 */
async function openPeer(name: string, relayUrl: string, opts: OpenOptions) {
  await ready()
  const swarm = new Swarm({
    relay: relayNode(relayUrl, { reconnectDelays: [200, 500, 1000] }),
    webrtc: opts.webrtc,
    backoffs: [300, 600, 1200, 2400],
    jitter: 0
  })
  // a listen started while the relay session opens fails (see the Node test); wait for it first
  await (swarm.dht as RelaySwarmDHT).ready()
  const storage =
    opts.storage === 'memory' ? openMemoryStorage() : await openIdbStorage(`${name}-${Date.now()}`)
  const core = opts.key ? new Hypercore(storage, unhex(opts.key)) : new Hypercore(storage)
  await core.ready()
  if (!opts.key && opts.count) {
    const blocks = Array.from({ length: opts.count }, (_, i) => block(i, opts.blockSize))
    for (let i = 0; i < blocks.length; i += 500) await core.append(blocks.slice(i, i + 500))
  }
  const s: Session = { swarm, core, seen: [], upgrades: 0, failures: [], errors: [] }
  swarm.on('connection', (conn, peer) => {
    s.seen.push({ conn, type: peer.connectionType })
    conn.on('error', (err: Error) => s.errors.push(err.message))
    core.replicate(conn)
  })
  swarm.on('upgrade', () => {
    s.upgrades++
  })
  swarm.on('upgrade-error', (err) => {
    s.failures.push((err as WebRtcError).code ?? err.message)
  })
  sessions.set(name, s)
  return { publicKey: hex(swarm.keyPair.publicKey), key: hex(core.key) }
}

/** Joins `topic` (hex) as client and server. */
async function join(name: string, topic: string) {
  await session(name).swarm.join(unhex(topic)).flushed()
}

/** The remote address of the ICE candidate pair a direct connection's peer connection selected. */
async function remoteAddress(conn: SwarmConnection): Promise<string | null> {
  const raw = (conn as unknown as { rawStream?: PeerDuplex }).rawStream
  const pc = (raw?.peer as unknown as { _pc?: RTCPeerConnection } | undefined)?._pc
  return pc ? selectedRemoteAddress(pc) : null
}

/** What session `name` saw so far. */
async function state(name: string) {
  const s = session(name)
  const live = [...s.swarm.connections].filter((c) => !c.destroyed)
  return {
    types: s.seen.map((x) => x.type),
    upgrades: s.upgrades,
    failures: s.failures,
    errors: s.errors,
    live: live.map((c) => s.swarm.connectionType(c)),
    handshakeHash: live.length === 1 ? hex(live[0]!.handshakeHash) : '',
    remoteAddress: live.length === 1 ? await remoteAddress(live[0]!) : null,
    length: s.core.length
  }
}

/** The writer appends `count` more blocks. */
async function append(name: string, count: number, blockSize?: number) {
  const core = session(name).core
  const from = core.length
  await core.append(Array.from({ length: count }, (_, i) => block(from + i, blockSize)))
  return { length: core.length, treeHash: hex(await core.treeHash()) }
}

/** Waits until the reader holds blocks [0, length), verified; returns its tree hash and a check. */
async function read(name: string, length: number) {
  const core = session(name).core
  const got = await Promise.all(Array.from({ length }, (_, i) => core.get(i, { timeout: 60_000 })))
  const intact = got.every((b, i) => hex(b as Uint8Array) === hex(block(i)))
  return { length: core.length, treeHash: hex(await core.treeHash(length)), intact }
}

async function close(name: string) {
  const s = session(name)
  await s.swarm.destroy()
  await s.core.close()
  sessions.delete(name)
}

Object.assign(globalThis, { openPeer, join, state, append, read, close, ready: true })
