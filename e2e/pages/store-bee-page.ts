/**
 * The page of the store + bee browser test (bundled and served by `e2e/store-bee.test.ts`): our
 * Corestore on IndexedDB holding many named cores and a Hyperbee, replicating over a WebSocket
 * with a Node peer, and following a bee written in Node. The test drives it through the functions
 * put on `window`; every function returns plain JSON.
 */
import { Corestore } from '@orchard/corestore'
import { ready } from '@orchard/crypto'
import { type EntryWatcher, Hyperbee, type RangeOptions, type Watcher } from '@orchard/hyperbee'
import type { Hypercore } from '@orchard/hypercore'
import { openIdbStorage } from '@orchard/storage'
import { fromWebSocket } from '@orchard/wire'

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
const unhex = (s: string) => Uint8Array.from(s.match(/../g)!, (h) => Number.parseInt(h, 16))
const dec = new TextDecoder()
const NAMESPACE = 'app'
const BEE_NAME = 'bee'

/** What the test asks the tab to write: named cores of blocks, and the bee's puts in batches. */
export interface Spec {
  cores: { name: string; blocks: string[] }[]
  /** `[key, value]` puts, flushed `batchSize` at a time. */
  puts: [string, string][]
  batchSize: number
  /** Keys to `get` (some absent). */
  gets: string[]
  /** Ranged scans to run. */
  ranges: RangeOptions[]
}

/** What the tab reads back from its store. */
export interface Readout {
  cores: {
    name: string
    key: string
    discoveryKey: string
    length: number
    writable: boolean
    blocks: string[]
  }[]
  bee: {
    key: string
    discoveryKey: string
    length: number
    version: number
    gets: (string | null)[]
    full: string[]
    ranges: string[][]
  }
  /** Discovery keys `store.list()` finds in the IndexedDB root. */
  listed: string[]
}

type Bee = Hyperbee<string, string>

function openBee(core: Hypercore): Bee {
  return new Hyperbee<string, string>(core, { keyEncoding: 'utf-8', valueEncoding: 'utf-8' })
}

async function scan(bee: Bee, range: RangeOptions = {}): Promise<string[]> {
  const out: string[] = []
  for await (const { key, value } of bee.createReadStream(range)) out.push(`${key}=${value}`)
  return out
}

async function readCore(core: Hypercore) {
  await core.ready()
  const blocks: string[] = []
  for (let i = 0; i < core.length; i++)
    blocks.push(dec.decode((await core.get(i, { wait: false })) as Uint8Array))
  return {
    key: hex(core.key!),
    discoveryKey: hex(core.discoveryKey!),
    length: core.length,
    writable: core.writable,
    blocks
  }
}

/** Reads everything `spec` describes from `store` (no network: `wait: false` reads). */
async function readout(store: Corestore, spec: Spec): Promise<Readout> {
  const ns = store.namespace(NAMESPACE)
  const cores: Readout['cores'] = []
  for (const { name } of spec.cores) {
    const core = ns.get({ name })
    cores.push({ name, ...(await readCore(core)) })
    await core.close()
  }
  const beeCore = ns.get({ name: BEE_NAME })
  const bee = openBee(beeCore)
  await bee.ready()
  const gets: (string | null)[] = []
  for (const k of spec.gets) gets.push((await bee.get(k, { wait: false }))?.value ?? null)
  const full = await scan(bee)
  const ranges: string[][] = []
  for (const r of spec.ranges) ranges.push(await scan(bee, r))
  const result: Readout = {
    cores,
    bee: {
      key: hex(beeCore.key!),
      discoveryKey: hex(beeCore.discoveryKey!),
      length: beeCore.length,
      version: bee.version,
      gets,
      full,
      ranges
    },
    listed: []
  }
  await bee.close()
  for await (const dk of store.list()) result.listed.push(hex(dk))
  return result
}

let store: Corestore | null = null

/**
 * Creates the store in IndexedDB database `db`: the named cores with their blocks and the bee with
 * its puts (one `batch()` flush per `batchSize`), then reads everything back. The store is left
 * open, as a tab that is reloaded mid-session would leave it.
 */
async function build(db: string, spec: Spec): Promise<Readout> {
  await ready()
  store = new Corestore(openIdbStorage(db))
  const ns = store.namespace(NAMESPACE)
  for (const { name, blocks } of spec.cores) {
    const core = ns.get({ name })
    await core.append(blocks)
  }
  const bee = openBee(ns.get({ name: BEE_NAME }))
  await bee.ready()
  for (let i = 0; i < spec.puts.length; i += spec.batchSize) {
    const batch = bee.batch()
    for (const [k, v] of spec.puts.slice(i, i + spec.batchSize)) await batch.put(k, v)
    await batch.flush()
  }
  return readout(store, spec)
}

/** After a reload: reopens the store from IndexedDB and reads everything, with no network. */
async function inspect(db: string, spec: Spec): Promise<Readout> {
  await ready()
  const s = new Corestore(openIdbStorage(db))
  try {
    return await readout(s, spec)
  } finally {
    await s.close()
  }
}

let socket: WebSocket | null = null
let openedOnDemand: string[] = []

/**
 * Opens the store fresh (no core open) and replicates it on one WebSocket to `url`; resolves once
 * the socket is open. Cores open on demand as the Node peer asks for them.
 */
async function serve(db: string, url: string): Promise<void> {
  await ready()
  store = new Corestore(openIdbStorage(db))
  await store.ready()
  openedOnDemand = []
  store.watch((core) => openedOnDemand.push(hex(core.discoveryKey!)))
  const ws = new WebSocket(url)
  socket = ws
  store.replicate(true, { stream: fromWebSocket(ws), keepAlive: 0 })
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true })
    ws.addEventListener('error', () => reject(new Error(`WebSocket to ${url} failed`)), { once: true })
  })
}

/** Discovery keys of the cores the store opened since `serve` (those asked for by the peer). */
function opened(): string[] {
  return openedOnDemand
}

let followed: Bee | null = null
let watcher: Watcher<string, string> | null = null
let entry: EntryWatcher<string, string> | null = null
let entryUpdates: (string | null)[] = []

const timeout = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([
    p,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms))
  ])

/**
 * Follows the bee `key` written by the Node peer, over the replication stream `serve` opened:
 * waits until it has `length` blocks, reads `watchKey`, then starts `watch()` on the whole bee and
 * `getAndWatch(watchKey)`.
 */
async function follow(key: string, length: number, watchKey: string) {
  const core = store!.get({ key: unhex(key) })
  followed = openBee(core)
  await followed.ready()
  const until = Date.now() + 20_000
  while (core.length < length) {
    if (Date.now() > until) throw new Error(`followed core stuck at length ${core.length} < ${length}`)
    await new Promise((r) => setTimeout(r, 10))
  }
  const value = (await followed.get(watchKey, { timeout: 10_000 }))?.value ?? null
  watcher = followed.watch()
  await watcher.ready()
  entryUpdates = []
  entry = await followed.getAndWatch(watchKey)
  entry.on('update', () => entryUpdates.push(entry!.node?.value ?? null))
  return { value, entryValue: entry.node?.value ?? null, writable: core.writable, version: followed.version }
}

/**
 * Waits for the next change `watch()` yields (the Node peer wrote), and returns what changed, the
 * value of `watchKey` read through the bee and through `getAndWatch`.
 */
async function nextChange(watchKey: string, expectValue: string) {
  const next = await timeout(watcher!.next(), 20_000, 'watch() to yield')
  if (next.done) throw new Error('watcher ended')
  const [current, previous] = next.value
  const diff: { key: string; left: string | null; right: string | null }[] = []
  for await (const { left, right } of current.createDiffStream(previous)) {
    diff.push({ key: (left ?? right)!.key, left: left?.value ?? null, right: right?.value ?? null })
  }
  const value = (await followed!.get(watchKey, { timeout: 10_000 }))?.value ?? null
  // getAndWatch re-reads on append: give it until it has seen the value the peer wrote
  const until = Date.now() + 20_000
  while (entry!.node?.value !== expectValue && Date.now() < until) await new Promise((r) => setTimeout(r, 10))
  // and has finished re-reading for every append so far (a refresh joins the one running)
  await entry!.refresh()
  return {
    versions: [current.version, previous.version],
    diff,
    value,
    entryValue: entry!.node?.value ?? null,
    entryUpdates
  }
}

/** Stops following and replicating, closes the store. */
async function stop() {
  await entry?.close()
  await watcher?.close()
  await followed?.close()
  entry = watcher = followed = null
  socket?.close()
  socket = null
  await store?.close()
  store = null
}

Object.assign(window, { build, inspect, serve, opened, follow, nextChange, stop })
// the test's launcher waits for this flag
;(globalThis as { ready?: boolean }).ready = true
