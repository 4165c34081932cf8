/**
 * Downloads of file contents, as hyperdrive's `download`, `downloadDiff` and `downloadRange`: the
 * metadata needed is read first (the entry, the listing, or the diff), then one blobs-core download
 * per file. `done()` resolves when every file's blocks are stored; `destroy()` stops them all.
 */
import type { Download as CoreDownload, Hypercore } from '@orchard/hypercore'
import type { ReadOptions } from './bee.ts'
import { type Blobs, blockMapOf, hasBlob } from './blobs.ts'
import type { Hyperdrive } from './drive.ts'
import type { BlobId } from './entry.ts'
import { type Ignore, normalizeFolder } from './paths.ts'

/** Options of `download` and `downloadDiff`. */
export interface DownloadOptions extends ReadOptions {
  /** For a folder: only its children (`false`), or everything below it (default). */
  recursive?: boolean
  /** Paths to leave out of a folder download. */
  ignore?: Ignore
}

/** What a {@link Download} is made with: the options, plus what the drive's method adds. */
export interface DownloadInit extends DownloadOptions {
  /** `downloadDiff`: download what changed since this version. */
  diff?: number
  /** `downloadRange`: the core downloads already started. */
  downloads?: CoreDownload[]
}

/** A running download of file contents. */
export class Download {
  /** The drive downloaded from. */
  readonly drive: Hyperdrive
  /** The file or folder (null for `downloadRange`). */
  readonly folder: string | null
  /** The core downloads started so far (one per file, or per range). */
  readonly downloads: CoreDownload[]
  /** True once destroyed. */
  destroyed = false
  /** Resolves once every core download is started (rejects if reading the metadata failed). */
  readonly opening: Promise<void>
  readonly #options: DownloadInit
  readonly #diff: number | null
  readonly #maps: CoreDownload[] = []
  #stream: { destroy(): Promise<void> | void } | null = null
  #cancel!: () => void
  readonly #cancelled: Promise<null>

  /** A download of `folder` (a file, or a folder) of `drive`; use `drive.download()`. */
  constructor(drive: Hyperdrive, folder: string | null, options: DownloadInit = {}) {
    this.drive = drive
    this.folder = folder
    this.#options = options
    this.downloads = options.downloads ?? []
    this.#diff = options.diff ?? null
    this.#cancelled = new Promise<null>((resolve) => {
      this.#cancel = () => resolve(null)
    })
    this.opening = this.#open()
    this.opening.catch(() => {})
  }

  #isCancelled(): boolean {
    return this.destroyed || this.drive.closing !== null
  }

  async #open(): Promise<void> {
    try {
      await this.#download()
    } catch (err) {
      this.#destroyAll()
      if (!this.#isCancelled()) throw err
    }
  }

  #destroyAll(): void {
    void this.#stream?.destroy()
    for (const m of this.#maps) m.destroy()
    for (const d of this.downloads) d.destroy()
  }

  async #download(): Promise<void> {
    const blobs = await Promise.race([this.drive.getBlobs(), this.#cancelled])
    if (!blobs || this.#isCancelled()) return
    if (this.#diff !== null) return this.#downloadDiff(blobs, this.#diff)
    const folder = this.folder
    const entry = !folder || folder.endsWith('/') ? null : await this.drive.entry(folder, this.#options)
    if (entry) {
      const blob = entry.value.blob
      if (!blob?.blockLength) return
      if (blob.blockMap && !(await this.#cancellable(mapDownload(blobs, blob)))) return
      this.downloads.push(await downloadBlob(blobs, blob))
      return
    }
    if (folder === null) return
    const blobsToGet: BlobId[] = []
    for await (const e of this.drive.list(folder, this.#options)) {
      const blob = e.value.blob
      if (!blob?.blockLength) continue
      if (blob.blockMap) this.#maps.push(mapDownload(blobs, blob))
      blobsToGet.push(blob)
    }
    await this.#startAll(blobs, blobsToGet)
  }

  async #downloadDiff(blobs: Blobs, version: number): Promise<void> {
    const stream = this.drive.diff(version, this.folder, {})
    this.#stream = stream
    const blobsToGet: BlobId[] = []
    for await (const { left } of stream) {
      const blob = left?.value.blob
      if (!blob?.blockLength) continue
      if (blob.blockMap) this.#maps.push(mapDownload(blobs, blob))
      blobsToGet.push(blob)
    }
    await this.#startAll(blobs, blobsToGet)
  }

  async #startAll(blobs: Blobs, list: BlobId[]): Promise<void> {
    const results = await Promise.all(this.#maps.map((m) => this.#cancellable(m)))
    if (results.includes(false)) return
    for (const blob of list) {
      const d = await downloadBlob(blobs, blob)
      if (this.#isCancelled()) return d.destroy()
      this.downloads.push(d)
    }
  }

  async #cancellable(d: CoreDownload): Promise<boolean> {
    return Promise.race([
      d.done().then(() => true),
      this.#cancelled.then(() => {
        d.destroy()
        return false
      })
    ])
  }

  /** Resolves once every core download is started. */
  ready(): Promise<void> {
    return this.opening
  }

  /** Resolves once every file's blocks are stored (or their downloads ended otherwise). */
  async done(): Promise<void> {
    await this.opening
    await Promise.allSettled(this.downloads.map((d) => d.done()))
  }

  /** Stops every download. */
  destroy(): void {
    if (this.destroyed) return
    this.destroyed = true
    this.#cancel()
    this.#destroyAll()
  }

  /** Stops every download, once they are started. */
  async close(): Promise<void> {
    this.destroy()
    await this.opening.catch(() => {})
  }
}

/** Downloads the block map blocks of a `blockMap` blob. */
function mapDownload(blobs: Blobs, blob: BlobId): CoreDownload {
  return blobs.core.download({ start: blob.blockOffset, length: blob.blockLength })
}

/** Downloads a blob's data blocks (for a block map blob: the blocks its map lists). */
async function downloadBlob(blobs: Blobs, blob: BlobId): Promise<CoreDownload> {
  if (!blob.blockMap) return blobs.core.download({ start: blob.blockOffset, length: blob.blockLength })
  const map = await blockMapOf(blobs, blob)
  return blobs.core.download({ blocks: map ? map.blocks.map((b) => b.index) : [] })
}

/**
 * Whether the contents of `path` are stored locally — for a folder (a path ending in `/`, or one
 * without an entry), whether every file inside is; false for a missing path.
 */
export async function storedLocally(drive: Hyperdrive, path: string): Promise<boolean> {
  const blobs = await drive.getBlobs()
  const entry = !path || path.endsWith('/') ? null : await drive.entry(path)
  if (entry) return entry.value.blob ? hasBlob(blobs, entry.value.blob) : false
  let isDir = false
  for await (const e of drive.list(path)) {
    isDir = true
    if (e.value.blob && !(await hasBlob(blobs, e.value.blob))) return false
  }
  return isDir
}

/** `downloadRange`: block ranges of the metadata core and of the blobs core, as one download. */
export async function downloadRanges(
  drive: Hyperdrive,
  dbRanges: Parameters<Hypercore['download']>[0][],
  blobRanges: Parameters<Hypercore['download']>[0][]
): Promise<Download> {
  await drive.ready()
  const downloads = dbRanges.map((r) => drive.core.download(r))
  const blobs = await drive.getBlobs()
  for (const r of blobRanges) downloads.push(blobs.core.download(r))
  return new Download(drive, null, { downloads })
}

/** `drive.downloadDiff(version, folder?, opts?)`: the contents of what changed below `folder` since `version`. */
export function diffDownload(
  drive: Hyperdrive,
  version: number,
  folder?: string | null | DownloadOptions,
  opts?: DownloadOptions
): Download {
  if (typeof folder === 'object' && folder !== null && !opts)
    return diffDownload(drive, version, null, folder)
  return new Download(drive, normalizeFolder(folder as string | null | undefined), { ...opts, diff: version })
}
