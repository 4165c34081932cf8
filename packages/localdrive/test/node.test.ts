import { existsSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { mkdir, rm, symlink } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Localdrive } from '../src/node.ts'
import { bytes, collect, defineApiSuite } from './api-suite.ts'
import { cleanupTmp, tmp } from './helpers.ts'

afterAll(cleanupTmp)

defineApiSuite('Node file system', {
  create: async (opts) => new Localdrive(tmp(), opts),
  symlinks: true,
  executables: true
})

const dec = new TextDecoder()
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const closed = (ws: { on(e: 'close', f: () => void): unknown }) =>
  new Promise<void>((resolve) => ws.on('close', () => resolve()))

describe('Node adapter specifics', () => {
  it('resolves a relative root and maps keys to paths', () => {
    const dir = tmp()
    const drive = new Localdrive(relative(process.cwd(), dir))
    expect(drive.root).toBe(dir)
    expect(drive.toPath('/README.md')).toBe(join(dir, 'README.md'))
    expect(drive.toPath('./README.md')).toBe(join(dir, 'README.md'))
    expect(drive.toPath('/examples/more/../a.txt')).toBe(join(dir, 'examples', 'a.txt'))
    expect(drive.toPath('\\examples\\more\\c.txt')).toBe(join(dir, 'examples', 'more', 'c.txt'))
  })

  it('writes executables with mode 0o755 and plain files 0o644 (less the umask)', async () => {
    const drive = new Localdrive(tmp())
    await drive.put('/x.sh', 'x', { executable: true })
    await drive.put('/y.txt', 'y')
    expect(statSync(drive.toPath('/x.sh')).mode & 0o100).toBe(0o100)
    expect(statSync(drive.toPath('/y.txt')).mode & 0o111).toBe(0)
  })

  it('stores absolute links under the root and reads them back as keys', async () => {
    const drive = new Localdrive(tmp())
    await drive.put('/a/target.txt', 'T')
    await drive.symlink('/a/abs.link', '/a/target.txt')
    await drive.symlink('/a/rel.link', 'target.txt')
    expect(readlinkSync(drive.toPath('/a/abs.link'))).toBe(join(drive.root, 'a', 'target.txt'))
    expect(readlinkSync(drive.toPath('/a/rel.link'))).toBe('target.txt')
    expect((await drive.entry('/a/abs.link'))!.value.linkname).toBe('/a/target.txt')
    // as localdrive: a relative target resolves against the link's own key (/a/rel.link/target.txt)
    expect(await drive.get('/a/rel.link', { follow: true })).toBeNull()
    expect(await drive.entry('/a/rel.link', { follow: true })).toBeNull()
    expect(dec.decode((await drive.get('/a/abs.link', { follow: true }))!)).toBe('T')
  })

  it('follows links as followLinks / followExternalLinks say', async () => {
    const outside = tmp()
    writeFileSync(join(outside, 'ext.txt'), 'external')
    const root = tmp()
    writeFileSync(join(root, 'LICENSE'), 'MIT')
    symlinkSync('LICENSE', join(root, 'LICENSE.shortcut'))
    symlinkSync(join(outside, 'ext.txt'), join(root, 'ext.shortcut'))
    symlinkSync(outside, join(root, 'outdir'))
    symlinkSync('/nowhere-at-all', join(root, 'dangling'))

    const plain = new Localdrive(root)
    expect((await plain.entry('/LICENSE.shortcut'))!.value.linkname).toBe('LICENSE')
    expect((await plain.entry('/ext.shortcut'))!.value.linkname).toBe(join(outside, 'ext.txt'))
    expect((await plain.entry('/dangling'))!.value.linkname).toBe('/nowhere-at-all')
    expect((await collect(plain.list())).map((e) => e.key).sort()).toEqual([
      '/LICENSE',
      '/LICENSE.shortcut',
      '/dangling',
      '/ext.shortcut',
      '/outdir'
    ])

    const all = new Localdrive(root, { followLinks: true })
    expect((await all.entry('/LICENSE.shortcut'))!.value).toMatchObject({
      linkname: null,
      blob: { byteLength: 3 }
    })
    expect(await all.entry('/dangling')).toBeNull()
    expect((await collect(all.list())).map((e) => e.key).sort()).toEqual([
      '/LICENSE',
      '/LICENSE.shortcut',
      '/ext.shortcut',
      '/outdir/ext.txt'
    ])

    const external = new Localdrive(root, { followExternalLinks: true })
    expect((await external.entry('/LICENSE.shortcut'))!.value.linkname).toBe('LICENSE')
    expect((await external.entry('/ext.shortcut'))!.value.blob!.byteLength).toBe(8)
    expect(await external.entry('/dangling')).toBeNull()
    expect(dec.decode((await external.get('/outdir/ext.txt'))!)).toBe('external')
  })

  it('writes live without atomic: readers see the new bytes before end()', async () => {
    const drive = new Localdrive(tmp())
    await drive.put('/new-file.txt', 'hello world')
    const ws = drive.createWriteStream('/new-file.txt')
    ws.write(bytes('hello'))
    await sleep(100)
    expect(dec.decode((await drive.get('/new-file.txt'))!)).toBe('hello')
    ws.end()
    await closed(ws)
    expect(existsSync(join(drive.root, 'new-file.txt.0.localdrive.tmp'))).toBe(false)
  })

  it('writes atomically with atomic: a temp file renamed on end, removed on destroy', async () => {
    const drive = new Localdrive(tmp(), { atomic: true })
    await drive.put('/new-file.txt', 'hello world')
    const ws = drive.createWriteStream('/new-file.txt')
    ws.write(bytes('hello'))
    await sleep(100)
    expect(existsSync(join(drive.root, 'new-file.txt.0.localdrive.tmp'))).toBe(true)
    expect(dec.decode((await drive.get('/new-file.txt'))!)).toBe('hello world')
    ws.end()
    await closed(ws)
    expect(existsSync(join(drive.root, 'new-file.txt.0.localdrive.tmp'))).toBe(false)
    expect(dec.decode((await drive.get('/new-file.txt'))!)).toBe('hello')

    const broken = drive.createWriteStream('/new-file.txt')
    broken.write(bytes('partial'))
    await sleep(50)
    broken.destroy()
    await closed(broken)
    expect(existsSync(join(drive.root, 'new-file.txt.0.localdrive.tmp'))).toBe(false)
    expect(dec.decode((await drive.get('/new-file.txt'))!)).toBe('hello')
  })

  it('gives concurrent atomic writers their own temp files; the last to end wins', async () => {
    const drive = new Localdrive(tmp(), { atomic: true })
    await drive.put('/f.txt', 'hello world')
    const [w1, w2, w3] = [1, 2, 3].map(() => drive.createWriteStream('/f.txt'))
    w1!.write('1')
    w2!.write('2')
    w3!.write('3')
    await sleep(100)
    for (const n of [0, 1, 2]) expect(existsSync(join(drive.root, `f.txt.${n}.localdrive.tmp`))).toBe(true)
    expect(dec.decode((await drive.get('/f.txt'))!)).toBe('hello world')
    w2!.end()
    await closed(w2!)
    expect(dec.decode((await drive.get('/f.txt'))!)).toBe('2')
    w1!.end()
    await closed(w1!)
    w3!.end()
    await closed(w3!)
    expect(dec.decode((await drive.get('/f.txt'))!)).toBe('3')
    expect((await collect(drive.readdir())).sort()).toEqual(['f.txt'])
  })

  it('yields nothing when the root is gone, and reads "not a file" for a folder', async () => {
    const drive = new Localdrive(tmp())
    await drive.put('/a/b.txt', 'x')
    await expect(collect(drive.createReadStream('/a'))).rejects.toThrow(/is not a file|EISDIR/)
    await rm(drive.root, { recursive: true })
    expect(await collect(drive.list())).toEqual([])
    expect(await collect(drive.readdir())).toEqual([])
  })

  it('does not descend into a link to a folder unless following', async () => {
    const root = tmp()
    await mkdir(join(root, 'real'))
    writeFileSync(join(root, 'real', 'f.txt'), 'f')
    await symlink(join(root, 'real'), join(root, 'loop'))
    const drive = new Localdrive(root)
    expect((await collect(drive.list())).map((e) => e.key).sort()).toEqual(['/loop', '/real/f.txt'])
    expect((await collect(drive.readdir())).sort()).toEqual(['loop', 'real'])
  })
})
