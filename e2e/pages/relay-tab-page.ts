/**
 * The page of the relay tab test (bundled and served by the test): a tab session on an Orchard
 * relay (`RelayDHT` over the browser's `WebSocket`, the tab's own key pair), our Hypercore on
 * IndexedDB, and the connections the relay brings — `@orchard/wire` secret-streams run here, end to
 * end with a native hyperswarm peer. The test drives it through the functions put on `window`.
 *
 * The relay client sources are imported relatively (esbuild bundles them): `@orchard/relay` is not
 * a dependency of the e2e package yet.
 */
import { keyPair, ready } from '@orchard/crypto'
import { Hypercore } from '@orchard/hypercore'
import { openIdbStorage } from '@orchard/storage'
import { RelayDHT, RelaySwarmDHT, refreshOnReconnect } from '../../packages/relay/src/client/index.ts'
import { Swarm, type SwarmConnection } from '../../packages/swarm/src/index.ts'

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
const unhex = (s: string) => Uint8Array.from(s.match(/../g)!, (h) => Number.parseInt(h, 16))
const enc = new TextEncoder()
const dec = new TextDecoder()
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** One tab session on the relay and the cores it replicates on every connection. */
interface Session {
  /** The bare relay session (null for a swarm session). */
  dht: RelayDHT | null
  swarm: Swarm | null
  destroy(): Promise<void>
  publicKey: Uint8Array
  /** The tab's reader of the native peer's core. */
  reader: Hypercore
  /** A core the tab writes. */
  writer: Hypercore
  connections: SwarmConnection[]
  errors: string[]
}

const sessions = new Map<string, Session>()

function session(name: string): Session {
  const s = sessions.get(name)
  if (!s) throw new Error(`no session ${name}`)
  return s
}

async function openCore(name: string, key: Uint8Array | null): Promise<Hypercore> {
  const storage = await openIdbStorage(name)
  const core = key ? new Hypercore(storage, key) : new Hypercore(storage)
  await core.ready()
  return core
}

function onConnection(s: Session, conn: SwarmConnection): void {
  s.connections.push(conn)
  conn.on('error', (err: Error) => s.errors.push(err.message))
  s.reader.replicate(conn)
  s.writer.replicate(conn)
}

/**
 * Opens a relay session named `name` with a fresh key pair; opens (IndexedDB) a reader of
 * `nativeKey` and a writer holding `count` blocks. Returns the tab's public key and its core.
 */
async function open(name: string, relayUrl: string, nativeKey: string, count: number) {
  await ready()
  const kp = keyPair()
  const dht = new RelayDHT(new WebSocket(relayUrl), { keyPair: kp })
  await dht.ready()
  const reader = await openCore(`${name}-reader`, unhex(nativeKey))
  const writer = await openCore(`${name}-writer`, null)
  await writer.append(Array.from({ length: count }, (_, i) => enc.encode(`tab ${name} block ${i}`)))
  const destroy = () => dht.destroy()
  const s: Session = {
    dht,
    swarm: null,
    destroy,
    publicKey: kp.publicKey,
    reader,
    writer,
    connections: [],
    errors: []
  }
  sessions.set(name, s)
  return opened(s)
}

async function opened(s: Session) {
  return {
    publicKey: hex(s.publicKey),
    writerKey: hex(s.writer.key!),
    writerTreeHash: hex(await s.writer.treeHash())
  }
}

/**
 * As `open`, but the tab runs `@orchard/swarm`'s `Swarm` on a (reconnecting) relay session,
 * `RelaySwarmDHT`, and replicates its cores on every swarm connection.
 */
async function openSwarm(name: string, relayUrl: string, nativeKey: string, count: number) {
  await ready()
  const dht = new RelaySwarmDHT({
    socket: () => new WebSocket(relayUrl),
    keyPair: keyPair(),
    reconnectDelays: [200, 500, 1000]
  })
  await dht.ready()
  const swarm = new Swarm({ dht, keyPair: dht.defaultKeyPair, backoffs: [300, 600, 1200, 2400] })
  // as an app would: when the relay comes back, the topics are announced and looked up again
  refreshOnReconnect(dht, swarm)
  const reader = await openCore(`${name}-reader`, unhex(nativeKey))
  const writer = await openCore(`${name}-writer`, null)
  await writer.append(Array.from({ length: count }, (_, i) => enc.encode(`tab ${name} block ${i}`)))
  const destroy = () => swarm.destroy()
  const s: Session = {
    dht: null,
    swarm,
    destroy,
    publicKey: dht.defaultKeyPair.publicKey,
    reader,
    writer,
    connections: [],
    errors: []
  }
  swarm.on('connection', (conn) => onConnection(s, conn))
  sessions.set(name, s)
  return opened(s)
}

/**
 * The session's reader now follows `key` (another tab's core): a fresh IndexedDB core of it,
 * replicated on every connection from now on, in place of the reader it had.
 */
async function follow(name: string, key: string) {
  const s = session(name)
  await s.reader.close()
  s.reader = await openCore(`${name}-follows-${key.slice(0, 16)}`, unhex(key))
  for (const conn of s.connections) if (!conn.destroyed) s.reader.replicate(conn)
}

/** The tab's swarm joins `topic` (server and client, as hyperswarm's default). */
async function join(name: string, topic: string) {
  await session(name).swarm!.join(unhex(topic)).flushed()
}

/** The tab listens (with its own key) and announces itself under `topic`. */
async function listenAndAnnounce(name: string, topic: string) {
  const s = session(name)
  const dht = s.dht!
  await dht.createServer({}, (conn) => onConnection(s, conn)).listen(dht.defaultKeyPair)
  await dht.announce(unhex(topic), dht.defaultKeyPair)
}

/** The tab listens with its own key only (a peer that knows the key dials it: `joinPeer`). */
async function listen(name: string) {
  const s = session(name)
  const dht = s.dht!
  await dht.createServer({}, (conn) => onConnection(s, conn)).listen(dht.defaultKeyPair)
}

/** Looks `topic` up through the relay; returns every public key found. */
async function lookup(name: string, topic: string) {
  const found = new Set<string>()
  for await (const reply of session(name).dht!.lookup(unhex(topic))) {
    for (const p of reply.peers) found.add(hex(p.publicKey))
  }
  return [...found]
}

/** Dials `publicKey` through the relay (the tab runs the Noise IK handshake); true once open. */
async function connect(name: string, publicKey: string) {
  const s = session(name)
  const conn = s.dht!.connect(unhex(publicKey), { keyPair: s.dht!.defaultKeyPair })
  onConnection(s, conn)
  return conn.opened
}

/**
 * Waits for the first connection and for the reader to hold `length` blocks, all downloaded and
 * verified; returns the blocks, the tree hash and the connection's keys.
 */
async function read(name: string, length: number) {
  const s = session(name)
  while (s.reader.length < length) await sleep(10)
  await s.reader.download({ start: 0, end: length }).done()
  // the connection that carried it (a swarm may also have dialled one that lost the dedup)
  const live = s.connections.filter((c) => !c.destroyed)
  const conn = live[0] ?? s.connections[0]!
  const blocks: string[] = []
  for (let i = 0; i < length; i++)
    blocks.push(dec.decode((await s.reader.get(i, { wait: false })) as Uint8Array))
  return {
    length: s.reader.length,
    treeHash: hex(await s.reader.treeHash()),
    blocks,
    connections: s.connections.length,
    live: live.length,
    remotePublicKey: hex(conn.remotePublicKey!),
    publicKey: hex(s.publicKey),
    handshakeHash: hex(conn.handshakeHash!),
    isInitiator: conn.isInitiator,
    errors: s.errors
  }
}

/** After a close: what IndexedDB holds for the session's reader, with no network. */
async function stored(name: string, key: string) {
  const core = await openCore(`${name}-reader`, unhex(key))
  const blocks: string[] = []
  for (let i = 0; i < core.length; i++)
    blocks.push(dec.decode((await core.get(i, { wait: false })) as Uint8Array))
  const result = { length: core.length, treeHash: hex(await core.treeHash()), blocks }
  await core.close()
  return result
}

/** Blocks read so far by {@link readInBackground}, by session. */
const reading = new Map<string, { got: (string | null)[]; done: Promise<void> }>()

/** Starts reading blocks 0..count-1 of the session's reader in order, waiting for each. */
function readInBackground(name: string, count: number) {
  const s = session(name)
  const got: (string | null)[] = new Array(count).fill(null)
  const done = (async () => {
    for (let i = 0; i < count; i++) {
      got[i] = dec.decode((await s.reader.get(i, { timeout: 60_000 })) as Uint8Array)
    }
  })()
  done.catch(() => {})
  reading.set(name, { got, done })
}

/** How many blocks {@link readInBackground} has, and the relay sessions the tab opened so far. */
function readProgress(name: string) {
  const r = reading.get(name)!
  const s = session(name)
  return {
    read: r.got.filter((b) => b !== null).length,
    live: s.connections.filter((c) => !c.destroyed).length,
    sessions: (s.swarm?.dht as RelaySwarmDHT | undefined)?.sessions ?? 1
  }
}

/** Waits for {@link readInBackground} to finish; returns every block, the length and tree hash. */
async function readAll(name: string) {
  const r = reading.get(name)!
  await r.done
  const s = session(name)
  return { blocks: r.got, length: s.reader.length, treeHash: hex(await s.reader.treeHash()) }
}

/** What the session holds now (for a failing test's message). */
function state(name: string) {
  const s = session(name)
  return {
    connections: s.connections.length,
    live: s.connections.filter((c) => !c.destroyed).length,
    readerLength: s.reader.length,
    readerContiguous: s.reader.contiguousLength,
    peers: s.reader.peers.length,
    writerPeers: s.writer.peers.length,
    swarmConnections: s.swarm?.connections.size ?? null,
    swarmPeers: s.swarm?.peers.size ?? null,
    errors: s.errors
  }
}

/** Closes the session: connections, relay session, cores. */
async function close(name: string) {
  const s = session(name)
  sessions.delete(name)
  for (const c of s.connections) c.destroy()
  await s.destroy()
  await s.reader.close()
  await s.writer.close()
}

Object.assign(window, {
  open,
  openSwarm,
  follow,
  join,
  listen,
  listenAndAnnounce,
  lookup,
  connect,
  read,
  stored,
  state,
  readInBackground,
  readProgress,
  readAll,
  close
})
// the test's launcher waits for this flag
;(globalThis as { ready?: boolean }).ready = true
