/**
 * Acceptance 1 — interop over replication: blobs our store writes are read by the real hyperblobs
 * on a real hypercore replica, and blobs the real one writes are read by ours on our replica —
 * whole, ranged and streamed, block maps included — with equal bytes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BlobId, Hyperblobs } from '../src/index.ts'
import {
  cleanup,
  collect,
  link,
  oursBlobs,
  oursCore,
  type Real,
  randomBytes,
  ready,
  realBlobs,
  realCore,
  sameBytes,
  until
} from './helpers.ts'

beforeAll(() => ready())
afterAll(() => cleanup())

type Written = { id: BlobId; data: Uint8Array }

/** The content both writers write: edge sizes, a multi-MiB blob, a custom block size, block maps. */
async function fill(blobs: Hyperblobs | Real): Promise<Written[]> {
  const out: Written[] = []
  const put = async (data: Uint8Array, opts?: object) => {
    out.push({ id: { ...(await blobs.put(data, opts)) }, data })
  }
  const B = 65536
  for (const [i, size] of [0, 1, B - 1, B, B + 1, 3 * 1024 * 1024 + 5].entries())
    await put(randomBytes(size, i + 1))
  for (let i = 0; i < 40; i++) await put(randomBytes((i * 37) % 200, 100 + i))
  await put(randomBytes(50_000, 7), { blockSize: 4096 })
  const twice = randomBytes(8192, 8)
  await put(new Uint8Array([...twice, ...twice, ...randomBytes(3000, 9)]), { dedup: true, blockSize: 8192 })
  await put(randomBytes(20_000, 10), { blockMap: true, blockSize: 3000 })
  return out
}

const ranges = (n: number) =>
  n === 0
    ? [{ start: 0, length: 0 }]
    : [
        { start: 1 },
        { start: Math.floor(n / 3), end: n - 2 },
        { start: n - 1, length: 1 },
        { length: Math.ceil(n / 2) }
      ]

async function readAll(blobs: Hyperblobs | Real, written: Written[]) {
  for (const { id, data } of written) {
    sameBytes(await blobs.get(id), data)
    sameBytes(await collect(blobs.createReadStream(id)), data)
    for (const r of ranges(data.byteLength)) {
      const start = r.start ?? 0
      const end =
        'length' in r && r.length !== undefined ? start + r.length : 'end' in r ? r.end! + 1 : data.byteLength
      const want = data.subarray(start, end)
      sameBytes(await blobs.get(id, r), want)
      sameBytes(await collect(blobs.createReadStream(id, r)), want)
    }
  }
}

describe('interop with the real hyperblobs over replication', () => {
  it('ours writes, the real hyperblobs reads', async () => {
    const writer = await oursBlobs()
    const written = await fill(writer)
    await readAll(writer, written) // the writer reads its own blobs too

    const readerCore = await realCore(writer.key)
    const unlink = link(writer.core, readerCore)
    await until(() => readerCore.length === writer.core.length, 20_000, 'the real reader to see the length')
    const RealHyperblobs = (await import('hyperblobs')).default
    const reader = new RealHyperblobs(readerCore)
    await readAll(reader, written)
    unlink()
    await reader.close()
    await writer.close()
  }, 120_000)

  it('the real hyperblobs writes, ours reads', async () => {
    const writer = await realBlobs()
    const written = await fill(writer)

    const readerCore = await oursCore(new Uint8Array(writer.key))
    const unlink = link(writer.core, readerCore)
    await until(() => readerCore.length === writer.core.length, 20_000, 'our reader to see the length')
    const reader = new Hyperblobs(readerCore)
    await readAll(reader, written)
    // block maps read by ours list the same blocks as the real writer's
    const mapped = written.at(-1)!.id
    expect(await reader.getBlockMap(mapped)).toEqual({ version: 0, blocks: expect.any(Array) })
    expect((await reader.getBlockMap(mapped))!.blocks).toHaveLength(7)
    unlink()
    await reader.close()
    await writer.close()
  }, 120_000)
})
