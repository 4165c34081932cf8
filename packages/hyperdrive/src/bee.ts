/**
 * The metadata bee: how a drive opens it, and how listings read it — ranges of the files sub as
 * async-iterable streams. A recursive listing is one range read of `[folder + '/', folder + '0')`;
 * a shallow one (`readdir`, `list` with `recursive: false`) reads the folder's keys in order and,
 * at each sub-folder, jumps past that child's subtree (as hyperdrive's peek per child does), so it
 * costs one lookup per sub-folder plus a sequential read of the files, never a scan of everything
 * below the folder.
 */
import type { Corestore } from '@orchard/corestore'
import { type Batch, BeeStream, Hyperbee, type RangeOptions, type Source } from '@orchard/hyperbee'
import { ENTRY_ENCODINGS, type Entry } from './entry.ts'
import { InvalidOperationError } from './errors.ts'
import type { DriveDiffEntry, HyperdriveOptions } from './options.ts'
import { prefixRange } from './paths.ts'

/** The bee (or batch) a drive reads. */
export type DriveBee = Hyperbee<unknown, unknown> | Batch<unknown, unknown>

/** Options passed down to the bee's reads. */
export interface ReadOptions {
  /** Wait for blocks from peers (default true); false fails fast with `BLOCK_NOT_AVAILABLE`. */
  wait?: boolean
  /** Milliseconds to wait for a block from peers (0: forever). */
  timeout?: number
}

/** An async-iterable stream of a drive's entries or names; `destroy()` stops it early. */
export type DriveStream<T> = BeeStream<T>

/** Whether the second constructor argument is options (hyperdrive's `is-options`). */
export function isOptions(v: unknown): v is HyperdriveOptions {
  return typeof v === 'object' && v !== null && !(v instanceof Uint8Array)
}

/**
 * The metadata bee of a drive: the store's core named `db` (a new drive) or the core of `key`,
 * opened exclusively, with hyperbee's own encodings (every drive call names its codecs).
 */
export function makeBee(key: Uint8Array | string | null, corestore: Corestore, opts: HyperdriveOptions) {
  const core = corestore.get({
    ...(key ? { key } : { name: 'db' }),
    exclusive: true,
    onwait: opts.onwait ?? undefined,
    encryptionKey: opts.encryptionKey ?? undefined
  })
  return new Hyperbee<unknown, unknown>(core, {
    keyEncoding: 'utf-8',
    valueEncoding: 'json',
    metadata: { contentFeed: null }
  })
}

/** Only the options the bee should see (hyperdrive passes its own options on; most mean nothing there). */
export function beeReadOptions(opts: ReadOptions | undefined): ReadOptions {
  const out: ReadOptions = {}
  if (opts?.wait !== undefined) out.wait = opts.wait
  if (opts?.timeout !== undefined) out.timeout = opts.timeout
  return out
}

/** The entries of a key range of the files sub, minus those `ignore` says. */
export function entryStream(
  db: DriveBee,
  range: RangeOptions,
  opts: RangeOptions & ReadOptions,
  ignore: ((key: string) => boolean) | null
): DriveStream<Entry> {
  const merged: RangeOptions = { ...range }
  if (opts.reverse !== undefined && merged.reverse === undefined) merged.reverse = opts.reverse
  if (opts.limit !== undefined && merged.limit === undefined) merged.limit = opts.limit
  const inner = db.createReadStream(merged, { ...ENTRY_ENCODINGS }) as unknown as BeeStream<Entry>
  if (ignore === null) return inner
  const source: Source<Entry> = {
    open: async () => {},
    async next() {
      while (true) {
        const r = await inner.next()
        if (r.done) return null
        if (!ignore(r.value.key)) return r.value
      }
    },
    close: () => inner.destroy()
  }
  return new BeeStream(source)
}

/**
 * The children of `folder` (normalised, root `''`): their names (`names`), or for each child the
 * first entry at or below it — a file, or the first file inside a sub-folder.
 */
export function shallowStream<T extends string | Entry>(
  db: DriveBee,
  folder: string,
  names: boolean,
  ignore: ((key: string) => boolean) | null,
  opts: ReadOptions
): DriveStream<T> {
  let prev = '/'
  let prevName = ''
  const readOpts = { ...beeReadOptions(opts), ...ENTRY_ENCODINGS }
  // one range read runs on while the children are files (contiguous keys); a sub-folder ends it,
  // and the next read starts past that folder's subtree
  let run: BeeStream<Entry> | null = null
  const source: Source<T> = {
    open: async () => {},
    async next() {
      while (true) {
        run ??= db.createReadStream(prefixRange(folder, prev), readOpts) as unknown as BeeStream<Entry>
        const r = await run.next()
        if (r.done) {
          run = null
          return null
        }
        const node = r.value
        const suffix = node.key.slice(folder.length + 1)
        const i = suffix.indexOf('/')
        const name = i === -1 ? suffix : suffix.slice(0, i)
        // after a file, continue right after it; after a folder, jump past its whole subtree
        prev = `/${name}${i === -1 ? '' : '0'}`
        if (i !== -1) {
          await run.destroy()
          run = null
        }
        // a file and a folder of the same name (`/a` and `/a/b`): the name is listed once
        if (name === prevName) continue
        prevName = name
        if (ignore?.(node.key)) continue
        return (names ? name : node) as T
      }
    },
    close: async () => {
      await run?.destroy()
      run = null
    }
  }
  return new BeeStream(source)
}

/** What changed below `folder` between `db` and `version` (or another bee), as drive diff entries. */
export function diffStream(
  db: DriveBee,
  version: number | Hyperbee<unknown, unknown>,
  folder: string,
  opts: RangeOptions | undefined
): BeeStream<DriveDiffEntry> {
  if (!(db instanceof Hyperbee)) throw new InvalidOperationError('a batch has no history to diff')
  return db.createDiffStream(version, prefixRange(folder), {
    ...opts,
    ...ENTRY_ENCODINGS
  }) as unknown as BeeStream<DriveDiffEntry>
}

/** The key the drive `new Hyperdrive(corestore)` would have, without opening the drive. */
export async function driveKey(corestore: Corestore): Promise<Uint8Array> {
  const bee = makeBee(null, corestore, {})
  await bee.ready()
  const key = bee.core.key!
  await bee.close()
  return key
}
