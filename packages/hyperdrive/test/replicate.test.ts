/**
 * A drive and its replicas (ours and ours, over `drive.replicate`): readers open the blobs once
 * they have the header, wait or fail fast for missing contents, time out, and download exactly
 * what `download`, `downloadRange` and `downloadDiff` ask for (counted by `download` events), as
 * hyperdrive 13's tests state it.
 */
import { ready } from '@orchard/crypto'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { memoryPair } from '../../wire/src/index.ts'
import type { Hyperdrive } from '../src/index.ts'
import { bytes, oursDrive, until } from './helpers.ts'

beforeAll(() => ready())

const nil = new TextEncoder().encode('nil')
const open: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const fn of open.splice(0).reverse()) await fn()
})

/** A writer, a reader of it, and a link between them (`drive.replicate`). */
async function pair(): Promise<{ drive: Hyperdrive; mirror: Hyperdrive; unlink: () => void }> {
  const drive = await oursDrive()
  const mirror = await oursDrive(drive.key)
  const [x, y] = memoryPair()
  const a = drive.replicate(true, { stream: x, keepAlive: false })
  const b = mirror.replicate(false, { stream: y, keepAlive: false })
  const unlink = () => {
    a.destroy()
    b.destroy()
  }
  open.push(
    () => drive.close(),
    () => mirror.close(),
    unlink
  )
  return { drive, mirror, unlink }
}

function counter(core: { on(e: 'download', fn: (i: number) => void): unknown }) {
  const c = { count: 0, max: -1, blocks: [] as number[] }
  core.on('download', (i: number) => {
    c.count++
    c.max = Math.max(c.max, i)
    c.blocks.push(i)
  })
  return c
}

const synced = (mirror: Hyperdrive, drive: Hyperdrive) =>
  until(() => mirror.core.length === drive.core.length, 10_000, 'the mirror to sync')

describe('a replica', () => {
  it('opens the blobs from the header once it arrives, and derives the same content key', async () => {
    const drive = await oursDrive()
    await drive.put('/file', 'content')
    const mirror = await oursDrive(drive.key)
    open.push(
      () => drive.close(),
      () => mirror.close()
    )
    expect(mirror.blobs).toBe(null)
    expect(mirror.writable).toBe(false)
    const [x, y] = memoryPair()
    drive.replicate(true, { stream: x, keepAlive: false })
    mirror.replicate(false, { stream: y, keepAlive: false })
    const blobs = await mirror.getBlobs()
    expect(blobs.core.key).toEqual(drive.contentKey)
    expect(mirror.contentKey).toEqual(drive.contentKey)
    expect(new TextDecoder().decode((await mirror.get('/file'))!)).toBe('content')
  })

  it('get with wait: false throws BLOCK_NOT_AVAILABLE when the entry is there but not the contents', async () => {
    const { drive, mirror } = await pair()
    await drive.put('/file', 'content')
    await synced(mirror, drive)
    expect(await mirror.entry('/file')).not.toBe(null)
    await expect(mirror.get('/file', { wait: false })).rejects.toMatchObject({ code: 'BLOCK_NOT_AVAILABLE' })
    expect(new TextDecoder().decode((await mirror.get('/file'))!)).toBe('content')
  })

  it('entry and get time out (REQUEST_TIMEOUT) or fail fast once the writer is gone', async () => {
    {
      // the header is here (the blobs are open), the entry's blocks are not
      const { drive, mirror, unlink } = await pair()
      await drive.put('/file.txt', 'hi')
      await synced(mirror, drive)
      await mirror.getBlobs()
      unlink()
      await expect(mirror.entry('/file.txt', { wait: false })).rejects.toMatchObject({
        code: 'BLOCK_NOT_AVAILABLE'
      })
      await expect(mirror.entry('/file.txt', { timeout: 1 })).rejects.toMatchObject({
        code: 'REQUEST_TIMEOUT'
      })
    }
    {
      // the entry is here, the contents are not
      const { drive, mirror, unlink } = await pair()
      await drive.put('/file.txt', 'hi')
      await synced(mirror, drive)
      await mirror.getBlobs()
      expect((await mirror.entry('/file.txt'))?.value.blob).toBeTruthy()
      unlink()
      await expect(mirror.get('/file.txt', { timeout: 1 })).rejects.toMatchObject({ code: 'REQUEST_TIMEOUT' })
      await expect(mirror.get('/file.txt', { wait: false })).rejects.toMatchObject({
        code: 'BLOCK_NOT_AVAILABLE'
      })
      await expect(mirror.get('/file.txt', { start: 1, timeout: 1 })).rejects.toMatchObject({
        code: 'REQUEST_TIMEOUT'
      })
    }
  })

  it('download(folder) fetches the folder’s files and nothing else', async () => {
    const { drive, mirror } = await pair()
    await drive.put('/parent/child/grandchild1', nil)
    await drive.put('/parent/child/grandchild2', nil)
    await synced(mirror, drive)
    const blobs = await mirror.getBlobs()
    const c = counter(blobs.core)
    const l = drive.blobs!.core.length
    await drive.put('/parent/sibling/grandchild1', nil)
    await synced(mirror, drive)
    expect(await mirror.has('/parent/child/')).toBe(false)
    await mirror.download('/parent/child').done()
    expect(c.max).toBe(l - 1)
    expect(c.count).toBe(2)
    expect(await mirror.has('/parent/child/')).toBe(true)
    expect(await mirror.has('/parent/')).toBe(false)
    expect(await mirror.get('/parent/child/grandchild1')).toEqual(nil)
    expect(await mirror.get('/parent/child/grandchild2')).toEqual(nil)
    expect(c.count).toBe(2)
    const entry = (await mirror.entry('/parent/sibling/grandchild1'))!
    await blobs.get(entry.value.blob!)
    expect(c.count).toBe(3)
    expect(await mirror.has('/parent/')).toBe(true)
    expect(await mirror.has('/nothing/')).toBe(false)
  })

  it('download(file) fetches that file', async () => {
    const { drive, mirror } = await pair()
    await drive.put('/parent/grandchild1', nil)
    await drive.put('/file', nil)
    await drive.put('/parent/grandchild2', nil)
    await synced(mirror, drive)
    await mirror.getBlobs()
    await mirror.download('/file').done()
    expect(await mirror.get('/file', { wait: false })).toEqual(nil)
    await expect(mirror.get('/parent/grandchild1', { wait: false })).rejects.toMatchObject({
      code: 'BLOCK_NOT_AVAILABLE'
    })
  })

  it('downloadRange fetches the given metadata and blobs blocks', async () => {
    const { drive, mirror } = await pair()
    for (const f of ['/file-a', '/file-b', '/file-c']) await drive.put(f, new Uint8Array(1024))
    await synced(mirror, drive)
    const files = counter(mirror.core)
    const blobs = counter((await mirror.getBlobs()).core)
    const download = await mirror.downloadRange(
      [
        { start: 1, end: 2 },
        { start: 2, end: 3 }
      ],
      [{ start: 0, end: 3 }]
    )
    await download.done()
    expect(files.count).toBe(2)
    expect(blobs.count).toBe(3)
  })

  it('downloadDiff fetches what changed in the folder since a version', async () => {
    const { drive, mirror } = await pair()
    await drive.put('/parent/child/0', nil)
    await drive.put('/parent/sibling/0', nil)
    await drive.put('/parent/child/1', nil)
    await synced(mirror, drive)
    const files = counter(mirror.core)
    const blobs = counter((await mirror.getBlobs()).core)
    let version = drive.version
    await (await mirror.downloadDiff(version, '/parent/child')).done()
    const filesCount = files.count
    const blobsCount = blobs.count
    expect(blobsCount).toBe(0) // nothing changed since the current version
    await mirror.get('/parent/child/1')
    expect(files.count).toBe(filesCount)
    expect(blobs.count).toBe(blobsCount + 1)
    await drive.put('/parent/child/2', nil)
    await synced(mirror, drive)
    version = drive.version
    await (await mirror.downloadDiff(version, '/parent/child')).done()
    expect(blobs.count).toBe(blobsCount + 1)
    await (await mirror.downloadDiff(2, '/parent/child')).done()
    // /parent/child/1 is already here; /parent/child/2 is the one new file since version 2
    expect(blobs.count).toBe(blobsCount + 2)
    expect(await mirror.get('/parent/child/2', { wait: false })).toEqual(nil)
  })

  it('a download can be destroyed before it completes', async () => {
    const { drive, mirror } = await pair()
    await drive.put('/file', bytes(8 * 1024 * 1024, 1))
    await synced(mirror, drive)
    await mirror.getBlobs()
    const download = mirror.download('/file')
    download.destroy()
    await download.close()
    expect(mirror.blobs!.core.contiguousLength).toBeLessThan(mirror.blobs!.core.length)
    await expect(download.done()).resolves.toBeUndefined()
  })

  it('update and findingPeers follow the store', async () => {
    const { drive, mirror } = await pair()
    await drive.put('/a', 'a')
    await synced(mirror, drive)
    const done = mirror.findingPeers()
    await drive.put('/b', 'b')
    expect(await mirror.update({ wait: true })).toBe(true)
    done()
    expect(mirror.version).toBe(drive.version)
  })
})
