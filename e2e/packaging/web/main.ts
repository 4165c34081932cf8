// The packaging test's Vite app, built from the installed tarballs as a user's app would be: a
// core on IndexedDB, opened by the key of a Node core, replicating over a WebSocket.
import { ready } from '@orchard/crypto'
import { Hypercore } from '@orchard/hypercore'
import { openIdbStorage } from '@orchard/storage'
import { kernelSource } from '@orchard/wasm'
import { fromWebSocket } from '@orchard/wire'

const unhex = (s: string) => Uint8Array.from(s.match(/../g) ?? [], (h) => Number.parseInt(h, 16))
const dec = new TextDecoder()

/** Opens the core `key` on IndexedDB, downloads `length` blocks from `url`, returns them. */
async function readFrom(url: string, key: string, length: number) {
  await ready()
  const core = new Hypercore(await openIdbStorage('packaging-app'), unhex(key))
  await core.ready()
  const ws = new WebSocket(url)
  core.replicate(true, { stream: fromWebSocket(ws), keepAlive: 0 })
  while (core.length < length) await new Promise((r) => setTimeout(r, 10))
  await core.download({ start: 0, end: length }).done()
  const blocks: string[] = []
  for (let i = 0; i < length; i++) blocks.push(dec.decode((await core.get(i, { wait: false })) as Uint8Array))
  ws.close()
  await core.close()
  return { blocks, kernel: kernelSource() }
}

Object.assign(globalThis, { readFrom, ready: true })
