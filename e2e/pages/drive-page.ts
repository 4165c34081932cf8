/**
 * The page of the drive e2e test (bundled and served by the test): `@orchard/hyperdrive` on a
 * Corestore in IndexedDB. The test writes a drive, reloads the page, reads it back from
 * IndexedDB, and replicates it over a WebSocket to a Node peer running the real hyperdrive.
 */
import { Corestore } from '@orchard/corestore'
import { ready } from '@orchard/crypto'
import { openIdbStorage } from '@orchard/storage'
import { fromWebSocket } from '@orchard/wire'
import { Hyperdrive } from '../../packages/hyperdrive/src/index.ts'
import { type DriveReadout, type FileSpec, fill, sum } from './drive-data.ts'

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
const unhex = (s: string) => Uint8Array.from(s.match(/../g)!, (h) => Number.parseInt(h, 16))

let store: Corestore | null = null
let drive: Hyperdrive | null = null

async function openDrive(db: string, key: string | null): Promise<Hyperdrive> {
  await ready()
  store = new Corestore(openIdbStorage(db))
  drive = key ? new Hyperdrive(store, unhex(key)) : new Hyperdrive(store)
  await drive.ready()
  return drive
}

async function readout(d: Hyperdrive): Promise<DriveReadout> {
  const files: DriveReadout['files'] = {}
  const links: DriveReadout['links'] = {}
  for await (const entry of d.list('/', { recursive: true })) {
    if (entry.value.linkname) {
      links[entry.key] = entry.value.linkname
      continue
    }
    const bytes = await d.get(entry.key, { wait: false })
    if (!bytes) throw new Error(`${entry.key} is listed but its bytes are not stored`)
    files[entry.key] = { size: bytes.byteLength, sum: sum(bytes), executable: entry.value.executable }
  }
  return { key: hex(d.key!), contentKey: hex(d.contentKey!), version: d.version, files, links }
}

/** Creates a drive in IndexedDB database `db` holding `specs` and a symlink; returns its readout. */
async function create(db: string, specs: FileSpec[]): Promise<DriveReadout> {
  const d = await openDrive(db, null)
  for (const f of specs) await d.put(f.path, fill(f.size, f.seed), { executable: f.executable })
  await d.symlink('/latest', specs[0]!.path)
  const out = await readout(d)
  await d.close()
  await store!.close()
  return out
}

/** Opens the drive `key` from IndexedDB with no network; returns what it holds. */
async function reopen(db: string, key: string): Promise<DriveReadout> {
  const d = await openDrive(db, key)
  return readout(d)
}

/** Replicates the open store on a WebSocket to `url`; resolves once the socket is open. */
async function serve(url: string): Promise<void> {
  const ws = new WebSocket(url)
  store!.replicate(true, { stream: fromWebSocket(ws), keepAlive: 0 })
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true })
    ws.addEventListener('error', () => reject(new Error(`WebSocket to ${url} failed`)), { once: true })
  })
}

Object.assign(window, { create, reopen, serve })
;(globalThis as { ready?: boolean }).ready = true
