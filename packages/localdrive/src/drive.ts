/**
 * The drive: localdrive 2's API over a {@link FileSystem} adapter. Keys are normalised as
 * localdrive does (see `normalizeKey`); entries have hyperdrive's shape, with a `blob` describing
 * the file's size and an `mtime`.
 */
import { SymlinkLoopError } from './errors.ts'
import type { DirEntry, FileSystem, FollowMode } from './fs.ts'
import { normalizeKey, parentKey, resolveKey } from './path.ts'
import {
  LocalReadStream,
  LocalWriteStream,
  type ReadStreamOptions,
  type WriteContext,
  type WriteStreamOptions
} from './streams.ts'

/** Where a file's bytes are, in hyperdrive's blob shape (a local file is one "blob" from 0). */
export interface LocalBlob {
  /** Always 0: the file starts at its first byte. */
  byteOffset: number
  /** Always 0. */
  blockOffset: number
  /** `st.blocks`, or `ceil(size / blksize) * 8` where the platform has no block count. */
  blockLength: number
  /** The file's size. */
  byteLength: number
}

/** The value of an entry, as in hyperdrive. */
export interface LocalEntryValue {
  /** The owner may execute the file (always false where the file system has no modes). */
  executable: boolean
  /** For a symbolic link, its target (a target inside the root as an absolute key). */
  linkname: string | null
  /** For a file; null for a link. */
  blob: LocalBlob | null
  /** What the metadata hooks return for this key (null without hooks). */
  metadata: unknown
}

/** A file or link in the drive. */
export interface LocalEntry {
  /** The normal key (`/a/b.txt`). */
  key: string
  /** What is there. */
  value: LocalEntryValue
  /** Last modification, milliseconds since the epoch. */
  mtime: number
}

/** Hooks that keep metadata beside the files (localdrive keeps none itself). */
export interface MetadataHooks {
  /** The metadata of `key` (null for none); called by `entry`. May return a promise. */
  get?(key: string): unknown
  /** Saves `value` for `key`; called when a write with metadata ends. */
  put?(key: string, value: unknown): unknown
  /** Drops the metadata of `key`; called by `del` and by writes without metadata. */
  del?(key: string): unknown
}

/** Options of a drive. */
export interface LocaldriveOptions {
  /** Report the targets of links rather than the links (`entry` never shows a `linkname`). */
  followLinks?: boolean
  /** Follow links that leave the root; links inside it stay links. */
  followExternalLinks?: boolean
  /** Metadata hooks, or a `Map` used as the store. Enables `supportsMetadata`. */
  metadata?: MetadataHooks | Map<string, unknown>
  /** Write to a temporary file and rename it into place when a write stream ends. */
  atomic?: boolean
}

/** Options of `entry` and `get`. */
export interface EntryOptions {
  /** Follow links (up to 16, then `SymlinkLoopError`). */
  follow?: boolean
}

/** What `list` skips: exact keys (a folder's key skips the folder), or a predicate. */
export type IgnoreOption = string | string[] | ((key: string) => boolean)

/** Options of `list`. */
export interface ListOptions {
  /** Keys to skip; a skipped folder is not entered. */
  ignore?: IgnoreOption | null
  /** Descend into sub-folders (default true); with false only the folder's own files are listed. */
  recursive?: boolean
}

function toIgnoreFunction(ignore: IgnoreOption): (key: string) => boolean {
  if (typeof ignore === 'function') return ignore
  const all = ([] as string[]).concat(ignore).map((e) => normalizeKey(e))
  return (key) => all.includes(key)
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.length - b.length
}

function metadataHooks(metadata: LocaldriveOptions['metadata']): MetadataHooks {
  if (metadata instanceof Map) {
    return {
      get: (key) => (metadata.has(key) ? metadata.get(key) : null),
      put: (key, value) => metadata.set(key, value),
      del: (key) => metadata.delete(key)
    }
  }
  return metadata ?? {}
}

function keyOf(key: string | { key: string }): string {
  return typeof key === 'object' && key !== null ? key.key : key
}

/**
 * A folder as a drive, with localdrive 2's API. Construct it over an adapter, or use
 * `@orchard/localdrive/node` (`new Localdrive(root)`) or `@orchard/localdrive/browser`
 * (`new Localdrive(directoryHandle)`).
 */
export class Localdrive {
  /** The file system underneath. */
  readonly fs: FileSystem
  /** The metadata hooks (mutable, as in localdrive). */
  metadata: MetadataHooks
  /** Whether metadata hooks were given (mirror-drive compares metadata only then). */
  readonly supportsMetadata: boolean
  readonly #follow: FollowMode
  readonly #writeContext: WriteContext
  #lock: Promise<unknown> = Promise.resolve()

  /** A drive over `fs`. */
  constructor(fs: FileSystem, opts: LocaldriveOptions = {}) {
    this.fs = fs
    this.metadata = metadataHooks(opts.metadata)
    this.supportsMetadata = !!opts.metadata
    this.#follow = opts.followLinks ? 'all' : opts.followExternalLinks ? 'external' : 'none'
    this.#writeContext = {
      fs,
      atomic: !!opts.atomic,
      lock: (fn) => this.#locked(fn),
      commitMetadata: async (key, metadata) => {
        if (metadata === null) {
          if (this.metadata.del) await this.metadata.del(key)
        } else if (this.metadata.put) await this.metadata.put(key, metadata)
      }
    }
  }

  /** The root, as the adapter names it (an absolute path in Node). */
  get root(): string {
    return this.fs.root
  }

  /** Nothing to open (kept for hyperdrive compatibility). */
  async ready(): Promise<void> {}

  /** Nothing to close (kept for hyperdrive compatibility). */
  async close(): Promise<void> {}

  /** Nothing to flush: every write lands when its stream ends. */
  async flush(): Promise<void> {}

  /** The drive itself: writes are not batched (as localdrive). */
  batch(): this {
    return this
  }

  /** The drive itself: a folder has no versions (as localdrive). */
  checkout(): this {
    return this
  }

  /** Where `key` lives natively (`/root/a/b.txt` in Node). */
  toPath(key: string): string {
    return this.fs.toPath(normalizeKey(key))
  }

  /** Runs `fn` alone among the drive's folder-changing steps. */
  #locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn, fn)
    this.#lock = run.catch(() => undefined)
    return run
  }

  /**
   * The entry at `key` (or at an entry's key), or null for nothing or a folder. With
   * `{ follow: true }` links are followed, each target resolved against the link's key.
   */
  async entry(key: string | { key: string }, opts?: EntryOptions): Promise<LocalEntry | null> {
    if (!opts?.follow) return this.#entry(keyOf(key))
    let name = keyOf(key)
    for (let i = 0; i < 16; i++) {
      const node = await this.#entry(name)
      if (!node?.value.linkname) return node
      name = resolveKey(node.key, node.value.linkname)
    }
    throw new SymlinkLoopError()
  }

  async #entry(name: string): Promise<LocalEntry | null> {
    const key = normalizeKey(name)
    const st = await this.fs.stat(key, this.#follow)
    if (!st || st.type === 'directory') return null
    const entry: LocalEntry = {
      key,
      value: { executable: false, linkname: null, blob: null, metadata: null },
      mtime: st.mtime
    }
    if (st.type === 'symlink') {
      entry.value.linkname = st.linkname ?? null
      return entry
    }
    entry.value.executable = st.executable
    if (this.metadata.get) entry.value.metadata = await this.metadata.get(key)
    if (st.type !== 'file') return null
    const blockLength = st.blocks || Math.ceil(st.size / (st.blksize || 4096)) * 8
    entry.value.blob = { byteOffset: 0, blockOffset: 0, blockLength, byteLength: st.size }
    return entry
  }

  /** Whether a file or link is at `key`. */
  async exists(key: string): Promise<boolean> {
    return (await this.entry(key)) !== null
  }

  /** The bytes of the file at `key` (following links with `follow`); null for nothing or a link. */
  async get(key: string | { key: string }, opts?: EntryOptions): Promise<Uint8Array | null> {
    const entry = await this.entry(key, opts)
    if (!entry?.value.blob) return null
    const chunks: Uint8Array[] = []
    let length = 0
    for await (const chunk of this.createReadStream(entry.key)) {
      chunks.push(chunk)
      length += chunk.byteLength
    }
    if (chunks.length === 1) return chunks[0]!
    const out = new Uint8Array(length)
    let offset = 0
    for (const c of chunks) {
      out.set(c, offset)
      offset += c.byteLength
    }
    return out
  }

  /** Writes `data` (a string as UTF-8) as the file at `key`, creating folders. */
  put(key: string, data: Uint8Array | string, opts?: WriteStreamOptions): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = this.createWriteStream(key, opts)
      let error: Error | null = null
      ws.on('error', (err) => {
        error = err
      })
      ws.on('close', () => (error ? reject(error) : resolve()))
      ws.end(data)
    })
  }

  /**
   * Removes the file or link at `key` (nothing if missing; `EISDIR`/`EPERM` for a folder), then the
   * folders it leaves empty, up to the root; then its metadata.
   */
  async del(key: string): Promise<void> {
    const k = normalizeKey(key)
    if (!(await this.fs.unlink(k))) return
    await this.#locked(async () => {
      for (let dir = parentKey(k); dir !== '/'; dir = parentKey(dir)) {
        if (!(await this.fs.removeEmptyDir(dir))) break
      }
    })
    if (this.metadata.del) await this.metadata.del(k)
  }

  /**
   * Makes `key` a link to `linkname` (replacing a file there). An absolute `linkname` is a key of
   * this drive; a relative one is stored as given.
   */
  async symlink(key: string, linkname: string): Promise<void> {
    if (await this.entry(key)) await this.del(key)
    const k = normalizeKey(key)
    await this.#locked(() => this.fs.symlink(k, linkname))
  }

  /** Orders entries by `mtime`: 1 if `a` is newer, -1 if older, 0 if equal. */
  compare(a: { mtime: number }, b: { mtime: number }): number {
    const diff = a.mtime - b.mtime
    return diff > 0 ? 1 : diff < 0 ? -1 : 0
  }

  /**
   * The entries under `folder` (default `/`), depth first in the file system's order. Ignored keys
   * are skipped, and ignored folders not entered; `recursive: false` lists only the folder's files.
   */
  list(folder?: string | ListOptions, opts?: ListOptions): AsyncGenerator<LocalEntry, void, undefined> {
    if (typeof folder === 'object' && folder !== null) return this.list(undefined, folder)
    const o = opts ?? {}
    const ignore = o.ignore ? toIgnoreFunction(o.ignore) : null
    return this.#list(normalizeKey(folder), ignore, o.recursive !== false)
  }

  async *#list(
    keyname: string,
    ignore: ((key: string) => boolean) | null,
    recursive: boolean
  ): AsyncGenerator<LocalEntry, void, undefined> {
    const dir = await this.fs.readdir(keyname, this.#follow)
    if (!dir) return
    for await (const dirent of dir) {
      const key = resolveKey(keyname, dirent.name)
      if (ignore?.(key)) continue
      if (dirent.type === 'directory') {
        if (recursive) yield* this.#list(key, ignore, recursive)
        continue
      }
      const entry = await this.entry(key)
      if (entry) yield entry
    }
  }

  /**
   * The names directly under `folder` (default `/`): files, links and folders holding any file, in
   * byte order of their UTF-8 names (as Node's `readdir`, which localdrive uses, returns them).
   */
  async *readdir(folder?: string): AsyncGenerator<string, void, undefined> {
    const keyname = normalizeKey(folder)
    const dir = await this.fs.readdir(keyname, this.#follow)
    if (!dir) return
    const dirents: DirEntry[] = []
    for await (const dirent of dir) dirents.push(dirent)
    const utf8 = new TextEncoder()
    const sortKeys = new Map(dirents.map((d) => [d, utf8.encode(d.name)]))
    dirents.sort((a, b) => compareBytes(sortKeys.get(a)!, sortKeys.get(b)!))
    for (const dirent of dirents) {
      const key = resolveKey(keyname, dirent.name)
      let suffix = key.slice(keyname.length)
      const i = suffix.indexOf('/')
      if (i > -1) suffix = suffix.slice(i + 1)
      if (dirent.type === 'directory') {
        if (!(await this.#isEmptyDirectory(key))) yield suffix
        continue
      }
      if (await this.entry(key)) yield suffix
    }
  }

  async #isEmptyDirectory(key: string): Promise<boolean> {
    for await (const _ of this.list(key)) return false
    return true
  }

  /** Reads the file at `key` (or an entry's key), optionally a range (`start`/`end` inclusive). */
  createReadStream(key: string | { key: string }, opts?: ReadStreamOptions): LocalReadStream {
    return new LocalReadStream(this.fs, normalizeKey(keyOf(key)), opts)
  }

  /** Writes the file at `key`; it is created or truncated when the first chunk (or `end`) comes. */
  createWriteStream(key: string, opts?: WriteStreamOptions): LocalWriteStream {
    return new LocalWriteStream(this.#writeContext, normalizeKey(key), opts)
  }
}
