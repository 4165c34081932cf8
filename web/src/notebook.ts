/**
 * A notebook: notes in a Hyperbee and photos in a Hyperdrive, both in the app's Corestore, laid out
 * as `layout.ts` says (the Node CLI reads and writes the same layout with the real Holepunch
 * packages).
 *
 * A reader fetches every block as it appears (for offline use) and lists what is stored locally:
 * a checkout of the bee at its contiguous length reads no block it does not have, so a listing
 * never waits for the network.
 */
import type { Corestore } from '@orchard/corestore'
import { Emitter } from '@orchard/events'
import { Hyperbee } from '@orchard/hyperbee'
import type { Hypercore } from '@orchard/hypercore'
import { type Entry, Hyperdrive } from '@orchard/hyperdrive'
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
} from './layout.ts'
import { fromHex, toHex } from './link.ts'

export type { NotebookMeta, NoteValue, PhotoMetadata } from './layout.ts'

/** A note as the UI shows it. */
export interface Note extends NoteValue {
  id: string
}

/** A photo as the UI shows it. */
export interface Photo extends PhotoMetadata {
  path: string
  size: number
}

/** Sync state of one core, for a progress bar. */
export interface CoreProgress {
  label: string
  /** Blocks the core has (as far as we know). */
  length: number
  /** Leading blocks stored here. */
  downloaded: number
  /** Peers replicating this core with us. */
  peers: number
}

/** Events of a {@link Notebook}. */
export interface NotebookEvents {
  /** Its content may have changed (a local write, or blocks arrived): re-list. */
  change: []
  /** Blocks arrived or peers came and went: redraw progress. */
  progress: []
}

type NotesBee = Hyperbee<string, unknown>

/** Photos bigger than this are refused (a demo, and every reader downloads every photo). */
export const MAX_PHOTO_BYTES = 25 * 1024 * 1024

/** One open notebook. Create one with {@link Notebook.create} or {@link Notebook.open}. */
export class Notebook extends Emitter<NotebookEvents> {
  /** The notebook's key (the notes bee's core key). */
  readonly key: Uint8Array
  /** The notes bee. */
  readonly bee: NotesBee
  /** The store namespace of a notebook this browser writes; null for a reader. */
  readonly namespace: string | null
  /** What the notebook is, once known (a reader learns it from a peer). */
  meta: NotebookMeta | null = null
  /** The photo drive, once its key is known. */
  drive: Hyperdrive | null = null
  closed = false
  readonly #store: Corestore
  readonly #unlisten: (() => void)[] = []
  #openingDrive: Promise<void> | null = null
  #learning: Promise<void> | null = null
  #learnAgain = false
  /** Store sessions this notebook opened (a writer's namespace). */
  readonly #sessions: Corestore[] = []

  private constructor(store: Corestore, bee: NotesBee, namespace: string | null) {
    super()
    this.#store = store
    this.bee = bee
    this.key = bee.core.key!
    this.namespace = namespace
  }

  /** Creates a notebook titled `title` in a fresh namespace of `store`. */
  static async create(store: Corestore, title: string): Promise<Notebook> {
    const namespace = `${NAMESPACE_PREFIX}${newId()}`
    const nb = await Notebook.#openWriter(store, namespace)
    const meta: NotebookMeta = {
      app: 'orchard-notebook',
      title,
      drive: toHex(nb.drive!.key!),
      created: Date.now()
    }
    await nb.bee.put(META_KEY, meta)
    nb.meta = meta
    return nb
  }

  /**
   * Opens notebook `key`: as its writer when `namespace` (where this browser created it) is given,
   * else as a reader that fetches it from peers.
   */
  static async open(store: Corestore, key: Uint8Array, namespace: string | null): Promise<Notebook> {
    if (namespace !== null) {
      const nb = await Notebook.#openWriter(store, namespace)
      if (toHex(nb.key) !== toHex(key)) {
        await nb.close()
        throw new Error('this namespace holds another notebook')
      }
      nb.meta = await nb.#localMeta()
      return nb
    }
    const core = store.get({ key }) as Hypercore
    const bee = new Hyperbee<string, unknown>(core, { keyEncoding: 'utf-8', valueEncoding: 'json' })
    await bee.ready()
    const nb = new Notebook(store, bee, null)
    // a reader keeps a full copy, so the notebook is there offline
    core.download({ start: 0, end: -1 })
    nb.#watch(core, { onChange: () => nb.#learnMetaSoon() })
    await nb.#learnMeta()
    return nb
  }

  static async #openWriter(store: Corestore, namespace: string): Promise<Notebook> {
    const ns = store.namespace(namespace)
    const bee = new Hyperbee<string, unknown>(ns.get({ name: NOTES_CORE }) as Hypercore, {
      keyEncoding: 'utf-8',
      valueEncoding: 'json'
    })
    await bee.ready()
    const nb = new Notebook(store, bee, namespace)
    nb.#sessions.push(ns)
    nb.#watch(bee.core)
    // the drive gets its own session of the namespace: closing a drive closes its store
    nb.drive = new Hyperdrive(store.namespace(namespace))
    await nb.drive.ready()
    nb.#watchDrive(nb.drive)
    return nb
  }

  /** Whether this browser writes the notebook. */
  get writable(): boolean {
    return this.bee.core.writable
  }

  /** The swarm topic: the bee core's discovery key. */
  get discoveryKey(): Uint8Array {
    return this.bee.core.discoveryKey!
  }

  /** The title (or a placeholder while a reader waits for it). */
  get title(): string {
    return this.meta?.title ?? 'Loading notebook…'
  }

  /** Re-emits `core`'s events: its blocks change what the notebook lists unless `listed` is false. */
  #watch(core: Hypercore, opts: { listed?: boolean; onChange?: () => void } = {}): void {
    const changed = () => {
      opts.onChange?.()
      if (opts.listed !== false) this.emit('change')
      this.emit('progress')
    }
    const progress = () => this.emit('progress')
    core.on('append', changed)
    core.on('download', changed)
    core.on('peer-add', progress)
    core.on('peer-remove', progress)
    this.#unlisten.push(() => {
      core.off('append', changed)
      core.off('download', changed)
      core.off('peer-add', progress)
      core.off('peer-remove', progress)
    })
  }

  #watchDrive(drive: Hyperdrive): void {
    this.#watch(drive.core)
    const onBlobs = (core: Hypercore) => {
      if (!this.writable) core.download({ start: 0, end: -1 })
      // photo bytes change no listing: a thumbnail waits for its own bytes
      this.#watch(core, { listed: false })
      this.emit('progress')
    }
    if (drive.blobs) onBlobs(drive.blobs.core)
    else drive.getBlobs().then((b) => !this.closed && onBlobs(b.core), noop)
  }

  /** A view of the bee holding only blocks stored here (null while none is). */
  #localBee(): NotesBee | null {
    const length = this.bee.core.contiguousLength
    return length > 0 ? this.bee.checkout(length) : null
  }

  async #localMeta(): Promise<NotebookMeta | null> {
    const view = this.#localBee()
    if (!view) return null
    try {
      const value = (await view.get(META_KEY))?.value
      return isMeta(value) ? value : null
    } finally {
      await view.close()
    }
  }

  /** {@link #learnMeta}, at most one at a time, once more if blocks came meanwhile. */
  #learnMetaSoon(): void {
    if (this.#learning) {
      this.#learnAgain = true
      return
    }
    this.#learning = this.#learnMeta()
      .catch(noop)
      .finally(() => {
        this.#learning = null
        if (this.#learnAgain) {
          this.#learnAgain = false
          this.#learnMetaSoon()
        }
      })
  }

  /** A reader: once the meta entry is here, open the drive it names. */
  async #learnMeta(): Promise<void> {
    if (this.closed) return
    const meta = await this.#localMeta().catch(() => null)
    if (!meta) return
    const first = this.meta === null
    this.meta = meta
    if (first) this.emit('change')
    if (this.drive || this.#openingDrive) return
    const key = fromHex(meta.drive)
    if (key?.byteLength !== 32) return
    this.#openingDrive = (async () => {
      const drive = new Hyperdrive(this.#store.session(), key)
      await drive.ready()
      if (this.closed) return void (await drive.close())
      drive.core.download({ start: 0, end: -1 })
      this.drive = drive
      this.#watchDrive(drive)
      this.emit('change')
    })()
    this.#openingDrive.catch(noop)
  }

  /** The notes stored here, newest first. */
  async notes(): Promise<Note[]> {
    const view = this.#localBee()
    if (!view) return []
    const out: Note[] = []
    try {
      for await (const { key, value } of view.createReadStream({ ...NOTE_RANGE, reverse: true })) {
        if (isNoteValue(value)) out.push({ id: key.slice(NOTE_PREFIX.length), ...value })
      }
    } finally {
      await view.close()
    }
    return out
  }

  /** The photos whose entries are stored here, newest first (their bytes may still be on the way). */
  async photos(): Promise<Photo[]> {
    const drive = this.drive
    const length = drive?.core.contiguousLength ?? 0
    if (!drive || length === 0) return []
    const view = drive.checkout(length)
    const out: Photo[] = []
    try {
      for await (const entry of view.list(PHOTO_FOLDER) as AsyncIterable<Entry<Partial<PhotoMetadata>>>) {
        const meta = entry.value.metadata ?? {}
        out.push({
          path: entry.key,
          name: meta.name ?? entry.key.slice(PHOTO_FOLDER.length + 1),
          type: meta.type ?? 'application/octet-stream',
          added: meta.added ?? 0,
          size: entry.value.blob?.byteLength ?? 0
        })
      }
    } finally {
      await view.close()
    }
    return out.sort((a, b) => (a.path < b.path ? 1 : -1))
  }

  /** A photo's bytes: waits for them from peers unless `wait` is false (then null if missing). */
  async photoBytes(path: string, opts: { wait?: boolean } = {}): Promise<Uint8Array | null> {
    if (!this.drive) return null
    try {
      return await this.drive.get(path, { wait: opts.wait ?? true })
    } catch (err) {
      if (opts.wait === false) return null
      throw err
    }
  }

  /** Adds a note; returns its id. */
  async addNote(text: string): Promise<string> {
    const now = Date.now()
    const id = newId(now)
    await this.bee.put(NOTE_PREFIX + id, { text, created: now, updated: now } satisfies NoteValue)
    return id
  }

  /** Replaces the text of note `id`. */
  async editNote(id: string, text: string): Promise<void> {
    const view = this.#localBee()
    const old = view ? (await view.get(NOTE_PREFIX + id))?.value : null
    await view?.close()
    const created = isNoteValue(old) ? old.created : Date.now()
    await this.bee.put(NOTE_PREFIX + id, { text, created, updated: Date.now() } satisfies NoteValue)
  }

  /** Deletes note `id`. */
  async deleteNote(id: string): Promise<void> {
    await this.bee.del(NOTE_PREFIX + id)
  }

  /** Renames the notebook. */
  async rename(title: string): Promise<void> {
    if (!this.meta) throw new Error('the notebook is still loading')
    const meta = { ...this.meta, title }
    await this.bee.put(META_KEY, meta)
    this.meta = meta
  }

  /** Adds a photo (any file, really) to the drive; returns its path. */
  async addPhoto(name: string, type: string, bytes: Uint8Array): Promise<string> {
    if (!this.drive) throw new Error('the notebook is still loading')
    if (bytes.byteLength > MAX_PHOTO_BYTES) throw new Error(`${name} is over ${MAX_PHOTO_BYTES >> 20} MiB`)
    const now = Date.now()
    const path = photoPath(newId(now), name)
    await this.drive.put(path, bytes, { metadata: { name, type, added: now } satisfies PhotoMetadata })
    return path
  }

  /** Deletes a photo. */
  async deletePhoto(path: string): Promise<void> {
    await this.drive?.del(path)
  }

  /** The notebook's cores open so far: notes, photo index, photo data (a reader's drive comes later). */
  cores(): Hypercore[] {
    const cores = [this.bee.core, this.drive?.core, this.drive?.blobs?.core]
    return cores.filter((c): c is Hypercore => !!c?.opened && !c.closed)
  }

  /** Sync state of the notebook's cores: notes, photo index, photo data. */
  progress(): CoreProgress[] {
    const of = (label: string, core: Hypercore | null | undefined): CoreProgress[] =>
      core?.opened
        ? [{ label, length: core.length, downloaded: core.contiguousLength, peers: core.peers.length }]
        : []
    return [
      ...of('Notes', this.bee.core),
      ...of('Photo index', this.drive?.core),
      ...of('Photo data', this.drive?.blobs?.core)
    ]
  }

  /** Closes the notebook's sessions (the store stays open). */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const off of this.#unlisten.splice(0)) off()
    await this.#openingDrive?.catch(noop)
    await this.#learning
    await this.drive?.close()
    await this.bee.close()
    for (const s of this.#sessions) await s.close()
  }
}

function noop(): void {}
