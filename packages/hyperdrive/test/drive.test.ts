/**
 * The drive's API, one behaviour at a time, as hyperdrive 13's own test suite states it (its
 * `test.js`): properties, files, symlinks, streams, listings, checkouts, batches, watches, clears,
 * blobs lengths and truncation, closing.
 */

import { Corestore } from '@orchard/corestore'
import { ready } from '@orchard/crypto'
import { Hypercore } from '@orchard/hypercore'
import { openMemoryStorage } from '@orchard/storage'
import { beforeAll, describe, expect, it } from 'vitest'
import { FileNotFoundError, Hyperdrive, InvalidOperationError, RecursiveSymlinkError } from '../src/index.ts'
import { bytes, collect, concat, oursDrive } from './helpers.ts'

beforeAll(() => ready())

const _te = new TextEncoder()
const td = new TextDecoder()
const text = (b: Uint8Array | null) => (b === null ? null : td.decode(b))
const tick = () => new Promise((r) => setTimeout(r, 20))

describe('properties', () => {
  it('has hyperdrive’s identity and state', async () => {
    const store = new Corestore(openMemoryStorage())
    const drive = new Hyperdrive(store)
    const events: string[] = []
    drive.on('blobs', (b) => events.push(`blobs:${b === drive.blobs}`))
    drive.on('content-key', (k) => events.push(`key:${k === drive.blobs?.core.key}`))
    expect(drive.id).toBe(null)
    expect(drive.key).toBe(null)
    expect(drive.discoveryKey).toBe(null)
    expect(drive.writable).toBe(false)
    expect(drive.readable).toBe(true)
    expect(drive.blobs).toBe(null)
    await drive.ready()
    expect(events).toEqual(['blobs:true', 'key:true'])
    expect(drive.writable).toBe(true)
    expect(drive.id!.length).toBe(52)
    expect(drive.key!.byteLength).toBe(32)
    expect(drive.discoveryKey).toEqual(Hypercore.discoveryKey(drive.key!))
    expect(drive.contentKey).toEqual(drive.blobs!.core.key)
    expect(drive.contentKey).toEqual(Hyperdrive.getContentKey(drive.core))
    expect(drive.contentKey).toEqual(Hyperdrive.getContentKey(drive.core.manifest!, drive.key))
    expect(drive.db.core).toBe(drive.core)
    expect(drive.supportsMetadata).toBe(true)
    expect(drive.version).toBe(1)
    await drive.put('/x', 'y')
    expect(drive.version).toBe(drive.core.length)
    expect(drive.version).toBe(2)
    await drive.close()
    expect(drive.readable).toBe(false)
  })

  it('getDriveKey gives the key a new drive on the store gets', async () => {
    const store = new Corestore(openMemoryStorage())
    const key = await Hyperdrive.getDriveKey(store.session())
    const drive = new Hyperdrive(store.session())
    await drive.ready()
    expect(drive.key).toEqual(key)
    await drive.close()
    await store.close()
  })

  it('a drive on a read-only session of the store cannot write (SESSION_NOT_WRITABLE)', async () => {
    const store = new Corestore(openMemoryStorage())
    const a = new Hyperdrive(store.session())
    await a.put('/file-one', 'hi')
    const b = new Hyperdrive(store.session({ writable: false }), a.key)
    await b.ready()
    expect(b.writable).toBe(false)
    expect(b.blobs!.core.writable).toBe(false)
    expect(text(await b.get('/file-one'))).toBe('hi')
    await expect(b.put('/file-two', 'hi')).rejects.toMatchObject({ code: 'SESSION_NOT_WRITABLE' })
    const ws = b.createWriteStream('/file-three')
    const errors: Error[] = []
    ws.on('error', (err) => errors.push(err))
    ws.end('hi')
    await expect(ws.done()).rejects.toMatchObject({ code: 'SESSION_NOT_WRITABLE' })
    expect(errors).toHaveLength(1)
    expect(await b.entry('/file-three')).toBe(null)
    await b.close()
    await a.close()
  })
})

describe('files', () => {
  it('put, get, entry, exists, del', async () => {
    const drive = await oursDrive()
    await drive.put('/a.txt', 'hello', { executable: true, metadata: { m: 1 } })
    expect(text(await drive.get('/a.txt'))).toBe('hello')
    expect(text(await drive.get('a.txt'))).toBe('hello')
    expect(await drive.entry('/a.txt')).toEqual({
      seq: 1,
      key: '/a.txt',
      value: {
        executable: true,
        linkname: null,
        blob: { blockOffset: 0, byteOffset: 0, blockLength: 1, byteLength: 5 },
        metadata: { m: 1 }
      }
    })
    const entry = (await drive.entry('/a.txt'))!
    expect(await drive.entry(entry)).toBe(entry)
    expect(text(await drive.get(entry))).toBe('hello')
    expect(await drive.exists('/a.txt')).toBe(true)
    expect(await drive.exists('/b.txt')).toBe(false)
    expect(await drive.get('/b.txt')).toBe(null)
    await drive.put('/empty', new Uint8Array(0))
    expect(await drive.get('/empty')).toEqual(new Uint8Array(0))
    await drive.del('/a.txt')
    expect(await drive.get('/a.txt')).toBe(null)
    expect(await drive.entry('/a.txt')).toBe(null)
    expect(text(await drive.get('/empty', { start: 0 }))).toBe('')
    await drive.close()
  })

  it('ranged get (start, end, length)', async () => {
    const drive = await oursDrive()
    const data = bytes(200_000, 3)
    await drive.put('/f', data)
    expect(await drive.get('/f', { start: 70_000, length: 100 })).toEqual(data.subarray(70_000, 70_100))
    expect(await drive.get('/f', { start: 5, end: 7 })).toEqual(data.subarray(5, 8))
    await drive.close()
  })

  it('symlinks: entries, follow through chains, 16 links at most, missing targets', async () => {
    const drive = await oursDrive()
    await drive.put('/file.txt', 'hi')
    await drive.symlink('/file.shortcut', '/file.txt')
    await drive.symlink('/file.shortcut.shortcut', '/file.shortcut')
    await drive.symlink('/dir/rel', '../../file.txt', { metadata: 'm' })
    expect(await drive.get('/file.shortcut')).toBe(null)
    expect(text(await drive.get('/file.shortcut', { follow: true }))).toBe('hi')
    expect(await drive.entry('/dir/rel')).toMatchObject({
      value: { executable: false, linkname: '../../file.txt', blob: null, metadata: 'm' }
    })
    const target = {
      seq: 1,
      key: '/file.txt',
      value: {
        executable: false,
        linkname: null,
        blob: { byteOffset: 0, blockOffset: 0, blockLength: 1, byteLength: 2 },
        metadata: null
      }
    }
    expect(await drive.entry('/file.shortcut.shortcut', { follow: true })).toEqual(target)
    expect(await drive.entry('/dir/rel', { follow: true })).toEqual(target)
    expect(await drive.entry('/file.random.shortcut', { follow: true })).toBe(null)

    await drive.put('/file.0.txt', 'hi')
    for (let i = 1; i <= 17; i++) await drive.symlink(`/file.${i}.txt`, `/file.${i - 1}.txt`)
    expect((await drive.entry('/file.16.txt'))!.value.linkname).toBe('/file.15.txt')
    expect((await drive.entry('/file.15.txt', { follow: true }))!.key).toBe('/file.0.txt')
    await expect(drive.entry('/file.16.txt', { follow: true })).rejects.toBeInstanceOf(RecursiveSymlinkError)
    await drive.close()
  })

  it('compare orders entries by when they were written', async () => {
    const drive = await oursDrive()
    await drive.put('/file.txt', 'hi')
    const a = (await drive.entry('/file.txt'))!
    await drive.put('/file.txt', 'hi')
    const b = (await drive.entry('/file.txt'))!
    expect([drive.compare(a, b), drive.compare(a, a), drive.compare(b, a)]).toEqual([-1, 0, 1])
    await drive.close()
  })

  it('clear frees the contents locally, keeps the entry; with diff, counts the blocks', async () => {
    const drive = await oursDrive()
    await drive.put('/loc', 'hello world')
    await drive.put('/big', bytes(200_000, 1))
    const entry = (await drive.entry('/loc'))!
    expect(await drive.clear('/loc')).toBe(null)
    expect(await drive.entry('/loc')).toEqual(entry)
    expect(await drive.exists('/loc')).toBe(true)
    expect(await drive.blobs!.get(entry.value.blob!, { wait: false })).toBe(null)
    await expect(drive.get('/loc', { wait: false })).rejects.toMatchObject({ code: 'BLOCK_NOT_AVAILABLE' })
    expect(await drive.clear('/big', { diff: true })).toEqual({ blocks: 4 })
    expect(await drive.clear('/big', { diff: true })).toEqual({ blocks: 0 })
    expect(await drive.clear('/not-exists', { diff: true })).toEqual({ blocks: 0 })
    expect(await drive.clear('/not-exists')).toBe(null)
    await drive.put('/more', bytes(10, 1))
    const co = drive.checkout(drive.version)
    expect(await co.clear('/more')).toBe(null)
    expect(await co.get('/more', { wait: false }).catch((e) => e.code)).toBe('BLOCK_NOT_AVAILABLE')
    await co.close()
    await drive.put('/last', 'x')
    expect(await drive.clearAll({ diff: true })).toEqual({ blocks: 1 })
    expect(await drive.clearAll()).toBe(null)
    await drive.close()
  })
})

describe('streams', () => {
  it('write stream (chunks become blocks, backpressure, done) and ranged read stream', async () => {
    const drive = await oursDrive()
    const ws = drive.createWriteStream('/hello-world.js', { executable: true, metadata: { w: 1 } })
    const events: string[] = []
    ws.on('finish', () => events.push('finish'))
    ws.on('close', () => events.push('close'))
    expect(ws.write("module.exports = () => 'Hello, World!'")).toBe(true)
    ws.end()
    await ws.done()
    expect(events).toEqual(['finish', 'close'])
    expect(await drive.entry('/hello-world.js')).toMatchObject({
      value: { executable: true, metadata: { w: 1 } }
    })
    const read = async (opts?: object) =>
      text(concat(await collect(drive.createReadStream('/hello-world.js', opts))))
    expect(await read({ start: 0, end: 0 })).toBe('m')
    expect(await read({ start: 5, end: 7 })).toBe('e.e')
    expect(await read()).toBe("module.exports = () => 'Hello, World!'")
    // an entry in place of the path, as mirror-drive reads its source
    const entry = (await drive.entry('/hello-world.js'))!
    expect(text(concat(await collect(drive.createReadStream(entry, { start: 1, length: 5 }))))).toBe('odule')

    const big = drive.createWriteStream('/big', { highWaterMark: 1000 })
    const chunks = [bytes(600, 1), bytes(600, 2), bytes(70_000, 3)]
    expect(big.write(chunks[0]!)).toBe(true)
    expect(big.write(chunks[1]!)).toBe(false)
    await new Promise<void>((resolve) => big.once('drain', resolve))
    big.end(chunks[2])
    await big.done()
    const e = (await drive.entry('/big'))!
    expect(e.value.blob!.blockLength).toBe(3) // one block per chunk, as hyperblobs' write stream
    expect(await drive.get('/big')).toEqual(concat(chunks))
    // a range across the first two blocks: a chunk from each
    const range = await collect(drive.createReadStream('/big', { start: 1100, length: 200 }))
    expect(range.map((c) => c.byteLength)).toEqual([100, 100])
    expect(concat(range)).toEqual(concat(chunks).subarray(1100, 1300))
    await drive.close()
  })

  it('read streams: missing file, empty file, symlink; destroyed write streams write nothing', async () => {
    const drive = await oursDrive()
    await drive.put('/empty', '')
    await drive.symlink('/link', '/empty')
    await expect(collect(drive.createReadStream('/missing'))).rejects.toBeInstanceOf(FileNotFoundError)
    expect(await collect(drive.createReadStream('/empty'))).toEqual([])
    expect(await collect(drive.createReadStream('/link'))).toEqual([])
    const ws = drive.createWriteStream('/never')
    ws.write('data')
    ws.destroy()
    await expect(ws.done()).rejects.toBeDefined()
    await tick()
    expect(await drive.entry('/never')).toBe(null)
    await drive.close()
  })

  it('dedup write streams reuse the blocks of the previous version (a block map)', async () => {
    const drive = await oursDrive()
    const write = async () => {
      const ws = drive.createWriteStream('/test', { dedup: true })
      for (let i = 0; i < 3; i++) ws.write(new Uint8Array(1024))
      ws.end()
      await ws.done()
    }
    await write()
    const len = drive.blobs!.core.length
    await write()
    expect(drive.blobs!.core.length).toBe(len + 1)
    expect((await drive.entry('/test'))!.value.blob!.blockMap).toBe(true)
    expect(await drive.get('/test')).toEqual(new Uint8Array(3072))
    expect(await drive.has('/test')).toBe(true)
    await drive.close()
  })
})

describe('listing', () => {
  it('list (recursive or not), readdir, entries with ranges, ignore', async () => {
    const drive = await oursDrive()
    for (const p of [
      '/grandparent',
      '/grandparent/parent',
      '/grandparent/parent/child/a',
      '/one',
      '/one-two'
    ]) {
      await drive.put(p, '')
    }
    await drive.put('/one/two', 'hi')
    const keys = async (s: AsyncIterable<{ key: string }>) => (await collect(s)).map((e) => e.key)
    expect(await keys(drive.list('/grandparent'))).toEqual([
      '/grandparent/parent',
      '/grandparent/parent/child/a'
    ])
    // hyperdrive's shallow listing jumps past `/one/` after the file `/one`, lands on `/one-two`
    // ('-' sorts before '/'), and so meets `/one/two` again: the real one lists `one` twice too
    expect(await keys(drive.list('/', { recursive: false }))).toEqual([
      '/grandparent',
      '/one',
      '/one-two',
      '/one/two'
    ])
    expect(await keys(drive.list('/grandparent', { recursive: false }))).toEqual(['/grandparent/parent'])
    expect(await collect(drive.readdir('/'))).toEqual(['grandparent', 'one', 'one-two', 'one'])
    expect(await collect(drive.readdir('/grandparent/parent'))).toEqual(['child'])
    expect(await collect(drive.readdir('/one'))).toEqual(['two'])
    expect(await collect(drive.readdir('/nope'))).toEqual([])
    expect(await keys(drive.entries({ gt: '/one', lte: '/zzz' }, { reverse: true }))).toEqual([
      '/one/two',
      '/one-two'
    ])
    expect(await keys(drive)).toHaveLength(6)
    expect(await keys(drive.list({ ignore: ['one', 'grandparent/parent/child'] }))).toEqual([
      '/grandparent',
      '/grandparent/parent',
      '/one-two'
    ])
    expect(await keys(drive.list({ ignore: 'grandparent', recursive: false }))).toEqual([
      '/one',
      '/one-two',
      '/one/two'
    ])
    expect(await keys(drive.list('/', { ignore: (k: string) => k.includes('-') }))).toHaveLength(5)
    await drive.close()
  })
})

describe('history', () => {
  it('checkout and diff', async () => {
    const drive = await oursDrive()
    await drive.put('/a', '1')
    await drive.put('/dir/b', '2')
    const v = drive.version
    await drive.put('/a', '3')
    await drive.del('/dir/b')
    await drive.put('/dir/c', '4')
    const co = drive.checkout(v)
    expect(co.version).toBe(3)
    expect(text(await co.get('/a'))).toBe('1')
    expect(text(await co.get('/dir/b'))).toBe('2')
    expect(await co.get('/dir/c')).toBe(null)
    await expect(co.put('/x', 'x')).rejects.toBeDefined()
    const diff = await collect(drive.diff(v))
    expect(diff.map((d) => [d.left?.key ?? null, d.right?.key ?? null])).toEqual([
      ['/a', '/a'],
      [null, '/dir/b'],
      ['/dir/c', null]
    ])
    expect((await collect(drive.diff(v, '/dir'))).length).toBe(2)
    expect((await collect(co.diff(drive.version))).length).toBe(3)
    await co.close()
    expect(co.closed).toBe(true)
    expect(drive.closed).toBe(false)
    expect(text(await drive.get('/a'))).toBe('3')
    const future = drive.checkout(drive.version + 1)
    await future.close()
    expect(future.db.core.closed).toBe(true)
    expect(drive.core.closed).toBe(false)
    await drive.close()
  })

  it('watch yields [current, previous] drives on changes below the folder only', async () => {
    const drive = await oursDrive()
    const all = drive.watch()
    const next = all.next()
    await drive.put('/a.txt', 'hi')
    const r = await next
    expect(r.done).toBe(false)
    const [current, previous] = r.value!
    expect(current).toBeInstanceOf(Hyperdrive)
    expect([current.version, previous.version]).toEqual([2, 1])
    expect(text(await current.get('/a.txt'))).toBe('hi')
    expect(await previous.get('/a.txt')).toBe(null)
    await all.close()

    const folder = drive.watch('examples//more//')
    let changes = 0
    const loop = (async () => {
      for await (const _ of folder) changes++
    })()
    await drive.put('/examples/a.txt', 'x')
    await drive.put('/examples/morex', 'x')
    await tick()
    expect(changes).toBe(0)
    await drive.put('/examples/more/a.txt', 'x')
    await tick()
    expect(changes).toBe(1)
    await folder.close()
    await loop
    expect(() => drive.checkout(1).watch()).toThrow(InvalidOperationError)
    await drive.close()
  })
})

describe('batches', () => {
  it('hold metadata writes until flush; the batch reads its own writes', async () => {
    const drive = await oursDrive()
    await drive.put('/x', 'x')
    const batch = drive.batch()
    await batch.put('/file.txt', 'abc')
    await batch.symlink('/link', '/file.txt')
    expect(await drive.get('/file.txt')).toBe(null)
    expect(text(await batch.get('/file.txt'))).toBe('abc')
    expect((await collect(batch.list())).map((e) => e.key)).toEqual(['/file.txt', '/link', '/x'])
    const length = drive.core.length
    await batch.flush()
    expect(drive.core.length).toBe(length + 2)
    expect(batch.closed).toBe(true)
    expect(batch.blobs!.core.closed).toBe(true)
    expect(drive.blobs!.core.closed).toBe(false)
    expect(text(await drive.get('/file.txt'))).toBe('abc')
    await expect(drive.flush()).rejects.toBeInstanceOf(InvalidOperationError)
    await drive.close()
  })

  it('a batch of a drive that is not ready yet', async () => {
    const drive = new Hyperdrive(new Corestore(openMemoryStorage()))
    const batch = drive.batch()
    await batch.put('/x', 'something')
    await batch.flush()
    expect(batch.blobs!.core.closed).toBe(true)
    expect(text(await drive.get('/x'))).toBe('something')
    await drive.close()
  })
})

describe('maintenance', () => {
  it('getBlobsLength and truncate', async () => {
    const store = new Corestore(openMemoryStorage())
    const drive = new Hyperdrive(store.session())
    expect(await drive.getBlobsLength()).toBe(0)
    await drive.put('file1', 'here1')
    await drive.put('file2', 'here2')
    await drive.put('file3', 'here3')
    expect(drive.version).toBe(4)
    expect(await drive.getBlobsLength()).toBe(3)
    expect(await drive.getBlobsLength(2)).toBe(1)
    await expect(drive.truncate(10)).rejects.toMatchObject({ code: 'BAD_ARGUMENT' })
    await drive.truncate(3)
    expect(drive.version).toBe(3)
    expect(await drive.getBlobsLength()).toBe(2)
    expect(drive.blobs!.core.length).toBe(2)
    await drive.put('file3', 'here file 3 post truncation')
    expect(drive.version).toBe(4)
    expect(text(await drive.get('file3'))).toBe('here file 3 post truncation')
    expect(drive.core.fork).toBe(1)
    expect(drive.blobs!.core.fork).toBe(1)
    await drive.close()
    await store.close()
  })

  it('close closes the cores, the checkouts and batches, and the corestore', async () => {
    const store = new Corestore(openMemoryStorage())
    const drive = new Hyperdrive(store)
    await drive.put('/a', 'a')
    const co = drive.checkout(2)
    const batch = drive.batch()
    const blobs = await drive.getBlobs()
    await drive.close()
    expect(blobs.core.closed).toBe(true)
    expect(drive.core.closed).toBe(true)
    expect(co.closed).toBe(true)
    expect(batch.closed).toBe(true)
    expect(store.closed).toBe(true)
  })

  it('close of a reader still waiting for the header finishes', async () => {
    const drive = await oursDrive(new Uint8Array(32).fill(0xaa))
    expect(drive.core.length).toBe(0)
    await drive.close()
    expect(drive.corestore.closed).toBe(true)
  })
})
