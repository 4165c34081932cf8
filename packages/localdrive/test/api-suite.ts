/**
 * The API conformance suite every adapter passes (Node's file system in Node, OPFS in Chromium):
 * localdrive 2's behaviour, asserted through the drive only, so it runs anywhere. Capabilities an
 * adapter lacks (symlinks, executables) are asserted to be absent rather than skipped.
 */
import { describe, expect, it } from 'vitest'
import {
  InvalidPathError,
  type Localdrive,
  type LocalEntry,
  NotSupportedError,
  PathTraversalError,
  SymlinkLoopError
} from '../src/index.ts'

/** How the suite gets a fresh, empty drive. */
export interface SuiteTarget {
  /** A new empty drive (with `opts`) on its own folder. */
  create(opts?: ConstructorParameters<typeof Localdrive>[1]): Promise<Localdrive>
  /** Whether symbolic links work. */
  symlinks: boolean
  /** Whether executable bits are kept. */
  executables: boolean
}

const enc = new TextEncoder()
const dec = new TextDecoder()

/** The bytes of `s`. */
export const bytes = (s: string): Uint8Array => enc.encode(s)

/** Everything an async iterable yields. */
export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

/** A read stream's bytes as text. */
export async function streamText(it: AsyncIterable<Uint8Array>): Promise<string> {
  return (await collect(it)).map((c) => dec.decode(c)).join('')
}

/** Deterministic pseudo-random bytes. */
export function pseudoRandom(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length)
  let x = seed >>> 0 || 1
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

/** Where `a` and `b` first differ (-1 if equal), with their lengths: cheap to compare in `expect`. */
export function byteDiff(a: Uint8Array | null, b: Uint8Array): { length: number; firstDiff: number } {
  if (a === null) return { length: -1, firstDiff: 0 }
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return { length: a.length, firstDiff: i }
  return { length: a.length, firstDiff: a.length === b.length ? -1 : n }
}

/** Asserts `actual` holds exactly the bytes of `expected`. */
export function expectBytes(actual: Uint8Array | null, expected: Uint8Array): void {
  expect(byteDiff(actual, expected)).toEqual({ length: expected.length, firstDiff: -1 })
}

/** The fixture of localdrive's own tests, written through the drive. */
export async function fill(drive: Localdrive, executables: boolean): Promise<void> {
  await drive.put('/README.md', '# example')
  await drive.put('/script.sh', '#!/bin/bash', { executable: executables })
  await drive.put('/LICENSE', 'MIT')
  await drive.put('/LICENSE-V2', 'ISC')
  await drive.put('/empty.txt', new Uint8Array(0))
  await drive.put('/examples/a.txt', '1st')
  await drive.put('/examples/b.txt', '2th')
  await drive.put('/examples/more/c.txt', '3rd')
  await drive.put('/examples/more/d.txt', '4th')
  await drive.put('/solo/one.txt', '5th')
}

const FIXTURE_KEYS = [
  '/LICENSE',
  '/LICENSE-V2',
  '/README.md',
  '/empty.txt',
  '/examples/a.txt',
  '/examples/b.txt',
  '/examples/more/c.txt',
  '/examples/more/d.txt',
  '/script.sh',
  '/solo/one.txt'
]

const keysOf = (entries: LocalEntry[]) => entries.map((e) => e.key).sort()
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Registers the suite under `name`. */
export function defineApiSuite(name: string, target: SuiteTarget): void {
  const filled = async (opts?: Parameters<SuiteTarget['create']>[0]) => {
    const drive = await target.create(opts)
    await fill(drive, target.executables)
    return drive
  }

  describe(`localdrive API (${name})`, () => {
    it('has the no-op lifecycle of localdrive', async () => {
      const drive = await target.create()
      await expect(drive.ready()).resolves.toBeUndefined()
      await expect(drive.flush()).resolves.toBeUndefined()
      await expect(drive.close()).resolves.toBeUndefined()
      expect(drive.batch()).toBe(drive)
      expect(drive.checkout()).toBe(drive)
      expect(drive.supportsMetadata).toBe(false)
      expect((await target.create({ metadata: new Map() })).supportsMetadata).toBe(true)
    })

    it('puts, gets and describes files as hyperdrive entries', async () => {
      const drive = await filled()
      const entry = await drive.entry('/README.md')
      expect(entry).toEqual({
        key: '/README.md',
        value: {
          executable: false,
          linkname: null,
          blob: { byteOffset: 0, blockOffset: 0, blockLength: 8, byteLength: 9 },
          metadata: null
        },
        mtime: entry!.mtime
      })
      expect(typeof entry!.mtime).toBe('number')
      expect(dec.decode((await drive.get('/README.md'))!)).toBe('# example')
      expect(dec.decode((await drive.get('/examples/more/c.txt'))!)).toBe('3rd')
      expect(await drive.get('/empty.txt')).toEqual(new Uint8Array(0))
      expect((await drive.entry('/empty.txt'))!.value.blob!.byteLength).toBe(0)
      expect(await drive.exists('/examples/a.txt')).toBe(true)
      expect(await drive.exists('/nope.txt')).toBe(false)
    })

    it('returns null for missing keys and for folders', async () => {
      const drive = await filled()
      expect(await drive.entry('/not-exists.txt')).toBeNull()
      expect(await drive.entry('/not/exists.txt')).toBeNull()
      expect(await drive.get('/not/exists.txt')).toBeNull()
      expect(await drive.entry('/examples')).toBeNull()
      expect(await drive.get('/examples/more')).toBeNull()
      expect(await drive.entry('/')).toBeNull()
      expect(await drive.entry('/README.md/child')).toBeNull()
    })

    it('normalises keys as localdrive: relative, `..`, backslashes', async () => {
      const drive = await filled()
      expect((await drive.entry('README.md'))!.key).toBe('/README.md')
      expect((await drive.entry('/examples/more/../a.txt'))!.key).toBe('/examples/a.txt')
      expect((await drive.entry('\\examples\\more\\c.txt'))!.key).toBe('/examples/more/c.txt')
      await drive.put('/examples/more/../f.txt', 'f')
      await drive.put('\\examples\\more\\h.txt', 'h')
      expect(dec.decode((await drive.get('/examples/f.txt'))!)).toBe('f')
      expect(dec.decode((await drive.get('/examples/more/h.txt'))!)).toBe('h')
      await drive.del('examples/./f.txt')
      expect(await drive.entry('/examples/f.txt')).toBeNull()
    })

    it('refuses `..` above the root and NUL with typed errors', async () => {
      const drive = await filled()
      await expect(drive.entry('/../etc/passwd')).rejects.toBeInstanceOf(PathTraversalError)
      await expect(drive.get('a/../../x')).rejects.toMatchObject({ code: 'PATH_TRAVERSAL' })
      await expect(drive.put('/../x', 'no')).rejects.toBeInstanceOf(PathTraversalError)
      await expect(drive.del('..')).rejects.toBeInstanceOf(PathTraversalError)
      expect(() => drive.createReadStream('/../x')).toThrow(PathTraversalError)
      expect(() => drive.createWriteStream('/a/../../x')).toThrow(PathTraversalError)
      expect(() => drive.list('/../')).toThrow(PathTraversalError)
      await expect(drive.entry('/a\0b')).rejects.toBeInstanceOf(InvalidPathError)
      await expect(drive.put('/x\0.txt', 'no')).rejects.toMatchObject({ code: 'INVALID_PATH' })
      await expect(collect(drive.readdir('/\0'))).rejects.toBeInstanceOf(InvalidPathError)
      expect(keysOf(await collect(drive.list()))).toEqual(FIXTURE_KEYS)
    })

    it('replaces files, and fails to write over a folder with EISDIR', async () => {
      const drive = await filled()
      await drive.put('/LICENSE', 'Apache-2.0')
      expect(dec.decode((await drive.get('/LICENSE'))!)).toBe('Apache-2.0')
      await drive.put('/LICENSE', 'ISC')
      expect(dec.decode((await drive.get('/LICENSE'))!)).toBe('ISC')
      await expect(drive.put('/examples', 'text')).rejects.toMatchObject({ code: 'EISDIR' })
      await drive.put('/new/folder/files/name.txt', 'deep')
      expect(dec.decode((await drive.get('/new/folder/files/name.txt'))!)).toBe('deep')
    })

    it('deletes files and the folders they leave empty, never the root', async () => {
      const drive = await filled()
      await drive.del('/LICENSE')
      expect(await drive.entry('/LICENSE')).toBeNull()
      await drive.del('/this-does-not-exist.txt')
      const err = await drive.del('/examples').catch((e: { code: string }) => e)
      expect(['EISDIR', 'EPERM']).toContain((err as { code: string }).code)
      await drive.del('/examples/more/c.txt')
      expect(await collect(drive.readdir('/examples'))).toContain('more')
      await drive.del('/examples/more/d.txt')
      expect((await collect(drive.readdir('/examples'))).sort()).toEqual(['a.txt', 'b.txt'])
      await drive.del('/examples/a.txt')
      await drive.del('/examples/b.txt')
      expect(await collect(drive.readdir('/'))).not.toContain('examples')
      await drive.put('/examples/again.txt', 'x') // the folder was removed, and comes back
      expect(await drive.exists('/examples/again.txt')).toBe(true)
      const empty = await target.create()
      await empty.put('/only.txt', '')
      await empty.del('/only.txt')
      await empty.put('/again.txt', 'root still there')
      expect(await empty.exists('/again.txt')).toBe(true)
    })

    it('keeps a folder alive when a put races a delete in it', async () => {
      const drive = await filled()
      await Promise.all([drive.del('/solo/one.txt'), drive.put('/solo/two.txt', 'new file')])
      expect(dec.decode((await drive.get('/solo/two.txt'))!)).toBe('new file')
      expect(await drive.exists('/solo/one.txt')).toBe(false)
    })

    it('lists recursively, by folder, with ignore, and shallowly', async () => {
      const drive = await filled()
      expect(keysOf(await collect(drive.list('/')))).toEqual(FIXTURE_KEYS)
      expect(keysOf(await collect(drive.list()))).toEqual(FIXTURE_KEYS)
      expect(keysOf(await collect(drive.list('/examples')))).toEqual([
        '/examples/a.txt',
        '/examples/b.txt',
        '/examples/more/c.txt',
        '/examples/more/d.txt'
      ])
      expect(keysOf(await collect(drive.list('examples', { recursive: false })))).toEqual([
        '/examples/a.txt',
        '/examples/b.txt'
      ])
      expect(keysOf(await collect(drive.list({ ignore: ['examples', '/solo/one.txt'] })))).toEqual(
        FIXTURE_KEYS.filter((k) => !k.startsWith('/examples') && k !== '/solo/one.txt')
      )
      expect(keysOf(await collect(drive.list({ ignore: 'examples/more/c.txt' })))).not.toContain(
        '/examples/more/c.txt'
      )
      // an ignore function sees folders too; unignoring inside an ignored folder keeps its path
      const ignore = (key: string) =>
        key.startsWith('/examples/') && key !== '/examples/more' && key !== '/examples/more/d.txt'
      expect(keysOf(await collect(drive.list('/', { ignore })))).toEqual(
        FIXTURE_KEYS.filter((k) => !k.startsWith('/examples/') || k === '/examples/more/d.txt')
      )
      expect(await collect(drive.list('/missing'))).toEqual([])
      expect(await collect(drive.list('/README.md'))).toEqual([])
      for (const e of await collect(drive.list())) {
        expect(e).toEqual(await drive.entry(e.key))
      }
    })

    it('reads a folder’s names, skipping folders without files', async () => {
      const drive = await target.create()
      for (const k of ['/file1.txt', '/file2.txt', '/folder/file3.txt', '/folder/file4.txt']) {
        await drive.put(k, 'hi')
      }
      await drive.put('/folder/sub/file5.txt', 'hi')
      await drive.put('/folder/sub/sub2/file6.txt', 'hi')
      await drive.put('/hollow/tmp.txt', 'hi')
      await drive.put('/hollow/inner/x.txt', 'hi')
      expect((await collect(drive.readdir())).sort()).toEqual(['file1.txt', 'file2.txt', 'folder', 'hollow'])
      expect((await collect(drive.readdir('/folder'))).sort()).toEqual(['file3.txt', 'file4.txt', 'sub'])
      await drive.del('/hollow/tmp.txt')
      expect((await collect(drive.readdir('/hollow'))).sort()).toEqual(['inner'])
      expect(await collect(drive.readdir('/nothing-here'))).toEqual([])
    })

    it('reads ranges: start and end inclusive, length over end', async () => {
      const drive = await filled()
      const range = (opts: object) => streamText(drive.createReadStream('/LICENSE', opts))
      expect(await streamText(drive.createReadStream('/LICENSE'))).toBe('MIT')
      expect(await range({ start: 0, end: 0 })).toBe('M')
      expect(await range({ start: 1, end: 1 })).toBe('I')
      expect(await range({ start: 1 })).toBe('IT')
      expect(await range({ end: 1 })).toBe('MI')
      expect(await range({ length: 1 })).toBe('M')
      expect(await range({ length: 2 })).toBe('MI')
      expect(await range({ start: 1, length: 2 })).toBe('IT')
      expect(await range({ start: 2, length: 100 })).toBe('T')
      expect(await range({ start: 10 })).toBe('')
      await expect(collect(drive.createReadStream('/missing.txt'))).rejects.toMatchObject({ code: 'ENOENT' })
    })

    it('streams large files in both directions, with back-pressure', async () => {
      const drive = await target.create()
      const data = pseudoRandom(1024 * 1024 + 17, 7)
      const ws = drive.createWriteStream('/big/file.bin')
      const events: string[] = []
      ws.on('finish', () => events.push('finish'))
      const closed = new Promise<void>((resolve) => ws.on('close', () => resolve()))
      let drains = 0
      for (let i = 0; i < data.length; i += 100_000) {
        if (!ws.write(data.subarray(i, i + 100_000))) {
          await new Promise<void>((resolve) => ws.once('drain', () => resolve()))
          drains++
        }
      }
      ws.end()
      await closed
      expect(events).toEqual(['finish'])
      expect(drains).toBeGreaterThan(0)
      expect(ws.write(new Uint8Array(1))).toBe(false) // ended
      expectBytes(await drive.get('/big/file.bin'), data)
      const chunks = await collect(drive.createReadStream('/big/file.bin'))
      expect(chunks.length).toBe(Math.ceil(data.length / 65536))
      expect(Math.max(...chunks.map((c) => c.byteLength))).toBe(65536)
      const mid = await collect(drive.createReadStream('/big/file.bin', { start: 70_000, end: 200_000 }))
      const midBytes = new Uint8Array(mid.reduce((n, c) => n + c.byteLength, 0))
      let o = 0
      for (const c of mid) {
        midBytes.set(c, o)
        o += c.byteLength
      }
      expectBytes(midBytes, data.subarray(70_000, 200_001))
    })

    it('creates an empty file on end() alone, and reports open errors as `error`', async () => {
      const drive = await filled()
      const ws = drive.createWriteStream('/nothing.txt')
      await new Promise<void>((resolve) => ws.end().on('close', () => resolve()))
      expect(await drive.get('/nothing.txt')).toEqual(new Uint8Array(0))
      const bad = drive.createWriteStream('/examples')
      const seen: string[] = []
      const done = new Promise<void>((resolve) => {
        bad.on('error', (err) => seen.push(`error:${(err as { code?: string }).code}`))
        bad.on('finish', () => seen.push('finish'))
        bad.on('close', () => resolve())
      })
      bad.write('x')
      bad.end()
      await done
      expect(seen).toEqual(['error:EISDIR'])
    })

    it('accepts entries where keys go, as localdrive', async () => {
      const drive = await filled()
      const entry = (await drive.entry('/README.md'))!
      expect(await drive.entry(entry)).toEqual(entry)
      expect(await drive.get(entry)).toEqual(await drive.get('/README.md'))
      expect(await streamText(drive.createReadStream(entry))).toBe('# example')
    })

    it('orders entries by mtime with compare()', async () => {
      const drive = await target.create()
      await drive.put('/file.txt', 'hi')
      const a = (await drive.entry('/file.txt'))!
      await sleep(50)
      await drive.put('/file.txt', 'hi')
      const b = (await drive.entry('/file.txt'))!
      expect(drive.compare(a, b)).toBe(-1)
      expect(drive.compare(b, a)).toBe(1)
      expect(drive.compare(a, a)).toBe(0)
    })

    it('keeps metadata through hooks or a Map, deleting it with the file', async () => {
      const meta = new Map<string, unknown>()
      const drive = await target.create({ metadata: meta })
      await drive.put('/LICENSE', 'MIT', { metadata: 'Typical license' })
      expect((await drive.entry('/LICENSE'))!.value.metadata).toBe('Typical license')
      expect(meta.get('/LICENSE')).toBe('Typical license')
      await drive.put('/LICENSE', 'MIT') // metadata null: deleted
      expect(meta.has('/LICENSE')).toBe(false)
      expect((await drive.entry('/LICENSE'))!.value.metadata).toBeNull()
      const ws = drive.createWriteStream('/A-NEW-LICENSE', { metadata: [1, 2, 3] })
      await new Promise<void>((resolve) => ws.end('ISC').on('close', () => resolve()))
      expect((await drive.entry('/A-NEW-LICENSE'))!.value.metadata).toEqual([1, 2, 3])
      await drive.del('/A-NEW-LICENSE')
      expect(meta.has('/A-NEW-LICENSE')).toBe(false)

      const calls: string[] = []
      const hooked = await target.create({
        metadata: {
          get: (k) => {
            calls.push(`get ${k}`)
            return k === '/LICENSE' ? 'custom' : null
          },
          put: (k, v) => calls.push(`put ${k} ${String(v)}`),
          del: (k) => calls.push(`del ${k}`)
        }
      })
      await hooked.put('/LICENSE', 'MIT', { metadata: 1337 })
      await hooked.put('/README.md', 'x')
      expect((await hooked.entry('/LICENSE'))!.value.metadata).toBe('custom')
      await hooked.del('/README.md')
      await hooked.del('/missing')
      expect(calls).toEqual(['put /LICENSE 1337', 'del /README.md', 'get /LICENSE', 'del /README.md'])
    })

    if (target.executables) {
      it('keeps executable bits, and clears them when rewritten without', async () => {
        const drive = await filled()
        expect((await drive.entry('/script.sh'))!.value.executable).toBe(true)
        await drive.put('/script.sh', '# replaced')
        expect((await drive.entry('/script.sh'))!.value.executable).toBe(false)
        await drive.put('/run', '#!/bin/sh', { executable: true })
        expect((await drive.entry('/run'))!.value).toEqual({
          executable: true,
          linkname: null,
          blob: { byteOffset: 0, blockOffset: 0, blockLength: 8, byteLength: 9 },
          metadata: null
        })
      })
    } else {
      it('drops executable bits (no modes here)', async () => {
        const drive = await filled()
        await drive.put('/run', '#!/bin/sh', { executable: true })
        expect((await drive.entry('/run'))!.value.executable).toBe(false)
        expect(dec.decode((await drive.get('/run'))!)).toBe('#!/bin/sh')
      })
    }

    if (target.symlinks) {
      it('makes links, replaces files with them, and follows them on request', async () => {
        const drive = await filled()
        await drive.symlink('/README.shortcut', '/README.md')
        const entry = (await drive.entry('/README.shortcut'))!
        expect(entry).toEqual({
          key: '/README.shortcut',
          value: { executable: false, linkname: '/README.md', blob: null, metadata: null },
          mtime: entry.mtime
        })
        await drive.symlink('/examples/rel.shortcut', 'more/c.txt')
        expect((await drive.entry('/examples/rel.shortcut'))!.value.linkname).toBe('more/c.txt')
        await drive.symlink('/LICENSE', '/LICENSE-V2')
        expect(await drive.get('/LICENSE')).toBeNull()
        expect((await drive.entry('/LICENSE'))!.value.linkname).toBe('/LICENSE-V2')
        expect(dec.decode((await drive.get('/LICENSE', { follow: true }))!)).toBe('ISC')
        expect((await drive.entry('/LICENSE', { follow: true }))!.key).toBe('/LICENSE-V2')
        await drive.symlink('/dangling', '/not-there')
        expect(await drive.entry('/dangling', { follow: true })).toBeNull()
        expect((await drive.entry('/dangling'))!.value.linkname).toBe('/not-there')
        await drive.symlink('/new/folder/link', '/LICENSE')
        expect(await drive.exists('/new/folder/link')).toBe(true)
        const keys = keysOf(await collect(drive.list()))
        expect(keys).toContain('/README.shortcut')
        expect(keys).toContain('/dangling')
      })

      it('gives up after 16 links with SymlinkLoopError', async () => {
        const drive = await target.create()
        await drive.put('/file.0.txt', 'hi')
        for (let i = 1; i <= 17; i++) await drive.symlink(`/file.${i}.txt`, `/file.${i - 1}.txt`)
        expect((await drive.entry('/file.15.txt', { follow: true }))!.key).toBe('/file.0.txt')
        await expect(drive.entry('/file.16.txt', { follow: true })).rejects.toBeInstanceOf(SymlinkLoopError)
      })
    } else {
      it('refuses links with NotSupportedError and never reports one', async () => {
        const drive = await filled()
        await expect(drive.symlink('/README.shortcut', '/README.md')).rejects.toBeInstanceOf(
          NotSupportedError
        )
        expect(await drive.entry('/README.shortcut')).toBeNull()
        for (const e of await collect(drive.list())) expect(e.value.linkname).toBeNull()
      })
    }
  })
}
