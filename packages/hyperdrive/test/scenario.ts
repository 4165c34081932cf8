/**
 * The interop scenario: one sequence of drive operations that either package (ours, or the real
 * hyperdrive 13) runs — 110 files from 0 B to 10 MiB in nested folders, executables, metadata,
 * symlinks (absolute, relative, chained, dangling), a batch, overwrites and deletes — and one set
 * of reads that either package answers, reduced to plain data (contents as SHA-256) to compare.
 */
import { createHash } from 'node:crypto'
import { type Any, bytes, collect, plain, prng } from './helpers.ts'

export interface FileSpec {
  path: string
  size: number
  seed: number
  executable: boolean
  metadata: unknown
}

const MiB = 1024 * 1024
const names = ['alpha', 'beta', 'gamma-δ', 'with space', 'x.y', 'deep']

/** The 110 files: sizes 0 B to 10 MiB, up to five folders deep. */
export function files(): FileSpec[] {
  const r = prng(7)
  const special = [0, 0, 0, 1, 1, 65535, 65536, 65537, 131072, 200_003, MiB + 7, 10 * MiB]
  const out: FileSpec[] = []
  for (let i = 0; i < 110; i++) {
    const depth = i % 6
    const parts: string[] = []
    for (let d = 0; d < depth; d++) parts.push(`${names[(i + d * 3) % names.length]}${d}`)
    const size = i < special.length ? special[i]! : r.next() < 0.7 ? r.int(4096) : 4096 + r.int(150_000)
    out.push({
      path: `/${[...parts, `file-${i}.bin`].join('/')}`,
      size,
      seed: 1000 + i,
      executable: i % 7 === 3,
      metadata: i % 5 === 0 ? { i, tags: ['a', 'b'], nested: { n: i * 3 } } : null
    })
  }
  return out
}

/** The scenario's symlinks: absolute, relative (to the link's own path), chained, dangling. */
export function symlinks(): Array<[string, string]> {
  const all = files()
  return [
    ['/links/abs', all[1]!.path],
    ['/links/rel', `../..${all[1]!.path}`],
    ['/links/chain', '/links/abs'],
    ['/links/dangling', '/nowhere/at/all'],
    [`${dirname(all[1]!.path)}/link-up`, `../..${all[0]!.path}`],
    ['/links/to-big', all[11]!.path]
  ]
}

/** The folder a path is in. */
export function dirname(path: string): string {
  return path.slice(0, path.lastIndexOf('/')) || '/'
}

/** The contents of a file of the scenario. */
export function contents(f: FileSpec): Uint8Array {
  return bytes(f.size, f.seed)
}

const toBuf = (u: Uint8Array, real: boolean) => (real ? Buffer.from(u.buffer, u.byteOffset, u.byteLength) : u)

/** Runs the scenario's writes on `drive` (ours or real); returns the versions after each phase. */
export async function write(drive: Any, real: boolean): Promise<number[]> {
  const all = files()
  const versions: number[] = []
  for (const f of all.slice(0, 90)) {
    await drive.put(f.path, toBuf(contents(f), real), { executable: f.executable, metadata: f.metadata })
  }
  versions.push(drive.version)
  for (const [from, to] of symlinks()) await drive.symlink(from, to, { metadata: { link: true } })
  versions.push(drive.version)
  const batch = drive.batch()
  for (const f of all.slice(90)) {
    await batch.put(f.path, toBuf(contents(f), real), { executable: f.executable, metadata: f.metadata })
  }
  await batch.del(all[20]!.path)
  await batch.flush()
  versions.push(drive.version)
  await drive.del(all[30]!.path)
  await drive.del('/not/there')
  await drive.put(all[40]!.path, toBuf(new TextEncoder().encode('overwritten'), real), { executable: true })
  await drive.put('/alpha0/../beta1/normalised.txt', toBuf(new Uint8Array([1, 2, 3]), real))
  versions.push(drive.version)
  return versions
}

function sha(b: Uint8Array | null): string | null {
  return b === null ? null : createHash('sha256').update(b).digest('hex')
}

async function shaStream(stream: AsyncIterable<Uint8Array>): Promise<string> {
  const h = createHash('sha256')
  for await (const chunk of stream) h.update(chunk)
  return h.digest('hex')
}

/** Every read the scenario compares, as plain data. */
export async function read(drive: Any, versions: number[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {}
  const all = files()
  const entries: unknown[] = []
  const data: Record<string, string | null> = {}
  for (const f of all) {
    entries.push(await drive.entry(f.path))
    data[f.path] = sha(await drive.get(f.path))
  }
  out.entries = entries
  out.data = data
  out.links = []
  for (const [from] of symlinks()) {
    ;(out.links as unknown[]).push([await drive.entry(from), await drive.entry(from, { follow: true })])
  }
  out.list = await collect(drive.list('/'))
  out.listFolder = await collect(drive.list(dirname(all[1]!.path)))
  out.shallow = (await collect<Any>(drive.list('/', { recursive: false }))).map((e) => e.key)
  out.readdirRoot = await collect(drive.readdir('/'))
  out.readdirDeep = await collect(drive.readdir(dirname(all[5]!.path)))
  out.readdirMid = await collect(drive.readdir(dirname(dirname(all[4]!.path))))
  out.diffs = []
  for (const v of versions) (out.diffs as unknown[]).push(await collect(drive.diff(v)))
  out.diffFolder = await collect(drive.diff(versions[0]!, '/beta0'))
  const co = drive.checkout(versions[1]!)
  out.checkout = {
    version: co.version,
    keys: (await collect<Any>(co.list('/'))).map((e) => e.key),
    file20: sha(await co.get(all[20]!.path)),
    file95: await co.entry(all[95]!.path)
  }
  await co.close()
  const big = all[11]!
  out.range = await shaStream(drive.createReadStream(big.path, { start: 5 * MiB + 3, length: 300_000 }))
  out.rangeEnd = await shaStream(drive.createReadStream(big.path, { start: 10, end: 70_000 }))
  out.version = drive.version
  return plain(out) as Record<string, unknown>
}
