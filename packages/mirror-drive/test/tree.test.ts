/**
 * A real folder of 200+ files (nested, 0 B to 1 MiB, links, an executable) mirrored into a drive
 * and back out into an empty folder, then changed, pruned and dry-run. At every step our mirror
 * (on our localdrive) and the real mirror-drive (on the real localdrive) run side by side into
 * twin drives — ours into the real hyperdrive, then into ours; the real one always into the real
 * hyperdrive: same diffs in the same order, same counts, same drive contents.
 */
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Localdrive } from '../../localdrive/src/node.ts'
import { walk } from '../../localdrive/test/helpers.ts'
import { type MirrorDiff, MirrorDrive } from '../src/index.ts'
import {
  cleanup,
  collect,
  describeDrive,
  oursHyperdrive,
  plainDiffs,
  type Real,
  RealLocaldrive,
  RealMirrorDrive,
  realHyperdrive,
  tmp
} from './helpers.ts'

afterAll(cleanup)

const MiB = 1024 * 1024
const DIRS = ['', 'a', 'a/b', 'a/b/c', 'a/b/c/d', 'e', 'e/f', 'g', 'h/i/j', 'k/l', 'm']

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

/** Writes the tree; returns its file keys (links and the executable included). */
function buildTree(root: string): string[] {
  const keys: string[] = []
  for (const d of DIRS) mkdirSync(join(root, d), { recursive: true })
  for (let i = 0; i < 214; i++) {
    const dir = DIRS[i % DIRS.length]!
    let size = (i * 7919) % 12_000
    if (i === 0) size = 0
    else if (i === 1) size = MiB
    else if (i % 37 === 0) size = 256 * 1024 + ((i * 104_729) % (768 * 1024))
    const key = `${dir ? `/${dir}` : ''}/f${i}.bin`
    writeFileSync(join(root, key), bytes(size, i + 1))
    keys.push(key)
  }
  mkdirSync(join(root, 'bin'))
  writeFileSync(join(root, 'bin/run.sh'), '#!/bin/sh\necho mirrored\n')
  chmodSync(join(root, 'bin/run.sh'), 0o755)
  mkdirSync(join(root, 'links'))
  symlinkSync('../a/f1.bin', join(root, 'links/relative'))
  symlinkSync(join(root, 'e/f/f6.bin'), join(root, 'links/absolute'))
  keys.push('/bin/run.sh', '/links/relative', '/links/absolute')
  return keys.sort()
}

/** A described tree with each root replaced by `<root>` (absolute links point into their root). */
async function tree(root: string): Promise<unknown> {
  return JSON.parse(JSON.stringify(await walk(root)).replaceAll(root, '<root>'))
}

interface Run {
  diffs: MirrorDiff[]
  count: unknown
  bytesAdded: number
  bytesRemoved: number
}

async function run(m: Real): Promise<Run> {
  const diffs = plainDiffs(await collect(m))
  return { diffs, count: { ...m.count }, bytesAdded: m.bytesAdded, bytesRemoved: m.bytesRemoved }
}

describe.each(['real', 'ours'] as const)(
  'mirroring a 200-file folder through a hyperdrive (%s) and back',
  (kind) => {
    const src = tmp()
    const out = tmp()
    const outReal = tmp()
    let keys: string[] = []
    let ours: Localdrive
    let real: Real
    let hyper: Real // mirrored by us: the real hyperdrive, or ours
    let hyperReal: Real // mirrored by the real mirror-drive: always the real hyperdrive

    /** One step: ours and the real mirror on twin pairs; returns ours after checking they agree. */
    async function step(opts: object = {}): Promise<{ toDrive: Run; toFolder: Run }> {
      const toDrive = await run(new MirrorDrive(ours, hyper, opts))
      const toDriveReal = await run(new RealMirrorDrive(real, hyperReal, opts))
      expect(toDrive).toEqual(toDriveReal)
      expect(await describeDrive(hyper)).toEqual(await describeDrive(hyperReal))
      const toFolder = await run(new MirrorDrive(hyper, new Localdrive(out), opts))
      const toFolderReal = await run(new RealMirrorDrive(hyperReal, new RealLocaldrive(outReal), opts))
      expect(toFolder).toEqual(toFolderReal)
      return { toDrive, toFolder }
    }

    beforeAll(async () => {
      keys = buildTree(src)
      ours = new Localdrive(src)
      real = new RealLocaldrive(src)
      hyper = kind === 'real' ? await realHyperdrive() : await oursHyperdrive()
      hyperReal = await realHyperdrive()
    })

    it('copies everything in, then out into an empty folder: identical tree and bytes', async () => {
      expect(keys.length).toBeGreaterThanOrEqual(200)
      const { toDrive, toFolder } = await step()
      for (const r of [toDrive, toFolder]) {
        expect(r.count).toEqual({ files: keys.length, add: keys.length, remove: 0, change: 0 })
        expect(r.diffs.map((d) => d.key).sort()).toEqual(keys)
        expect(r.diffs.every((d) => d.op === 'add')).toBe(true)
      }
      expect(toDrive.bytesAdded).toBeGreaterThan(4 * MiB)
      expect(toFolder.bytesAdded).toBe(toDrive.bytesAdded)
      const entry = async (k: string) => (await hyper.entry(k)).value
      expect(await entry('/bin/run.sh')).toMatchObject({ executable: true })
      expect(await entry('/links/relative')).toMatchObject({ linkname: '../a/f1.bin', blob: null })
      expect(await entry('/links/absolute')).toMatchObject({ linkname: '/e/f/f6.bin', blob: null })
      expect((await entry('/a/f1.bin')).blob.byteLength).toBe(MiB)
      expect((await entry('/f0.bin')).blob.byteLength).toBe(0)

      const expected = await tree(src)
      expect(await tree(out)).toEqual(expected)
      expect(await tree(outReal)).toEqual(expected)
      expect(Object.keys(expected as object).length).toBeGreaterThan(keys.length) // folders too
    })

    it('finds nothing to do on a second pass (and the real mirror agrees, equals included)', async () => {
      const { toDrive, toFolder } = await step()
      expect(toDrive.diffs).toEqual([])
      expect(toFolder.diffs).toEqual([])
      const equals = await run(new MirrorDrive(ours, hyper, { includeEquals: true, dryRun: true }))
      expect(equals).toEqual(
        await run(new RealMirrorDrive(real, hyperReal, { includeEquals: true, dryRun: true }))
      )
      expect(equals.diffs.length).toBe(keys.length)
      expect(equals.diffs.every((d) => d.op === 'equal')).toBe(true)
    })

    it('copies exactly the 3 changed files (same size, grown, shrunk)', async () => {
      writeFileSync(join(src, 'a/b/f2.bin'), bytes(((2 * 7919) % 12_000) as number, 999)) // same size
      writeFileSync(join(src, 'e/f5.bin'), bytes(20_000, 5))
      writeFileSync(join(src, 'a/f1.bin'), bytes(MiB - 1000, 2))
      const length = hyper.core.length
      const { toDrive, toFolder } = await step()
      const changed = ['/a/b/f2.bin', '/a/f1.bin', '/e/f5.bin']
      for (const r of [toDrive, toFolder]) {
        expect(r.count).toEqual({ files: keys.length, add: 0, remove: 0, change: 3 })
        expect(r.diffs.map((d) => d.key).sort()).toEqual(changed)
        expect(r.diffs.every((d) => d.op === 'change')).toBe(true)
      }
      expect(toDrive.diffs.find((d) => d.key === '/a/f1.bin')).toEqual({
        op: 'change',
        key: '/a/f1.bin',
        bytesRemoved: MiB,
        bytesAdded: MiB - 1000
      })
      expect(hyper.core.length - length).toBe(3) // one entry written per changed file, nothing else
      expect(await tree(out)).toEqual(await tree(src))
    })

    it('prunes deleted files and links (and the folders they leave empty)', async () => {
      for (const k of ['/h/i/j/f8.bin', '/m/f10.bin', '/links/relative']) await ours.del(k)
      for (const k of keys.filter((key) => key.startsWith('/k/l/'))) await ours.del(k)
      const gone = keys.filter((k) => k.startsWith('/k/l/')).length + 3
      const { toDrive, toFolder } = await step()
      for (const r of [toDrive, toFolder]) {
        expect(r.count).toEqual({ files: keys.length - gone, add: 0, remove: gone, change: 0 })
        expect(r.diffs.every((d) => d.op === 'remove')).toBe(true)
      }
      expect(await hyper.entry('/links/relative')).toBeNull()
      expect(await tree(out)).toEqual(await tree(src))
      expect((await tree(out)) as Record<string, unknown>).not.toHaveProperty('/k')
    })

    it('leaves the destination’s extra files alone when pruning is off', async () => {
      await ours.del('/g/f7.bin')
      const { toDrive } = await step({ prune: false })
      expect(toDrive.diffs).toEqual([])
      expect(await hyper.entry('/g/f7.bin')).not.toBeNull()
      await ours.put('/g/f7.bin', await hyper.get('/g/f7.bin')) // restore for the next steps
    })

    it('changes nothing on a dry run, twice, and reports the same as the real mirror', async () => {
      writeFileSync(join(src, 'a/b/c/d/f4.bin'), 'dry')
      await ours.put('/new/only-in-source.txt', 'new')
      await ours.del('/e/f/f6.bin')
      const length = hyper.core.length
      const before = await tree(out)
      for (let i = 0; i < 2; i++) {
        const { toDrive, toFolder } = await step({ dryRun: true })
        expect(toDrive.diffs.map((d) => `${d.op} ${d.key}`).sort()).toEqual([
          'add /new/only-in-source.txt',
          'change /a/b/c/d/f4.bin',
          'remove /e/f/f6.bin'
        ])
        expect(toDrive.count).toMatchObject({ add: 1, remove: 1, change: 1 })
        expect(toFolder.diffs).toEqual([]) // the drive did not change, so neither does the folder
      }
      expect(hyper.core.length).toBe(length)
      expect(await tree(out)).toEqual(before)
      await step()
      expect(await tree(out)).toEqual(await tree(src))
    })

    it('changes an executable bit: a metadata-only entry into the drive, a rewrite into the folder', async () => {
      chmodSync(join(src, 'bin/run.sh'), 0o644)
      const { toDrive, toFolder } = await step()
      expect(toDrive.diffs).toEqual([{ op: 'change', key: '/bin/run.sh', bytesRemoved: 0, bytesAdded: 0 }])
      const size = 'echo mirrored'.length + '#!/bin/sh\n\n'.length
      expect(toFolder.diffs).toEqual([
        { op: 'change', key: '/bin/run.sh', bytesRemoved: size, bytesAdded: size }
      ])
      expect((await hyper.entry('/bin/run.sh')).value.executable).toBe(false)
      expect(await tree(out)).toEqual(await tree(src))
    })
  }
)
