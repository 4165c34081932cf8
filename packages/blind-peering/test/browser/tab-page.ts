/**
 * The page of the availability test (bundled and served by it): a tab with our corestore on
 * IndexedDB and a relay session (`RelaySwarmDHT`, the tab's own key pair). `write` asks the relay's
 * blind peer to keep an encrypted core and a plain one and waits until it holds them; `read` opens
 * a shared link later, in another browser context, with only the blind peer online.
 */
import { Corestore } from '@orchard/corestore'
import { keyPair, ready } from '@orchard/crypto'
import { openIdbStorage } from '@orchard/storage'
import { RelaySwarmDHT } from '../../../relay/src/client/index.ts'
import { BlindPeering } from '../../src/index.ts'

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
const unhex = (s: string) => Uint8Array.from(s.match(/../g)!, (h) => Number.parseInt(h, 16))
const enc = new TextEncoder()
const dec = new TextDecoder()

/** The relay's blind peer, as its `/health` tells. */
async function blindPeerKey(relayUrl: string): Promise<string> {
  const health = (await (await fetch(`${relayUrl.replace(/^ws/, 'http')}/health`)).json()) as {
    blindPeer: string | null
  }
  if (!health.blindPeer) throw new Error('the relay runs no blind peer')
  return health.blindPeer
}

async function session(relayUrl: string, db: string) {
  await ready()
  const dht = new RelaySwarmDHT({ socket: () => new WebSocket(relayUrl), keyPair: keyPair() })
  await dht.ready()
  const store = new Corestore(await openIdbStorage(db))
  return { dht, store }
}

/** Writes `secret` (encrypted) and `open` (plain) blocks, has the blind peer keep both, closes everything. */
async function write(relayUrl: string, encryptionKey: string, secret: string[], open: string[]) {
  const { dht, store } = await session(relayUrl, 'writer')
  const core = store.get({ name: 'notes', encryptionKey: unhex(encryptionKey) })
  const plain = store.get({ name: 'plain' })
  await core.append(secret.map((s) => enc.encode(s)))
  await plain.append(open.map((s) => enc.encode(s)))
  const peering = new BlindPeering(dht, store, {
    keys: [await blindPeerKey(relayUrl)],
    keyPair: dht.defaultKeyPair
  })
  await peering.addCore(core)
  await peering.addCore(plain)
  await peering.synced(core, { timeout: 30_000 })
  await peering.synced(plain, { timeout: 30_000 })
  const key = hex(core.key!)
  await peering.close()
  await store.close()
  await dht.destroy()
  return key
}

/** Opens the link (`key` + `encryptionKey`) through the relay's blind peer and reads every block. */
async function read(relayUrl: string, key: string, encryptionKey: string, length: number) {
  const { dht, store } = await session(relayUrl, 'reader')
  const conn = dht.connect(unhex(await blindPeerKey(relayUrl)), { keyPair: dht.defaultKeyPair })
  conn.on('error', () => {})
  store.replicate(conn)
  const core = store.get({ key: unhex(key), encryptionKey: unhex(encryptionKey) })
  await core.ready()
  const deadline = Date.now() + 30_000
  while (core.length < length) {
    if (Date.now() > deadline) throw new Error(`the reader sees ${core.length} of ${length} blocks`)
    await new Promise((r) => setTimeout(r, 50))
  }
  const blocks: string[] = []
  for (let i = 0; i < length; i++) blocks.push(dec.decode((await core.get(i, { timeout: 15_000 }))!))
  await store.close()
  await dht.destroy()
  return blocks
}

Object.assign(globalThis, { write, read, ready: true })
