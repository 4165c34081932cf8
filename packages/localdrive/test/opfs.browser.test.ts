/**
 * The drive on the origin-private file system in real Chromium: the same API suite as Node, plus
 * what maps differently (always-atomic writes, no links, no executables, error codes).
 */
import { afterAll, describe, expect, it } from 'vitest'
import { DirectoryHandleFileSystem, FileSystemError, Localdrive, opfsDirectory } from '../src/browser.ts'
import { bytes, collect, defineApiSuite } from './api-suite.ts'

let n = 0
const fresh = () => opfsDirectory(`/localdrive-tests/${Date.now()}-${n++}`)

afterAll(async () => {
  await (await navigator.storage.getDirectory()).removeEntry('localdrive-tests', { recursive: true })
})

defineApiSuite('OPFS (Chromium)', {
  create: async (opts) => new Localdrive(await fresh(), opts),
  symlinks: false,
  executables: false
})

const dec = new TextDecoder()
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('OPFS adapter specifics', () => {
  it('names its root after the handle and maps keys to themselves', async () => {
    const dir = await fresh()
    const drive = new Localdrive(dir)
    expect(drive.root).toBe(dir.name)
    expect(drive.toPath('a\\b/../c')).toBe('/a/c')
    expect(drive.fs).toBeInstanceOf(DirectoryHandleFileSystem)
    expect([drive.fs.supportsSymlinks, drive.fs.supportsExecutable]).toEqual([false, false])
    expect((await opfsDirectory('/')).name).toBe('')
  })

  it('stores files as nested handles, and removes folders a delete leaves empty', async () => {
    const dir = await fresh()
    const drive = new Localdrive(dir)
    await drive.put('/x/y/z.txt', 'deep')
    const y = await (await dir.getDirectoryHandle('x')).getDirectoryHandle('y')
    const file = await (await y.getFileHandle('z.txt')).getFile()
    expect(await file.text()).toBe('deep')
    expect((await drive.entry('/x/y/z.txt'))!.mtime).toBe(file.lastModified)
    await drive.del('/x/y/z.txt')
    await expect(dir.getDirectoryHandle('x')).rejects.toMatchObject({ name: 'NotFoundError' })
  })

  it('writes atomically even without `atomic`: readers see the old file until end()', async () => {
    const drive = new Localdrive(await fresh())
    await drive.put('/f.txt', 'hello world')
    const ws = drive.createWriteStream('/f.txt')
    ws.write(bytes('hello'))
    await sleep(100)
    expect(dec.decode((await drive.get('/f.txt'))!)).toBe('hello world')
    await new Promise<void>((resolve) => ws.end().on('close', () => resolve()))
    expect(dec.decode((await drive.get('/f.txt'))!)).toBe('hello')

    const broken = drive.createWriteStream('/f.txt')
    broken.write(bytes('partial'))
    await sleep(50)
    broken.destroy()
    await new Promise<void>((resolve) => broken.on('close', () => resolve()))
    expect(dec.decode((await drive.get('/f.txt'))!)).toBe('hello')
    expect((await collect(drive.readdir())).sort()).toEqual(['f.txt'])
  })

  it('raises Node’s codes as FileSystemError: ENOENT, EISDIR, ENOTDIR', async () => {
    const drive = new Localdrive(await fresh())
    await drive.put('/file.txt', 'x')
    await drive.put('/dir/inner.txt', 'y')
    const codeOf = async (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: unknown) => (e instanceof FileSystemError ? e.code : `not typed: ${String(e)}`)
      )
    expect(await codeOf(collect(drive.createReadStream('/nope.txt')))).toBe('ENOENT')
    expect(await codeOf(collect(drive.createReadStream('/dir')))).toBe('EISDIR')
    expect(await codeOf(drive.put('/file.txt/child.txt', 'z'))).toBe('ENOTDIR')
    expect(await codeOf(drive.del('/dir'))).toBe('EISDIR')
    expect(await codeOf(drive.put('/', 'root'))).toBe('EISDIR')
    expect(await drive.exists('/dir/inner.txt')).toBe(true) // a refused delete removes nothing
  })

  it('lists what other code put in the folder, and ignores followLinks options', async () => {
    const dir = await fresh()
    const sub = await dir.getDirectoryHandle('made-elsewhere', { create: true })
    const w = await (await sub.getFileHandle('note.md', { create: true })).createWritable()
    await w.write('# outside')
    await w.close()
    await dir.getDirectoryHandle('empty', { create: true })
    for (const opts of [{}, { followLinks: true }, { followExternalLinks: true }]) {
      const drive = new Localdrive(dir, opts)
      expect((await collect(drive.list())).map((e) => e.key)).toEqual(['/made-elsewhere/note.md'])
      expect((await collect(drive.readdir())).sort()).toEqual(['made-elsewhere'])
      expect(dec.decode((await drive.get('/made-elsewhere/note.md'))!)).toBe('# outside')
    }
  })
})
