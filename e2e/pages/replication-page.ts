/**
 * The page of the browser replication test (bundled and served by the test): our Hypercore on
 * IndexedDB, replicating over a WebSocket with a Node peer. The test drives it through the
 * functions put on `window`.
 */
import { ready } from '@orchard/crypto'
import { Hypercore } from '@orchard/hypercore'
import { openIdbStorage } from '@orchard/storage'
import { fromWebSocket } from '@orchard/wire'

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
const unhex = (s: string) => Uint8Array.from(s.match(/../g)!, (h) => Number.parseInt(h, 16))
const enc = new TextEncoder()
const dec = new TextDecoder()

async function open(name: string, key: string | null): Promise<Hypercore> {
  const storage = await openIdbStorage(name)
  const core = key ? new Hypercore(storage, unhex(key)) : new Hypercore(storage)
  await core.ready()
  return core
}

function connect(core: Hypercore, url: string): WebSocket {
  const ws = new WebSocket(url)
  core.replicate(true, { stream: fromWebSocket(ws), keepAlive: 0 })
  return ws
}

/** Reads a core from a Node writer: upgrade, download everything, return the blocks. */
async function readFrom(url: string, name: string, key: string, length: number) {
  await ready()
  const core = await open(name, key)
  const ws = connect(core, url)
  while (core.length < length) await new Promise((r) => setTimeout(r, 10))
  await core.download({ start: 0, end: length }).done()
  const blocks: string[] = []
  for (let i = 0; i < length; i++) blocks.push(dec.decode((await core.get(i, { wait: false })) as Uint8Array))
  const result = { length: core.length, treeHash: hex(await core.treeHash()), blocks }
  ws.close()
  await core.close()
  return result
}

/** Creates a core in the tab holding `count` blocks; returns its key and tree hash. */
async function createWriter(name: string, count: number) {
  await ready()
  const core = await open(name, null)
  await core.append(Array.from({ length: count }, (_, i) => enc.encode(`tab block ${i}`)))
  const result = { key: hex(core.key!), treeHash: hex(await core.treeHash()) }
  await core.close()
  return result
}

/** Serves a tab core to a Node reader until every block has been uploaded once. */
async function serveTo(url: string, name: string) {
  await ready()
  const core = await open(name, null)
  let uploaded = 0
  core.on('upload', () => uploaded++)
  const ws = connect(core, url)
  while (uploaded < core.length) await new Promise((r) => setTimeout(r, 10))
  // let the last data messages leave before closing
  await new Promise((r) => setTimeout(r, 100))
  ws.close()
  await core.close()
  return uploaded
}

/** After a reload: what a stored core holds, without any network. */
async function stored(name: string, key: string | null) {
  await ready()
  const core = await open(name, key)
  const blocks: string[] = []
  for (let i = 0; i < core.length; i++)
    blocks.push(dec.decode((await core.get(i, { wait: false })) as Uint8Array))
  const result = {
    length: core.length,
    writable: core.writable,
    treeHash: hex(await core.treeHash()),
    blocks
  }
  await core.close()
  return result
}

Object.assign(window, { readFrom, createWriter, serveTo, stored })
// the test's launcher waits for this flag
;(globalThis as { ready?: boolean }).ready = true
