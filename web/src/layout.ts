/**
 * The notebook's data layout, shared by the tab (`notebook.ts`, Orchard) and the Node CLI
 * (`node/notebook-node.ts`, the real Holepunch packages). No imports: both sides load it as is.
 *
 * - A writer's cores live in one store namespace `notebook/<id>`: the notes bee is the core named
 *   `notes`; the photo drive is `new Hyperdrive(namespace)` (metadata core `db`, blobs derived).
 * - The notebook's key — the one a link shares — is the bee's core key; the swarm topic is its
 *   discovery key.
 * - Bee entries (UTF-8 keys, JSON values): `meta` → {@link NotebookMeta}, `note/<id>` →
 *   {@link NoteValue}; ids sort by creation time.
 * - Photos are drive files `/photos/<id>-<name>` with metadata {@link PhotoMetadata}.
 */

/** The bee entry `meta`: what the notebook is. */
export interface NotebookMeta {
  /** Marks the bee as an Orchard notebook. */
  app: 'orchard-notebook'
  title: string
  /** The photo drive's key, hex. */
  drive: string
  /** When it was created (ms since the epoch). */
  created: number
}

/** The bee value of a note. */
export interface NoteValue {
  text: string
  created: number
  updated: number
}

/** The drive metadata of a photo. */
export interface PhotoMetadata {
  name: string
  type: string
  added: number
}

/** The store namespace prefix of a notebook's writer cores. */
export const NAMESPACE_PREFIX = 'notebook/'
/** The name of the notes bee's core in the namespace. */
export const NOTES_CORE = 'notes'
/** The bee key of the meta entry. */
export const META_KEY = 'meta'
/** Notes are the bee keys from `note/` up to (not including) `note0`. */
export const NOTE_PREFIX = 'note/'
export const NOTE_RANGE = { gt: NOTE_PREFIX, lt: 'note0' }
/** The drive folder photos go in. */
export const PHOTO_FOLDER = '/photos'

/** A sortable, unique id: creation time (base 36) then 4 random bytes. */
export function newId(now = Date.now()): string {
  const random = Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(16).padStart(2, '0'))
  return `${now.toString(36).padStart(9, '0')}-${random.join('')}`
}

/** A photo's drive path: `/photos/<id>-<name>`, the name reduced to safe characters. */
export function photoPath(id: string, name: string): string {
  const safe = name.replace(/[^\w.-]+/g, '_').slice(-80) || 'photo'
  return `${PHOTO_FOLDER}/${id}-${safe}`
}

/** Whether `x` is a {@link NotebookMeta}. */
export function isMeta(x: unknown): x is NotebookMeta {
  const m = x as NotebookMeta
  return typeof m === 'object' && m !== null && typeof m.title === 'string' && typeof m.drive === 'string'
}

/** Whether `x` is a {@link NoteValue}. */
export function isNoteValue(x: unknown): x is NoteValue {
  return typeof x === 'object' && x !== null && typeof (x as NoteValue).text === 'string'
}
