/**
 * Orchard Notebook's layout (see `src/notebook.ts`) with the REAL Holepunch packages in Node:
 * corestore 7, hyperbee 2, hyperdrive 13 and hyperswarm 4 on hyperdht 6. A notebook written in a
 * tab with Orchard opens here byte for byte, and the reverse.
 *
 * The packages are untyped CommonJS; they are loaded with `createRequire` (hyperdht through
 * hyperswarm, whose dependency it is).
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import {
  isMeta,
  isNoteValue,
  META_KEY,
  NAMESPACE_PREFIX,
  NOTE_PREFIX,
  NOTE_RANGE,
  NOTES_CORE,
  type NotebookMeta,
  type NoteValue,
  newId,
  PHOTO_FOLDER,
  type PhotoMetadata,
  photoPath
} from '../src/layout.ts'
import { fromHex, toHex } from '../src/link.ts'

// biome-ignore lint/suspicious/noExplicitAny: the real Holepunch packages are untyped
export type Untyped = any

const require = createRequire(import.meta.url)
export const Corestore: Untyped = require('corestore')
export const Hyperbee: Untyped = require('hyperbee')
export const Hyperdrive: Untyped = require('hyperdrive')
export const Hyperswarm: Untyped = require('hyperswarm')
export const HyperDHT: Untyped = createRequire(require.resolve('hyperswarm'))('hyperdht')

/** A notebook as the CLI prints it. */
export interface NotebookReadout {
  key: string
  title: string | null
  writable: boolean
  notes: { id: string; text: string; created: number; updated: number }[]
  photos: { path: string; name: string; type: string; size: number; sha256: string | null }[]
}

/** Notebooks this store writes: key (hex) → namespace, in `library.json` beside the store. */
export function readLibrary(dir: string): Record<string, string> {
  const file = join(dir, 'library.json')
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {}
}

function writeLibrary(dir: string, library: Record<string, string>): void {
  writeFileSync(join(dir, 'library.json'), `${JSON.stringify(library, null, 2)}\n`)
}

/** An open notebook: the bee, and the drive once known. */
export interface NodeNotebook {
  key: Uint8Array
  bee: Untyped
  drive: Untyped | null
  writable: boolean
  close(): Promise<void>
}

function openBee(core: Untyped): Untyped {
  return new Hyperbee(core, { keyEncoding: 'utf-8', valueEncoding: 'json' })
}

async function openWriter(store: Untyped, namespace: string): Promise<NodeNotebook> {
  const ns = store.namespace(namespace)
  const bee = openBee(ns.get({ name: NOTES_CORE }))
  await bee.ready()
  // as in the tab: the drive on its own session of the namespace (closing a drive closes its store)
  const drive = new Hyperdrive(store.namespace(namespace))
  await drive.ready()
  return {
    key: bee.core.key,
    bee,
    drive,
    writable: true,
    close: async () => {
      await drive.close()
      await bee.close()
      await ns.close()
    }
  }
}

/** Creates a notebook titled `title` in store folder `dir`; remembers it in the library. */
export async function createNotebook(store: Untyped, dir: string, title: string): Promise<NodeNotebook> {
  const namespace = `${NAMESPACE_PREFIX}${newId()}`
  const nb = await openWriter(store, namespace)
  const meta: NotebookMeta = {
    app: 'orchard-notebook',
    title,
    drive: toHex(nb.drive.key),
    created: Date.now()
  }
  await nb.bee.put(META_KEY, meta)
  writeLibrary(dir, { ...readLibrary(dir), [toHex(nb.key)]: namespace })
  return nb
}

/** Opens notebook `key`: as its writer if this store created it, else as a reader. */
export async function openNotebook(store: Untyped, dir: string, key: Uint8Array): Promise<NodeNotebook> {
  const namespace = readLibrary(dir)[toHex(key)]
  if (namespace) return openWriter(store, namespace)
  const bee = openBee(store.get({ key: Buffer.from(key) }))
  await bee.ready()
  const nb: NodeNotebook = {
    key,
    bee,
    drive: null,
    writable: false,
    close: async () => {
      await nb.drive?.close()
      await bee.close()
    }
  }
  return nb
}

/** The meta entry, waiting for peers up to `timeout` ms; null when none brought it. */
export async function readMeta(nb: NodeNotebook, timeout: number): Promise<NotebookMeta | null> {
  const node = await nb.bee.get(META_KEY, { timeout }).catch(() => null)
  return isMeta(node?.value) ? node.value : null
}

/** Opens the notebook's drive (a reader: by the key the meta entry names). */
export async function openDrive(store: Untyped, nb: NodeNotebook, meta: NotebookMeta): Promise<Untyped> {
  if (nb.drive) return nb.drive
  const key = fromHex(meta.drive)
  if (key?.byteLength !== 32) throw new Error(`bad drive key in the notebook: ${meta.drive}`)
  nb.drive = new Hyperdrive(store.session(), Buffer.from(key))
  await nb.drive.ready()
  return nb.drive
}

/** Everything the notebook holds: notes (newest first) and photos (with their bytes' SHA-256). */
export async function readNotebook(
  store: Untyped,
  nb: NodeNotebook,
  opts: { timeout: number; hashPhotos: boolean }
): Promise<NotebookReadout> {
  const meta = await readMeta(nb, opts.timeout)
  const out: NotebookReadout = {
    key: toHex(nb.key),
    title: meta?.title ?? null,
    writable: nb.writable,
    notes: [],
    photos: []
  }
  if (!meta) return out
  for await (const { key, value } of nb.bee.createReadStream({ ...NOTE_RANGE, reverse: true })) {
    if (isNoteValue(value)) out.notes.push({ id: key.slice(NOTE_PREFIX.length), ...value })
  }
  const drive = await openDrive(store, nb, meta)
  await drive.update({ wait: true }).catch(() => false)
  for await (const entry of drive.list(PHOTO_FOLDER)) {
    const m = (entry.value.metadata ?? {}) as Partial<PhotoMetadata>
    const bytes: Buffer | null = opts.hashPhotos
      ? await drive.get(entry.key, { timeout: opts.timeout })
      : null
    out.photos.push({
      path: entry.key,
      name: m.name ?? entry.key,
      type: m.type ?? 'application/octet-stream',
      size: entry.value.blob?.byteLength ?? 0,
      sha256: bytes ? createHash('sha256').update(bytes).digest('hex') : null
    })
  }
  out.photos.sort((a, b) => (a.path < b.path ? 1 : -1))
  return out
}

/** Adds a note (the notebook must be this store's); returns its id. */
export async function addNote(nb: NodeNotebook, text: string): Promise<string> {
  if (!nb.writable) throw new Error('this notebook was not created here: it is read-only for this peer')
  const now = Date.now()
  const id = newId(now)
  await nb.bee.put(NOTE_PREFIX + id, { text, created: now, updated: now } satisfies NoteValue)
  return id
}

/** Adds a file as a photo (the notebook must be this store's); returns its path. */
export async function addPhoto(
  nb: NodeNotebook,
  name: string,
  type: string,
  bytes: Uint8Array
): Promise<string> {
  if (!nb.writable) throw new Error('this notebook was not created here: it is read-only for this peer')
  const now = Date.now()
  const path = photoPath(newId(now), name)
  await nb.drive.put(path, Buffer.from(bytes), {
    metadata: { name, type, added: now } satisfies PhotoMetadata
  })
  return path
}
