/**
 * Acceptance 3: differential. The same seeded random sequence of operations — puts (0 B to
 * 150 KiB, executables, metadata), write streams (chunk boundaries become blocks), deletes,
 * symlinks (chains, loops, dangling, relative), batches read before their flush, checkouts,
 * diffs, listings, readdirs, follows, clears — runs on our drive and on the real hyperdrive 13.
 * Every read answers alike, and in the end both metadata cores hold the same blocks and both
 * blobs cores the same tree (hyperdrive is deterministic for one writer: its keys differ, its
 * blocks do not).
 *
 * `DIFF_SEEDS=7,8,9` runs other seeds (160 were run while writing it); `DIFF_TRACE=1` prints each
 * operation, its outcome and any error, for chasing a divergence.
 */
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { ready } from '@orchard/crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Hyperdrive } from '../src/index.ts'
import { type Any, bytes, cleanup, collect, hex, oursDrive, plain, prng, realDrive } from './helpers.ts'

beforeAll(() => ready())
afterAll(() => cleanup())

const PATHS = [
  '/a',
  '/a/b',
  '/a-b',
  '/a/b/c.txt',
  '/a/b/d',
  'x/../y.txt',
  '\\win\\path.txt',
  '/deep/1/2/3/4.bin',
  '/deep/1/2/5.bin',
  '/ü/é.txt',
  '/a b/c d',
  'rel/file',
  '/z'
]
const FOLDERS = ['/', '/a', '/a/b', '/deep', '/deep/1/2', 'a/', '/nope', '/ü']
const TARGETS = [
  '/a',
  '/a/b/c.txt',
  '../a-b',
  '../../z',
  '/loop-1',
  '/loop-2',
  '/missing',
  'c.txt',
  '/a/../z'
]

type Op = { t: string; args: unknown[] }

function generate(seed: number, count: number): Op[] {
  const r = prng(seed)
  const pick = <T>(list: readonly T[]) => list[r.int(list.length)]!
  const size = () => (r.next() < 0.1 ? 0 : r.next() < 0.15 ? 60_000 + r.int(90_000) : r.int(3000))
  const opts = () => ({
    executable: r.next() < 0.2,
    metadata: r.next() < 0.3 ? { n: r.int(1000), s: 'm'.repeat(r.int(5)) } : null
  })
  const ops: Op[] = [
    { t: 'symlink', args: ['/loop-1', '/loop-2'] },
    { t: 'symlink', args: ['/loop-2', '/loop-1'] }
  ]
  while (ops.length < count) {
    const x = r.next()
    if (x < 0.3) ops.push({ t: 'put', args: [pick(PATHS), size(), r.int(1e6), opts()] })
    else if (x < 0.36) {
      const chunks = Array.from({ length: 1 + r.int(4) }, () => r.int(70_000))
      ops.push({ t: 'stream', args: [pick(PATHS), chunks, r.int(1e6), opts()] })
    } else if (x < 0.46) ops.push({ t: 'del', args: [pick(PATHS)] })
    else if (x < 0.53) ops.push({ t: 'symlink', args: [pick(PATHS), pick(TARGETS)] })
    else if (x < 0.6) {
      const inner: Op[] = []
      for (let i = 0, n = 1 + r.int(8); i < n; i++) {
        const y = r.next()
        if (y < 0.6) inner.push({ t: 'put', args: [pick(PATHS), size(), r.int(1e6), opts()] })
        else if (y < 0.8) inner.push({ t: 'del', args: [pick(PATHS)] })
        else inner.push({ t: 'symlink', args: [pick(PATHS), pick(TARGETS)] })
      }
      ops.push({ t: 'batch', args: [inner, pick(PATHS), pick(FOLDERS)] })
    } else if (x < 0.68) ops.push({ t: 'entry', args: [pick(PATHS), r.next() < 0.5] })
    else if (x < 0.74) ops.push({ t: 'get', args: [pick(PATHS)] })
    else if (x < 0.8) ops.push({ t: 'list', args: [pick(FOLDERS), r.next() < 0.7] })
    else if (x < 0.85) ops.push({ t: 'readdir', args: [pick(FOLDERS)] })
    else if (x < 0.9) ops.push({ t: 'diff', args: [r.next(), pick(FOLDERS)] })
    else if (x < 0.95) ops.push({ t: 'checkout', args: [r.next(), pick(FOLDERS), pick(PATHS)] })
    else if (x < 0.98) ops.push({ t: 'clear', args: [pick(PATHS)] })
    else ops.push({ t: 'exists', args: [pick(PATHS)] })
  }
  return ops
}

/** An outcome of a call: its value, or that it threw (and the code, when the code is hypercore's). */
async function outcome(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    return plain(await fn())
  } catch (err) {
    const code = (err as { code?: string }).code
    if (process.env.DIFF_TRACE) console.log('ERR', (err as Error).stack?.split('\n').slice(0, 5).join(' | '))
    return { threw: true, code: code === 'BLOCK_NOT_AVAILABLE' ? code : undefined }
  }
}

function sha(b: Uint8Array | null): string | null {
  return b === null ? null : createHash('sha256').update(b).digest('hex')
}

async function writeStream(drive: Any, real: boolean, path: string, chunks: Uint8Array[], o: object) {
  const ws = drive.createWriteStream(path, o)
  for (const c of chunks) ws.write(real ? Buffer.from(c) : c)
  ws.end()
  if (real) await once(ws, 'finish')
  else await (ws as ReturnType<Hyperdrive['createWriteStream']>).done()
}

/**
 * Runs `op` on `drive`. `versions` are the drive's versions between operations: checkouts and
 * diffs pick one of them (a version inside a batch is no tree hyperbee can read — the real one
 * fails on some with a TypeError and reads forward pointers of others; ours refuses them all).
 */
async function apply(drive: Any, real: boolean, op: Op, versions: number[]): Promise<unknown> {
  const buf = (u: Uint8Array) => (real ? Buffer.from(u) : u)
  const a = op.args as Any[]
  switch (op.t) {
    case 'put':
      return outcome(() => drive.put(a[0], buf(bytes(a[1], a[2])), a[3]))
    case 'stream': {
      const chunks = (a[1] as number[]).map((n, i) => bytes(n, a[2] + i))
      return outcome(() => writeStream(drive, real, a[0], chunks, a[3]))
    }
    case 'del':
      return outcome(() => drive.del(a[0]))
    case 'symlink':
      return outcome(() => drive.symlink(a[0], a[1]))
    case 'batch': {
      const batch = drive.batch()
      const out: unknown[] = []
      for (const inner of a[0] as Op[]) out.push(await apply(batch, real, inner, versions))
      // the batch reads its own pending writes; the drive does not see them yet
      out.push(await outcome(() => batch.entry(a[1])))
      out.push(await outcome(() => drive.entry(a[1])))
      out.push(await outcome(() => collect(batch.list(a[2]))))
      await batch.flush()
      out.push(drive.version)
      return out
    }
    case 'entry':
      return outcome(() => drive.entry(a[0], { follow: a[1] }))
    case 'get':
      // cleared contents would be waited for (from peers there are none): never wait
      return outcome(async () => sha(await drive.get(a[0], { wait: false })))
    case 'list':
      return outcome(() => collect(drive.list(a[0], { recursive: a[1] })))
    case 'readdir':
      return outcome(() => collect(drive.readdir(a[0])))
    case 'diff': {
      const v = versions[Math.floor(a[0] * versions.length)]!
      return outcome(() => collect(drive.diff(v, a[1])))
    }
    case 'checkout': {
      const v = versions[Math.floor(a[0] * versions.length)]!
      const co = drive.checkout(v)
      try {
        return [
          co.version,
          await outcome(() => collect(co.list(a[1]))),
          await outcome(async () => sha(await co.get(a[2], { wait: false }))),
          await outcome(() => collect(co.diff(1, a[1])))
        ]
      } finally {
        await co.close()
      }
    }
    case 'clear': {
      const isLink = !!(await drive.entry(a[0]).catch(() => null))?.value.linkname
      const cleared = await outcome(() => drive.clear(a[0]))
      // hyperdrive 13 throws a TypeError clearing a symlink (it hands hyperblobs a null blob);
      // ours clears nothing and says so (null), as for a missing path
      if (isLink && !real) expect(cleared).toBe(null)
      return [
        isLink ? 'symlink' : cleared,
        await outcome(async () => sha(await drive.get(a[0], { wait: false })))
      ]
    }
    case 'exists':
      return outcome(() => drive.exists(a[0]))
  }
  throw new Error(`unknown op ${op.t}`)
}

async function treeHash(core: Any): Promise<string> {
  return hex(new Uint8Array(await core.treeHash(core.length)))
}

describe('the same operations on our drive and on the real hyperdrive', () => {
  const seeds = process.env.DIFF_SEEDS ? process.env.DIFF_SEEDS.split(',').map(Number) : [1, 2, 3, 4, 5, 6]
  for (const seed of seeds) {
    it(`seed ${seed}: same results, same blocks`, async () => {
      const ops = generate(seed, 200)
      const ours = await oursDrive()
      const real = await realDrive()
      const versions = [1]
      try {
        for (const [i, op] of ops.entries()) {
          if (process.env.DIFF_TRACE) console.log(i, JSON.stringify(op).slice(0, 300))
          const want = await apply(real, true, op, versions)
          if (process.env.DIFF_TRACE) console.log(op.t, String(JSON.stringify(want)).slice(0, 160))
          const got = await apply(ours, false, op, versions)
          expect(got, `seed ${seed}, op ${i}: ${JSON.stringify(op).slice(0, 200)}`).toEqual(want)
          expect(ours.version, `seed ${seed}, op ${i}: version`).toBe(real.version)
          if (ours.version !== versions.at(-1)) versions.push(ours.version)
        }
        // a last file, so both blobs cores hold their last block (the real hypercore's treeHash
        // waits for a cleared last block from peers)
        await apply(real, true, { t: 'put', args: ['/final', 10, 1, {}] }, versions)
        await apply(ours, false, { t: 'put', args: ['/final', 10, 1, {}] }, versions)
        expect(ours.core.length).toBe(real.core.length)
        for (let i = 0; i < ours.core.length; i++) {
          expect(hex(await ours.core.get(i)), `seed ${seed}, metadata block ${i}`).toBe(
            hex(await real.core.get(i))
          )
        }
        expect(await treeHash(ours.core)).toBe(await treeHash(real.core))
        const blobs = await ours.getBlobs()
        expect(blobs.core.length).toBe(real.blobs.core.length)
        expect(await treeHash(blobs.core)).toBe(await treeHash(real.blobs.core))
        expect(blobs.core.length).toBeGreaterThan(10)
      } finally {
        await ours.close()
        await real.close()
      }
    }, 60_000)
  }
})
