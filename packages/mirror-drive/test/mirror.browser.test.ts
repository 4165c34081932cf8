/**
 * In real Chromium: an OPFS folder mirrored into a drive and out into another, empty OPFS folder,
 * then changed, pruned and dry-run. The drive in the middle is an in-memory drive-shaped object
 * (WHATWG streams both ways), then our hyperdrive on a memory corestore, then on IndexedDB.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { Corestore } from '../../corestore/src/index.ts'
import { ready } from '../../crypto/src/index.ts'
import { Hyperdrive } from '../../hyperdrive/src/index.ts'
import { Localdrive, NotSupportedError, opfsDirectory } from '../../localdrive/src/browser.ts'
import { openIdbStorage, openMemoryStorage } from '../../storage/src/index.ts'
import { type MirrorDiff, MirrorDrive, type TargetDrive } from '../src/index.ts'
import { MemoryDrive } from './memory-drive.ts'

const ROOT = 'mirror-drive-tests'
afterAll(async () => {
  await (await navigator.storage.getDirectory()).removeEntry(ROOT, { recursive: true })
})

let n = 0
const folder = async () => new Localdrive(await opfsDirectory(`/${ROOT}/${Date.now()}-${n++}`))

function bytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length)
  let x = seed * 2654435761 || 1
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

/** key → `length:checksum:executable` of every file of the drive, sorted by key. */
async function fingerprint(drive: Localdrive): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for await (const e of drive.list()) {
    const b = (await drive.get(e.key))!
    let sum = 0
    for (let i = 0; i < b.length; i++) sum = (sum * 31 + b[i]!) >>> 0
    out[e.key] = `${b.length}:${sum}:${e.value.executable}`
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [c]) => (a < c ? -1 : 1)))
}

async function run(m: MirrorDrive): Promise<MirrorDiff[]> {
  const diffs: MirrorDiff[] = []
  for await (const d of m) diffs.push(d)
  return diffs
}

/**
 * Our hyperdrive as a mirror target. Its `createReadStream` is typed `(name: string)` but, like
 * hyperdrive 13 (and as mirror-drive relies on), takes an entry too; hence the cast.
 */
const asTarget = (drive: Hyperdrive) => drive as unknown as Middle['drive']

/** A drive in the middle, and how many entries it has written so far. */
interface Middle {
  drive: TargetDrive & { get(key: string): Promise<Uint8Array | null> }
  writes(): number
}

const MIDDLES: Array<[string, () => Promise<Middle>]> = [
  [
    'an in-memory drive-shaped object',
    async () => {
      const mem = new MemoryDrive()
      return { drive: mem, writes: () => mem.writes.streams }
    }
  ],
  [
    'our hyperdrive on a memory corestore',
    async () => {
      await ready()
      const drive = new Hyperdrive(new Corestore(openMemoryStorage()))
      await drive.ready()
      return { drive: asTarget(drive), writes: () => Math.max(0, drive.core.length - 1) } // the header is block 0
    }
  ],
  [
    'our hyperdrive on IndexedDB',
    async () => {
      await ready()
      const drive = new Hyperdrive(new Corestore(await openIdbStorage(`mirror-${Date.now()}-${n++}`)))
      await drive.ready()
      return { drive: asTarget(drive), writes: () => Math.max(0, drive.core.length - 1) } // the header is block 0
    }
  ]
]

describe.each(MIDDLES)('OPFS folder → %s → OPFS folder', (_name, makeMiddle) => {
  const keys: string[] = []
  let a: Localdrive
  let b: Localdrive
  let middle: Middle
  let mem: Middle['drive']

  it('copies a nested folder through and out: identical', async () => {
    middle = await makeMiddle()
    mem = middle.drive
    a = await folder()
    b = await folder()
    const dirs = ['', '/x', '/x/y', '/x/y/z', '/w']
    for (let i = 0; i < 64; i++) {
      const size = i === 0 ? 0 : i === 1 ? 1024 * 1024 : (i * 7919) % 40_000
      const key = `${dirs[i % dirs.length]}/f${i}.bin`
      await a.put(key, bytes(size, i + 1))
      keys.push(key)
    }
    keys.sort()
    const writes = middle.writes()
    const inDiffs = await run(new MirrorDrive(a, mem))
    expect(inDiffs.map((d) => d.key).sort()).toEqual(keys)
    expect(inDiffs.every((d) => d.op === 'add')).toBe(true)
    expect(middle.writes() - writes).toBe(keys.length)
    const m = new MirrorDrive(mem, b)
    await m.done()
    expect(m.count).toEqual({ files: keys.length, add: keys.length, remove: 0, change: 0 })
    expect(m.bytesAdded).toBe(inDiffs.reduce((s, d) => s + d.bytesAdded, 0))
    expect(await fingerprint(b)).toEqual(await fingerprint(a))
    expect(Object.keys(await fingerprint(b))).toEqual(keys)
  })

  it('finds nothing to do again, comparing bytes across differently chunked streams', async () => {
    expect(await run(new MirrorDrive(a, mem))).toEqual([])
    const equals = await run(new MirrorDrive(mem, b, { includeEquals: true }))
    expect(equals.length).toBe(keys.length)
    expect(equals.every((d) => d.op === 'equal')).toBe(true)
  })

  it('carries 3 changes and 2 deletions, and nothing else', async () => {
    await a.put('/x/f1.bin', bytes(1024 * 1024, 99)) // same size, new bytes
    await a.put('/f5.bin', 'grown and changed')
    await a.put('/w/f4.bin', new Uint8Array(0))
    await a.del('/x/y/f2.bin')
    await a.del('/x/y/z/f3.bin')
    const writes = middle.writes()
    const ops = async (m: MirrorDrive) => (await run(m)).map((d) => `${d.op} ${d.key}`).sort()
    const expected = [
      'change /f5.bin',
      'change /w/f4.bin',
      'change /x/f1.bin',
      'remove /x/y/f2.bin',
      'remove /x/y/z/f3.bin'
    ]
    expect(await ops(new MirrorDrive(a, mem))).toEqual(expected)
    expect(middle.writes() - writes).toBe(mem instanceof MemoryDrive ? 3 : 5) // a hyperdrive also appends deletions
    expect(await ops(new MirrorDrive(mem, b))).toEqual(expected)
    expect(await fingerprint(b)).toEqual(await fingerprint(a))
  })

  it('changes nothing on a dry run', async () => {
    await a.put('/dry.txt', 'only in a')
    const before = await fingerprint(b)
    const writes = middle.writes()
    const diffs = await run(new MirrorDrive(a, mem, { dryRun: true }))
    expect(diffs).toEqual([{ op: 'add', key: '/dry.txt', bytesRemoved: 0, bytesAdded: 9 }])
    expect(middle.writes()).toBe(writes)
    expect(await mem.entry('/dry.txt')).toBeNull()
    expect(await run(new MirrorDrive(mem, b, { dryRun: true }))).toEqual([])
    expect(await fingerprint(b)).toEqual(before)
  })
})

describe('browser folders and what they cannot hold', () => {
  it('cannot write a link into a browser folder, unless filtered out', async () => {
    const src = new MemoryDrive()
    await src.put('/file.txt', new TextEncoder().encode('x'))
    await src.symlink('/link', '/file.txt')
    const dst = await folder()
    await expect(new MirrorDrive(src, dst).done()).rejects.toBeInstanceOf(NotSupportedError)
    const m = new MirrorDrive(src, dst, { filter: (key) => key !== '/link' })
    await m.done()
    expect(Object.keys(await fingerprint(dst))).toEqual(['/file.txt'])
  })

  it('uses a TransformStream transformer', async () => {
    const src = await folder()
    await src.put('/t.txt', 'shout')
    const dst = new MemoryDrive()
    const upper = () =>
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          controller.enqueue(new TextEncoder().encode(new TextDecoder().decode(chunk).toUpperCase()))
        }
      })
    await new MirrorDrive(src, dst, { transformers: [upper] }).done()
    expect(new TextDecoder().decode((await dst.get('/t.txt'))!)).toBe('SHOUT')
  })
})
