/**
 * `drive.monitor(name)` and `drive.mirror(out)`, differential: the same scenario on our drives and
 * on the real hyperdrive 13 (whose monitor and mirror are the judge), and the counts compared.
 */
import { ready } from '@orchard/crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Any, bytes, cleanup, collect, link, oursDrive, realDrive, until } from './helpers.ts'

beforeAll(() => ready())
afterAll(() => cleanup())

type Kind = 'ours' | 'real'
const open = (kind: Kind, key?: Uint8Array) => (kind === 'ours' ? oursDrive(key) : realDrive(key))
const buf = (kind: Kind, u: Uint8Array) => (kind === 'real' ? Buffer.from(u) : u)

/** The stats that do not depend on the clock. */
const counts = (s: Any) => ({
  blocks: s.blocks,
  monitoringBytes: s.monitoringBytes,
  totalBytes: s.totalBytes,
  targetBytes: s.targetBytes,
  targetBlocks: s.targetBlocks,
  percentage: s.percentage,
  peers: s.peers,
  started: s.startTime > 0
})

/** A writer with three files; a reader fetches one; monitors on both sides count the transfer. */
async function monitored(kind: Kind) {
  const writer = await open(kind)
  await writer.put('/before.bin', buf(kind, bytes(100_000, 1)))
  await writer.put('/media/big.bin', buf(kind, bytes(300_000, 2)))
  await writer.put('/after.bin', buf(kind, bytes(70_000, 3)))
  const reader = await open(kind, writer.key)
  const unlink = link(writer, reader)
  await until(async () => (await reader.entry('/after.bin')) !== null, 20_000, 'the reader to see the files')
  const sent = writer.monitor('/media/big.bin')
  const fetched = reader.monitor('/media/big.bin')
  const whole = reader.monitor()
  await Promise.all([sent.ready(), fetched.ready(), whole.ready()])
  let updates = 0
  fetched.on('update', () => updates++)
  const got = await reader.get('/media/big.bin')
  await until(() => sent.uploadStats.blocks === sent.uploadStats.targetBlocks, 10_000, 'the upload count')
  const result = {
    bytes: got.byteLength,
    upload: counts(sent.uploadStats),
    download: counts(fetched.downloadStats),
    downloadUntouched: counts(fetched.uploadStats),
    updates,
    wholeBlobBlocks: whole.downloadStats.blocks,
    speed: fetched.downloadSpeed() > 0
  }
  await Promise.all([sent.close(), fetched.close()])
  const open_ = { reader: reader.monitors.size, writer: writer.monitors.size }
  unlink()
  await reader.close()
  await writer.close()
  return { ...result, open: open_, wholeClosed: whole.closed }
}

describe('drive.monitor', () => {
  it("counts a file's blocks up and down as the real hyperdrive does", async () => {
    const [ours, real] = [await monitored('ours'), await monitored('real')]
    expect(ours).toEqual(real)
    // and what they agree on is what a user expects: the file's 5 blocks of 64 KiB, 100 % each way
    expect(ours.download).toMatchObject({
      blocks: 5,
      monitoringBytes: 300_000,
      targetBlocks: 5,
      percentage: 100
    })
    expect(ours.upload).toMatchObject({ blocks: 5, targetBytes: 300_000, peers: 1 })
    expect(ours.updates).toBe(5)
    // the drive is closed with its monitors: the one not closed by hand too
    expect(ours.open).toEqual({ reader: 1, writer: 0 })
    expect(ours.wholeClosed).toBe(true)
  })
})

describe('drive.mirror', () => {
  async function mirrored(kind: Kind) {
    const src = await open(kind)
    const dst = await open(kind)
    for (let i = 0; i < 12; i++) await src.put(`/f/${i}.txt`, buf(kind, bytes(i * 500, i)))
    await src.symlink('/link', '/f/1.txt')
    await dst.put('/stale.txt', buf(kind, bytes(10, 9)))
    await dst.put('/f/3.txt', buf(kind, bytes(1500, 3))) // equal: not copied
    const first = src.mirror(dst)
    const diffs = (await collect(first)).map((d: Any) => `${d.op} ${d.key}`).sort()
    const again = src.mirror(dst)
    await again.done()
    const listing = (await collect(dst.list('/'))).map((e: Any) => e.key).sort()
    const result = { diffs, count: { ...first.count }, again: { ...again.count }, listing }
    await src.close()
    await dst.close()
    return result
  }

  it('mirrors into another drive as the real hyperdrive does (prune, equal files skipped)', async () => {
    const [ours, real] = [await mirrored('ours'), await mirrored('real')]
    expect(ours).toEqual(real)
    expect(ours.count).toEqual({ files: 13, add: 12, remove: 1, change: 0 })
    expect(ours.again).toEqual({ files: 13, add: 0, remove: 0, change: 0 })
  })
})
