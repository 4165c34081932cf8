/**
 * The mirror: walks the source (and, to prune, the destination) and makes the destination hold
 * the same files, links, executable bits and metadata, yielding one diff per key it touches, as
 * mirror-drive 1.14 does.
 *
 * Sameness, as mirror-drive decides it: two links are the same when their linknames are; a link
 * and a file never are; two files are the same when their sizes (unless a blob is deduplicated)
 * and bytes match, their executable bits match, and — when both drives support metadata — their
 * metadata is equal (`metadataEquals`, or deep equality). Same bytes with a different executable
 * bit or metadata is a metadata-only change: a destination with `putEntry` (a hyperdrive) rewrites
 * the entry and copies no bytes (the diff says 0 / 0); others rewrite the file.
 */
import { MirrorDriveError } from './errors.ts'
import { isTransformer, iterate, streamsEqual, through, writeAll } from './streams.ts'
import type {
  BlobsLike,
  DriveEntry,
  MirrorCount,
  MirrorDiff,
  MirrorOptions,
  SourceDrive,
  TargetDrive,
  Transformer
} from './types.ts'
import { normalizeKey, sameData } from './util.ts'

const SAME = 0
const DIFF = 1
const DIFF_META = 2
type Sameness = typeof SAME | typeof DIFF | typeof DIFF_META

type Listed = [key: string, a: DriveEntry | null, b: DriveEntry | null]

function toIgnoreFunction(ignore: string | string[] | ((key: string) => boolean)): (key: string) => boolean {
  if (typeof ignore === 'function') return ignore
  const all = ([] as string[]).concat(ignore).map((e) => normalizeKey(e))
  return (key) => all.some((path) => path === key || key.startsWith(`${path}/`))
}

async function blobLength(entry: DriveEntry, blobs: BlobsLike | null): Promise<number> {
  const blob = entry.value.blob
  if (!blob) return 0
  if (!blob.blockMap) return blob.byteLength
  if (!blobs) throw new MirrorDriveError('BAD_STREAM', 'a deduplicated blob needs its drive’s blobs store')
  return blobs.getByteLength(blob)
}

function maybeEquals(src: DriveEntry, dst: DriveEntry): boolean {
  const a = src.value.blob
  const b = dst.value.blob
  if (!a && !b) return true
  if (!a || !b) return false
  if (a.blockMap || b.blockMap) return true
  return a.byteLength === b.byteLength
}

/**
 * Mirrors `src` into `dst`. Iterate it (`for await (const diff of mirror)`) to run it diff by diff,
 * or `await mirror.done()`; `count`, `bytesAdded` and `bytesRemoved` grow as it goes.
 *
 * ```ts
 * const mirror = new MirrorDrive(src, dst)
 * for await (const { op, key, bytesAdded, bytesRemoved } of mirror) console.log(op, key)
 * console.log(mirror.count) // { files, add, remove, change }
 * ```
 */
export class MirrorDrive implements AsyncIterable<MirrorDiff> {
  /** The drive read from. */
  readonly src: SourceDrive
  /** The drive written to. */
  readonly dst: TargetDrive
  /** The folders mirrored. */
  readonly prefix: string[]
  /** Ask a hyperdrive destination to deduplicate (see {@link MirrorOptions.dedup}). */
  readonly dedup: boolean
  /** Report only, change nothing. */
  readonly dryRun: boolean
  /** Remove what the source lacks. */
  readonly prune: boolean
  /** Yield `equal` diffs too. */
  readonly includeEquals: boolean
  /** The source keys mirrored, or null for all. */
  readonly filter: ((key: string) => boolean) | null
  /** How metadata is compared, or null for deep equality. */
  readonly metadataEquals: ((srcMetadata: unknown, dstMetadata: unknown) => boolean) | null
  /** Write into `dst.batch()` and flush once. */
  readonly batch: boolean
  /** The keys mirrored instead of a listing, or null. */
  readonly entries: MirrorOptions['entries']
  /** Factories of byte transforms. */
  readonly transformers: Array<(key: string) => Transformer | null>
  /** What was skipped by `ignore`, as a predicate. */
  readonly ignore: ((key: string) => boolean) | null
  /** Files considered, and how many were added, removed and changed. */
  readonly count: MirrorCount = { files: 0, add: 0, remove: 0, change: 0 }
  /** Bytes of the destination's files removed or replaced. */
  bytesRemoved = 0
  /** Bytes of the source's files copied. */
  bytesAdded = 0
  /** True once the mirror ran to the end. */
  finished = false
  readonly #iterator: AsyncGenerator<MirrorDiff, void, undefined>

  /** A mirror of `src` into `dst` (nothing happens until it is iterated or `done()` is awaited). */
  constructor(src: SourceDrive, dst: TargetDrive, opts: MirrorOptions = {}) {
    this.src = src
    this.dst = dst
    this.prefix = ([] as string[]).concat(opts.prefix || '/')
    this.dedup = !!opts.dedup
    this.dryRun = !!opts.dryRun
    this.prune = opts.prune !== false
    this.includeEquals = !!opts.includeEquals
    this.filter = opts.filter || null
    this.metadataEquals = opts.metadataEquals || null
    this.batch = !!opts.batch
    this.entries = opts.entries || null
    this.transformers = opts.transformers || []
    this.ignore = opts.ignore ? toIgnoreFunction(opts.ignore) : null
    this.#iterator = this.#mirror()
  }

  /** The diffs, one per key touched (the same iterator every time: a mirror runs once). */
  [Symbol.asyncIterator](): AsyncGenerator<MirrorDiff, void, undefined> {
    return this.#iterator
  }

  /** Runs the mirror to the end. */
  async done(): Promise<void> {
    while (!(await this.#iterator.next()).done) {}
  }

  async *#mirror(): AsyncGenerator<MirrorDiff, void, undefined> {
    await this.src.ready?.()
    await this.dst.ready?.()
    if (this.dst.core && !this.dst.core.writable) {
      throw new MirrorDriveError('NOT_WRITABLE', 'Destination must be writable')
    }

    const dst = this.batch && this.dst.batch ? this.dst.batch() : this.dst
    const dstBlobs = dst.getBlobs ? await dst.getBlobs() : null
    const srcBlobs = this.src.getBlobs ? await this.src.getBlobs() : null

    if (this.prune) {
      for await (const [key, dstEntry, srcEntry] of this.#list(this.dst, this.src, null)) {
        if (srcEntry || !dstEntry) continue
        const removed = await blobLength(dstEntry, dstBlobs)
        this.count.remove++
        this.bytesRemoved += removed
        yield { op: 'remove', key, bytesRemoved: removed, bytesAdded: 0 }
        if (!this.dryRun) await dst.del(key)
      }
    }

    for await (const [key, srcEntry, dstEntry] of this.#list(this.src, dst, this.filter)) {
      if (!srcEntry) continue // an `entries` key the source lacks
      this.count.files++

      const transforming = this.transformers.length > 0
      const s = transforming ? DIFF : await this.#same(srcEntry, dstEntry)
      if (s === SAME) {
        if (this.includeEquals) yield { op: 'equal', key, bytesRemoved: 0, bytesAdded: 0 }
        continue
      }

      const onlyMetadata = s === DIFF_META && !!dst.putEntry
      const dedup = !!dst.putEntry && this.dedup

      if (dstEntry) {
        const removed = onlyMetadata ? 0 : await blobLength(dstEntry, dstBlobs)
        const added = onlyMetadata ? 0 : await blobLength(srcEntry, srcBlobs)
        this.count.change++
        this.bytesRemoved += removed
        this.bytesAdded += added
        yield { op: 'change', key, bytesRemoved: removed, bytesAdded: added }
      } else {
        const added = await blobLength(srcEntry, srcBlobs)
        this.count.add++
        this.bytesAdded += added
        yield { op: 'add', key, bytesRemoved: 0, bytesAdded: added }
      }

      if (this.dryRun) continue

      const transforms: Transformer[] = []
      for (const factory of this.transformers) {
        if (typeof factory !== 'function') {
          throw new MirrorDriveError('BAD_TRANSFORMER', 'transformer must be a function')
        }
        const t = factory(key)
        if (t === null) continue
        if (!isTransformer(t))
          throw new MirrorDriveError('BAD_TRANSFORMER', 'transformer must return a stream')
        transforms.push(t)
      }

      if (srcEntry.value.linkname) {
        await dst.symlink(key, srcEntry.value.linkname)
      } else if (!onlyMetadata) {
        let chunks = iterate(this.src.createReadStream(srcEntry))
        for (const t of transforms) chunks = through(t, chunks)
        const sink = dst.createWriteStream(key, {
          dedup,
          executable: srcEntry.value.executable,
          metadata: srcEntry.value.metadata
        })
        await writeAll(sink, chunks)
      } else {
        await dst.putEntry!(key, {
          executable: srcEntry.value.executable,
          linkname: srcEntry.value.linkname,
          blob: dstEntry!.value.blob,
          metadata: srcEntry.value.metadata
        })
      }
    }

    if (this.batch && dst.flush) await dst.flush()
    this.finished = true
  }

  /** `[key, entry of a, entry of b]` for what `a` lists under each prefix (or for `entries`). */
  async *#list(
    a: SourceDrive,
    b: SourceDrive | null,
    filter: ((key: string) => boolean) | null
  ): AsyncGenerator<Listed, void, undefined> {
    for (const prefix of this.prefix) {
      const list = this.entries ?? iterate(a.list(prefix, this.ignore ? { ignore: this.ignore } : {}))
      for await (const item of list) {
        const key = typeof item === 'object' ? item.key : item
        if (filter && !filter(key)) continue
        const entryA = await a.entry(item)
        const entryB = b ? await b.entry(key) : null
        yield [key, entryA, entryB]
      }
      if (prefix !== '/' && (!filter || filter(prefix))) {
        const entryA = await a.entry(prefix)
        const entryB = b ? await b.entry(prefix) : null
        if (entryA || entryB) yield [prefix, entryA, entryB]
      }
    }
  }

  async #same(src: DriveEntry, dst: DriveEntry | null): Promise<Sameness> {
    if (!dst) return DIFF
    if (src.value.linkname || dst.value.linkname) {
      return src.value.linkname === dst.value.linkname ? SAME : DIFF
    }
    if (!maybeEquals(src, dst)) return DIFF
    const eq = await streamsEqual(this.src.createReadStream(src), this.dst.createReadStream(dst))
    const diff = eq ? DIFF_META : DIFF
    if (src.value.executable !== dst.value.executable) return diff
    if (!this.#metadataSame(src, dst)) return diff
    return eq ? SAME : DIFF
  }

  #metadataSame(src: DriveEntry, dst: DriveEntry): boolean {
    if (!this.src.supportsMetadata || !this.dst.supportsMetadata) return true
    const a = src.value.metadata
    const b = dst.value.metadata
    if (this.metadataEquals) return this.metadataEquals(a, b)
    return (!a && !b) || !!(a && b && sameData(a, b))
  }
}
