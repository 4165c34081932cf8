/**
 * Acceptance 4 (bad input):
 * - paths that climb above the root, hold NUL bytes, are over-long or name the root raise
 *   `InvalidPathError` from every call, and nothing is written (the real hyperdrive throws a plain
 *   error for the first and accepts NUL and length — shown alongside);
 * - entries a peer wrote by hand (not JSON, wrong shapes, impossible blob ids, keys that are not
 *   normalised paths, a blobs key of the wrong size) raise typed errors on read, from a real peer;
 * - a peer serving blobs that do not match the signed tree is dropped with a typed error, nothing
 *   it sent is stored, and the read completes from an honest peer.
 */

import { Corestore } from '@orchard/corestore'
import { ready } from '@orchard/crypto'
import { Hyperbee } from '@orchard/hyperbee'
import { HypercoreError } from '@orchard/hypercore'
import { openMemoryStorage } from '@orchard/storage'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MESSAGE_TYPES } from '../../hypercore/src/replication/messages.ts'
import { answerHonestly, attachBadPeer, type Behaviour } from '../../hypercore/test/interop/bad-peer.ts'
import { memoryPair } from '../../wire/src/index.ts'
import { InvalidBlobsKeyError, InvalidPathError, MalformedEntryError, normalizePath } from '../src/index.ts'
import {
  type Any,
  bytes,
  cleanup,
  collect,
  link,
  oursDrive,
  RealHyperdrive,
  realDrive,
  sameBytes,
  until
} from './helpers.ts'

beforeAll(() => ready())
afterAll(() => cleanup())

const TRAVERSAL = ['/../etc/passwd', '../x', 'a/../../b', '\\..\\..\\x', '/a/b/../../../c', '..']
const ROOT = ['/', '', '.', 'a/..', '/a/b/../..', '//']
const NUL = ['/a\0b', '\0', '/dir\0/file']
const LONG = [`/${'a'.repeat(256)}`, `/${'é'.repeat(128)}`, `/${'abcdefg/'.repeat(600)}x`]

describe('paths', () => {
  it('refuses traversal, the root, NUL bytes and over-long paths with InvalidPathError', async () => {
    const drive = await oursDrive()
    await drive.put('/ok', 'fine')
    const blobs = await drive.getBlobs()
    const length = drive.core.length
    const blobsLength = blobs.core.length
    for (const path of [...TRAVERSAL, ...ROOT, ...NUL, ...LONG, 42, null]) {
      const p = path as string
      const calls: Array<() => unknown> = [
        () => drive.put(p, 'x'),
        () => drive.get(p),
        () => drive.entry(p),
        () => drive.exists(p),
        () => drive.del(p),
        () => drive.symlink(p, '/ok'),
        () => drive.clear(p),
        () => drive.createWriteStream(p),
        () => collect(drive.createReadStream(p))
      ]
      for (const call of calls) {
        await expect((async () => call())(), `${JSON.stringify(path)}: ${call}`).rejects.toBeInstanceOf(
          InvalidPathError
        )
      }
    }
    // folders: the root is fine as a folder, the rest is refused the same way
    for (const path of [...TRAVERSAL, ...NUL, ...LONG]) {
      expect(() => drive.list(path), path).toThrow(InvalidPathError)
      expect(() => drive.readdir(path), path).toThrow(InvalidPathError)
      expect(() => drive.diff(1, path), path).toThrow(InvalidPathError)
      expect(() => drive.watch(path), path).toThrow(InvalidPathError)
    }
    // nothing was written, not even a blob
    expect(drive.core.length).toBe(length)
    expect(blobs.core.length).toBe(blobsLength)
    expect((await collect(drive.list())).map((e) => e.key)).toEqual(['/ok'])
    const err = await drive.put('/../x', 'x').catch((e: InvalidPathError) => e)
    expect(err).toMatchObject({ code: 'INVALID_PATH', path: '/../x' })
    await drive.close()
  })

  it('accepts what resolves inside the root, and names at the limits', async () => {
    const drive = await oursDrive()
    await drive.put('/a/../b', 'b')
    await drive.put('c/./d//e\\f', 'f')
    await drive.put(`/${'n'.repeat(255)}`, '255')
    const deep = `/${'abcdefg/'.repeat(511)}x` // 4090 bytes
    await drive.put(deep, 'deep')
    expect((await collect(drive.list())).map((e) => e.key)).toEqual(
      ['/abcdefg', '/b', '/c/d/e/f', `/${'n'.repeat(255)}`].map((k) => (k === '/abcdefg' ? deep : k))
    )
    await drive.close()
  })

  it('agrees with the real normalizePath wherever the real one succeeds on a valid path', () => {
    const inputs = [
      'a',
      '/a/',
      'a//b',
      '\\a\\b',
      'a/./b/../c',
      'c:/x/y',
      'file:/x',
      'http://host/p/q',
      'weird:/p',
      'a:b/c',
      '/ü/é',
      ' spaced /x ',
      '/a/b/c/../../d',
      '...',
      '/.../..a/b..'
    ]
    for (const input of inputs) {
      let want: string | null = null
      try {
        want = RealHyperdrive.normalizePath(input)
      } catch {}
      let got: string | null = null
      try {
        got = normalizePath(input)
      } catch {}
      expect(got, input).toBe(want)
    }
    // the real one throws plain errors for traversal and the root; ours throws typed ones
    for (const input of [...TRAVERSAL, ...ROOT]) {
      expect(() => RealHyperdrive.normalizePath(input), input).toThrow()
      expect(() => normalizePath(input), input).toThrow(InvalidPathError)
    }
    // the real one accepts NUL bytes and any length; ours refuses them
    for (const input of [...NUL, ...LONG]) {
      expect(() => RealHyperdrive.normalizePath(input), JSON.stringify(input)).not.toThrow()
      expect(() => normalizePath(input)).toThrow(InvalidPathError)
    }
  })

  it('refuses symlink targets with NUL bytes, and links out of the root when followed', async () => {
    const drive = await oursDrive()
    await expect(drive.symlink('/l', '/a\0b')).rejects.toBeInstanceOf(InvalidPathError)
    await drive.symlink('/dir/escape', '../../../etc/passwd')
    expect((await drive.entry('/dir/escape'))?.value.linkname).toBe('../../../etc/passwd')
    await expect(drive.entry('/dir/escape', { follow: true })).rejects.toBeInstanceOf(InvalidPathError)
    await drive.close()
  })
})

/** A real writer whose bee holds hand-written garbage next to a real file. */
async function garbageWriter(): Promise<Any> {
  const writer = await realDrive()
  await writer.put('/good.txt', Buffer.from('good'))
  const raw = { keyEncoding: 'binary', valueEncoding: 'binary' }
  const put = (key: string | Buffer, value: string) =>
    writer.db.put(typeof key === 'string' ? Buffer.from(`files\0${key}`) : key, Buffer.from(value), raw)
  const entry = (v: object) =>
    JSON.stringify({ executable: false, linkname: null, blob: null, metadata: null, ...v })
  const good = (await writer.entry('/good.txt')).value.blob
  // a well-formed entry whose blob id does not match the blobs core: 4 bytes claimed as 999
  await put('/lying-blob', entry({ blob: { ...good, byteLength: 999 } }))
  await put('/notjson', 'not json {')
  await put('/array', '[1,2,3]')
  await put('/null', 'null')
  await put('/neg', entry({ blob: { blockOffset: -1, byteOffset: 0, blockLength: 1, byteLength: 1 } }))
  await put('/frac', entry({ blob: { blockOffset: 0.5, byteOffset: 0, blockLength: 1, byteLength: 1 } }))
  await put(
    '/bytes-without-blocks',
    entry({ blob: { blockOffset: 0, byteOffset: 0, blockLength: 0, byteLength: 9 } })
  )
  await put('/huge', entry({ blob: { blockOffset: 2 ** 53, byteOffset: 0, blockLength: 1, byteLength: 1 } }))
  await put('/exec-string', entry({ executable: 'yes' }))
  await put('/link-number', entry({ linkname: 5 }))
  await put('/blob-string', entry({ blob: 'somewhere' }))
  await put('/a/../escaped', entry({}))
  await put('relative', entry({}))
  await put('/double//slash', entry({}))
  await put('/trailing/', entry({}))
  await put('/nul\0byte', entry({}))
  await put(Buffer.concat([Buffer.from('files\0/bad-utf8-'), Buffer.from([0xff, 0xfe])]), entry({}))
  return writer
}

const BAD_VALUES = [
  '/notjson',
  '/array',
  '/null',
  '/neg',
  '/frac',
  '/bytes-without-blocks',
  '/huge',
  '/exec-string',
  '/link-number',
  '/blob-string'
]

describe('malformed entries from a peer', () => {
  it('raise MalformedEntryError on every read that meets them; good entries still read', async () => {
    const writer = await garbageWriter()
    const reader = await oursDrive(new Uint8Array(writer.key))
    const unlink = link(writer, reader)
    try {
      await until(() => reader.core.length === writer.core.length, 20_000, 'the reader to sync')
      expect(new TextDecoder().decode((await reader.get('/good.txt'))!)).toBe('good')
      for (const path of BAD_VALUES) {
        await expect(reader.entry(path), path).rejects.toBeInstanceOf(MalformedEntryError)
        await expect(reader.get(path), path).rejects.toBeInstanceOf(MalformedEntryError)
        await expect(collect(reader.createReadStream(path)), path).rejects.toBeInstanceOf(MalformedEntryError)
      }
      // keys that are not normalised paths fail listings, readdirs and diffs, typed
      await expect(collect(reader.list('/'))).rejects.toBeInstanceOf(MalformedEntryError)
      await expect(collect(reader.readdir('/'))).rejects.toBeInstanceOf(MalformedEntryError)
      await expect(collect(reader.diff(1))).rejects.toBeInstanceOf(MalformedEntryError)
      // ... and so does each bad key alone in its folder
      for (const folder of ['/double', '/a']) {
        await expect(collect(reader.list(folder)), folder).rejects.toBeInstanceOf(MalformedEntryError)
      }
      // a listing that does not reach them is fine
      expect((await collect(reader.list('/good.txt'))).length).toBe(0)
      // a blob id that the blobs core contradicts: hyperblobs' typed INVALID_BLOB_ID
      expect((await reader.entry('/lying-blob'))?.value.blob?.byteLength).toBe(999)
      await expect(reader.get('/lying-blob')).rejects.toMatchObject({ code: 'INVALID_BLOB_ID' })
      const err = await reader.entry('/neg').catch((e: MalformedEntryError) => e)
      expect(err).toMatchObject({ code: 'MALFORMED_ENTRY' })
    } finally {
      unlink()
      await reader.close()
      await writer.close()
    }
  }, 30_000)

  it('refuse a blobs key of the wrong size in the header (InvalidBlobsKeyError)', async () => {
    const store = new Corestore(openMemoryStorage())
    const core = store.get({ name: 'db' })
    const bee = new Hyperbee(core, { metadata: { contentFeed: new Uint8Array(10) } })
    await bee.put('files\0/x', '{}')
    const key = core.key!
    const reader = await oursDrive(key)
    const [x, y] = memoryPair()
    const s1 = store.replicate(true, { stream: x, keepAlive: false })
    const s2 = reader.corestore.replicate(false, { stream: y, keepAlive: false })
    try {
      await expect(reader.getBlobs()).rejects.toBeInstanceOf(InvalidBlobsKeyError)
    } finally {
      s1.destroy()
      s2.destroy()
      await reader.close()
      await store.close()
    }
  })
})

/** Answers honestly, except that every block it sends has one byte flipped. */
const tamperBlocks: Behaviour = {
  async onrequest(req, ctx) {
    const proof = await ctx.honest(req)
    if (proof === null || proof.block === null) return answerHonestly(req, ctx)
    proof.block.value[proof.block.value.byteLength >> 1]! ^= 0x5a
    ctx.send(MESSAGE_TYPES.data, {
      request: req.id,
      ...proof,
      manifest: req.manifest ? ctx.core.manifest : null
    })
  }
}

describe('a peer serving bad blobs', () => {
  it('is dropped with a typed error; nothing it sent is stored; an honest peer completes the read', async () => {
    const writer = await oursDrive()
    const content = bytes(300_000, 9)
    await writer.put('/file.bin', content)
    const writerBlobs = await writer.getBlobs()

    const reader = await oursDrive(writer.key)
    // the metadata comes from an honest peer (core to core), the blobs from the bad one
    const [mx, my] = memoryPair()
    const m1 = writer.core.replicate(false, { stream: mx, keepAlive: 0 })
    const m2 = reader.core.replicate(true, { stream: my, keepAlive: 0 })
    const blobs = await reader.getBlobs()
    expect(blobs.core.key).toEqual(writerBlobs.core.key)
    const errors: Error[] = []
    blobs.core.core.on('peer-error', (err: Error) => errors.push(err))
    const bad = attachBadPeer(writerBlobs.core, blobs.core, tamperBlocks)
    bad.on('error', (err: Error) => errors.push(err))
    await blobs.core.update({ wait: true })
    expect(blobs.core.length).toBe(writerBlobs.core.length)

    const pending = reader.get('/file.bin')
    await until(() => bad.destroyed, 8000, 'the bad peer to be dropped')
    const typed = errors.find((e) => e instanceof HypercoreError)
    expect(typed, `a typed error (got ${errors.map((e) => e.message).join('; ')})`).toBeDefined()
    expect((typed as HypercoreError).code).toMatch(/INVALID_CHECKSUM|INVALID_SIGNATURE/)
    for (let i = 0; i < blobs.core.length; i++) expect(await blobs.core.has(i)).toBe(false)
    expect(await reader.has('/file.bin')).toBe(false)

    // an honest peer for the blobs: the waiting read completes with the writer's bytes
    const [bx, by] = memoryPair()
    const b1 = writerBlobs.core.replicate(false, { stream: bx, keepAlive: 0 })
    const b2 = blobs.core.replicate(true, { stream: by, keepAlive: 0 })
    try {
      expect(sameBytes(await pending, content)).toBe(true)
      expect(await reader.has('/file.bin')).toBe(true)
    } finally {
      for (const s of [m1, m2, b1, b2]) s.destroy()
      await reader.close()
      await writer.close()
    }
  }, 30_000)
})
