/**
 * Our localdrive against the real localdrive 2.2.1: on the same folder they must report the same
 * entries (mtime and block counts included), listings (in the same order), names and bytes; and
 * the same operations applied to two copies must leave identical trees.
 */
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Localdrive } from '../src/node.ts'
import { collect, pseudoRandom } from './api-suite.ts'
import { cleanupTmp, type Real, RealLocaldrive, tmp, walk } from './helpers.ts'

afterAll(cleanupTmp)

/** A folder like localdrive's own test fixture, plus nesting, a big file and odd names. */
function fixture(outside = tmp()): string {
  const root = tmp()
  const file = (name: string, content: string | Uint8Array) => writeFileSync(join(root, name), content)
  const dir = (name: string) => mkdirSync(join(root, name), { recursive: true })
  file('README.md', '# example')
  file('script.sh', '#!/bin/bash')
  file('LICENSE', 'MIT')
  file('LICENSE-V2', 'ISC')
  file('empty.txt', '')
  dir('examples/more')
  file('examples/a.txt', '1st')
  file('examples/b.txt', '2th')
  file('examples/more/c.txt', '3rd')
  file('examples/more/d.txt', '4th')
  dir('solo')
  file('solo/one.txt', '5th')
  dir('empty-folder/inner')
  dir('deep/er/est')
  file('deep/er/est/big.bin', pseudoRandom(300_000, 3))
  file('space name.txt', 'spaces')
  file('ünïcode.txt', 'utf-8 name')
  chmodSync(join(root, 'script.sh'), 0o755)
  symlinkSync('LICENSE', join(root, 'LICENSE.shortcut'))
  symlinkSync('/external', join(root, 'external.shortcut'))
  symlinkSync(join(root, 'examples'), join(root, 'examples.shortcut'))
  symlinkSync(outside, join(root, 'outside.shortcut'))
  return root
}

/** An entry as plain data (a real entry holds nothing Buffer-like, but be explicit). */
const plain = (e: unknown) => JSON.parse(JSON.stringify(e))
const bytesOf = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString('base64'))

async function settle<T>(fn: () => Promise<T>): Promise<{ ok: T } | { error: string }> {
  try {
    return { ok: await fn() }
  } catch (err) {
    return { error: (err as { code?: string }).code ?? 'Error' }
  }
}

const KEYS = [
  '/README.md',
  'README.md',
  '/script.sh',
  '/LICENSE',
  '/LICENSE.shortcut',
  '/external.shortcut',
  '/examples.shortcut',
  '/examples.shortcut/a.txt',
  '/outside.shortcut',
  '/empty.txt',
  '/examples',
  '/examples/a.txt',
  '\\examples\\more\\c.txt',
  '/examples/more/../b.txt',
  '/empty-folder',
  '/deep/er/est/big.bin',
  '/space name.txt',
  '/ünïcode.txt',
  '/missing.txt',
  '/missing/deeper.txt',
  '/README.md/child'
]

const OPTION_SETS = [{}, { followLinks: true }, { followExternalLinks: true }, { metadata: new Map() }]

describe('same folder: ours and the real localdrive report the same', () => {
  const root = fixture()

  for (const opts of OPTION_SETS) {
    describe(`options ${JSON.stringify(opts)}`, () => {
      const ours = new Localdrive(root, opts)
      const real: Real = new RealLocaldrive(root, opts)

      it('root, supportsMetadata and toPath', () => {
        expect(ours.root).toBe(real.root)
        expect(ours.supportsMetadata).toBe(real.supportsMetadata)
        for (const k of KEYS) expect(ours.toPath(k)).toBe(real.toPath(k))
      })

      it('entries, with and without follow', async () => {
        for (const k of KEYS) {
          for (const o of [undefined, { follow: true }]) {
            const a = await settle(() => ours.entry(k, o))
            const b = await settle(() => real.entry(k, o))
            expect({ k, o, r: plain(a) }).toEqual({ k, o, r: plain(b) })
          }
        }
      })

      it('bytes from get, with and without follow, and exists', async () => {
        for (const k of KEYS) {
          for (const o of [undefined, { follow: true }]) {
            const a = await settle(async () => bytesOf(await ours.get(k, o)))
            const b = await settle(async () => bytesOf(await real.get(k, o)))
            expect({ k, o, r: a }).toEqual({ k, o, r: b })
          }
          expect(await ours.exists(k)).toBe(await real.exists(k))
        }
      })

      it('recursive listings in the same order, with ignore', async () => {
        for (const folder of ['/', '/examples', 'examples/more', '/deep', '/missing', '/README.md']) {
          expect(plain(await collect(ours.list(folder)))).toEqual(plain(await collect(real.list(folder))))
        }
        expect(plain(await collect(ours.list()))).toEqual(plain(await collect(real.list())))
        for (const ignore of [
          'examples',
          ['/solo/one.txt', 'deep/er'],
          (k: string) => k.includes('LICENSE')
        ]) {
          expect(plain(await collect(ours.list({ ignore })))).toEqual(
            plain(await collect(real.list({ ignore })))
          )
          expect(plain(await collect(ours.list('/', { ignore })))).toEqual(
            plain(await collect(real.list('/', { ignore })))
          )
        }
      })

      it('readdir names in the same order', async () => {
        for (const folder of [undefined, '/', '/examples', '/empty-folder', '/deep/er', '/nope']) {
          expect(await collect(ours.readdir(folder))).toEqual(await collect(real.readdir(folder)))
        }
      })

      it('read stream ranges', async () => {
        const ranges = [
          {},
          { start: 0, end: 0 },
          { start: 1 },
          { end: 1 },
          { length: 2 },
          { start: 1, length: 100_000 },
          { start: 70_000, end: 140_000 },
          { start: 299_999 },
          { start: 400_000 }
        ]
        for (const k of ['/LICENSE', '/deep/er/est/big.bin', '/empty.txt', '/LICENSE.shortcut']) {
          for (const r of ranges) {
            const a = Buffer.concat(await collect(ours.createReadStream(k, r)))
            const b = Buffer.concat(await collect(real.createReadStream(k, r)))
            expect({ k, r, bytes: a.toString('base64') }).toEqual({ k, r, bytes: b.toString('base64') })
          }
        }
      })
    })
  }
})

describe('same operations on two copies leave identical trees', () => {
  it('put, executables, metadata, symlink, del with folder gc, overwrite', async () => {
    const outside = tmp()
    const a = fixture(outside)
    const b = fixture(outside)
    const metaA = new Map()
    const metaB = new Map()
    const ours = new Localdrive(a, { metadata: metaA })
    const real: Real = new RealLocaldrive(b, { metadata: metaB })
    const steps: Array<(d: Real) => Promise<unknown>> = [
      (d) => d.put('/new/deep/file.txt', Buffer.from('new')),
      (d) => d.put('/tool', Buffer.from('#!/bin/sh\necho hi'), { executable: true, metadata: { v: 1 } }),
      (d) => d.put('/script.sh', Buffer.from('# no longer executable')),
      (d) => d.put('/zero.txt', Buffer.from('z'), { metadata: 'kept' }),
      (d) => d.put('/zero.txt', Buffer.from('z'), { metadata: 0 }), // falsy: deleted, as localdrive
      (d) => d.symlink('/examples/link-abs', '/solo/one.txt'),
      (d) => d.symlink('/examples/link-rel', 'more/c.txt'),
      (d) => d.symlink('/LICENSE-V2', '/LICENSE'), // replaces a file with a link
      (d) => d.del('/examples/more/c.txt'),
      (d) => d.del('/examples/more/d.txt'), // leaves examples/more empty: removed
      (d) => d.del('/solo/one.txt'),
      (d) => d.del('/does/not/exist'),
      (d) => d.put('/deep/er/est/big.bin', Buffer.from(pseudoRandom(70_000, 9))),
      (d) => d.put('/empty.txt', Buffer.from('not empty any more'))
    ]
    for (const step of steps) {
      const ra = await settle(() => step(ours))
      const rb = await settle(() => step(real))
      expect(ra).toEqual(rb)
    }
    const [ta, tb] = [await walk(a), await walk(b)]
    // absolute links point into their own root: compare them relative to it
    const rel = (t: Awaited<ReturnType<typeof walk>>) =>
      JSON.parse(JSON.stringify(t).replaceAll(a, '<root>').replaceAll(b, '<root>'))
    expect(rel(ta)).toEqual(rel(tb))
    expect(ta['/examples/more']).toBeUndefined()
    expect(ta['/solo']).toBeUndefined()
    expect(ta['/tool']).toMatchObject({ type: 'file', executable: true })
    expect([...metaA]).toEqual([...metaB])
    const strip = (es: Real[]) => plain(es.map(({ mtime: _m, ...e }) => e))
    expect(strip(await collect(ours.list()))).toEqual(strip(await collect(real.list())))
  })

  it('rejects the same folder writes, with the same codes', async () => {
    const ours = new Localdrive(fixture())
    const real: Real = new RealLocaldrive(fixture())
    for (const step of [
      (d: Real) => d.put('/examples', Buffer.from('x')),
      (d: Real) => d.del('/examples'),
      (d: Real) => d.put('/README.md/child.txt', Buffer.from('x'))
    ]) {
      expect(await settle(() => step(ours))).toEqual(await settle(() => step(real)))
    }
  })
})
