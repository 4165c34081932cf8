/**
 * Acceptance 1 — byte compatibility: the same puts and writes through our store and through the
 * real hyperblobs 2.9.0 (on a real hypercore 11.37.1) give the same ids, the same blocks and the
 * same tree hash — plain blobs of every edge size, many small puts, write streams with odd chunks
 * (empty ones too), a custom block size, batches, block maps and dedup.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Hyperblobs } from '../src/index.ts'
import { type BlobId, DEFAULT_BLOCK_SIZE } from '../src/index.ts'
import { blocksOf, cleanup, hex, oursBlobs, type Real, randomBytes, ready, realBlobs } from './helpers.ts'

beforeAll(() => ready())
afterAll(() => cleanup())

type Store = Hyperblobs | Real

/** Writes the same things through either store; returns the ids in order. */
type Scenario = (blobs: Store) => Promise<BlobId[]>

async function both(scenario: Scenario, opts: object = {}) {
  const ours = await oursBlobs(opts)
  const real = await realBlobs(opts)
  const oursIds = await scenario(ours)
  const realIds = await scenario(real)
  const result = {
    ours: { ids: oursIds, length: ours.core.length, byteLength: ours.core.byteLength },
    real: { ids: realIds, length: real.core.length, byteLength: real.core.byteLength },
    oursHash: hex(await ours.core.treeHash()),
    realHash: hex(await real.core.treeHash()),
    oursBlocks: (await blocksOf(ours.core)).map(hex),
    realBlocks: (await blocksOf(real.core)).map(hex)
  }
  return { stores: { ours, real }, ...result }
}

function expectSame(r: Awaited<ReturnType<typeof both>>) {
  expect(r.ours.ids).toEqual(r.real.ids)
  expect(r.ours.length).toBe(r.real.length)
  expect(r.ours.byteLength).toBe(r.real.byteLength)
  expect(r.oursBlocks).toEqual(r.realBlocks)
  expect(r.oursHash).toBe(r.realHash)
}

async function writeChunks(blobs: Store, chunks: Uint8Array[], opts: object = {}): Promise<BlobId> {
  const ws = blobs.createWriteStream(opts)
  for (const c of chunks) ws.write(c)
  ws.end()
  await new Promise<void>((resolve, reject) => {
    ws.once('error', reject)
    ws.once('close', () => resolve())
  })
  return { ...ws.id }
}

const B = DEFAULT_BLOCK_SIZE

describe('ours and the real hyperblobs write the same blocks', () => {
  it('uses a 64 KiB default block size', async () => {
    const ours = await oursBlobs()
    const real = await realBlobs()
    expect(ours.blockSize).toBe(B)
    expect(real.blockSize).toBe(B)
  })

  it('puts of edge sizes: 0 B, 1 B, blockSize - 1, blockSize, blockSize + 1, 3 MiB + 17', async () => {
    const sizes = [0, 1, B - 1, B, B + 1, 3 * 1024 * 1024 + 17, 0, 2 * B]
    const r = await both(async (blobs) => {
      const ids = []
      for (let i = 0; i < sizes.length; i++) ids.push(await blobs.put(randomBytes(sizes[i]!, i + 1)))
      return ids
    })
    expectSame(r)
    // the layout itself, not just agreement: 3 MiB + 17 is 48 full blocks and a 17-byte one
    expect(r.ours.ids[5]).toEqual({
      blockOffset: 5,
      byteOffset: 3 * B + 1,
      blockLength: 49,
      byteLength: 3 * 1024 * 1024 + 17
    })
    expect(r.ours.ids[0]).toEqual({ blockOffset: 0, byteOffset: 0, blockLength: 0, byteLength: 0 })
    expect(r.ours.length).toBe(0 + 1 + 1 + 1 + 2 + 49 + 0 + 2)
  })

  it('several MiB in one put (10 MiB + 3)', async () => {
    const blob = randomBytes(10 * 1024 * 1024 + 3, 99)
    const r = await both(async (blobs) => [await blobs.put(blob)])
    expectSame(r)
    expect(r.ours.ids[0]!.blockLength).toBe(161)
  }, 120_000)

  it('many small puts, strings among them', async () => {
    const r = await both(async (blobs) => {
      const ids = []
      for (let i = 0; i < 300; i++) {
        const size = (i * 7919) % 301
        ids.push(await blobs.put(i % 10 === 0 ? `blob number ${i} ✓` : randomBytes(size, i)))
      }
      return ids
    })
    expectSame(r)
  }, 60_000)

  it('a custom block size, on the store and per put', async () => {
    const r = await both(
      async (blobs) => [
        await blobs.put(randomBytes(10_000, 1)),
        await blobs.put(randomBytes(999, 2)),
        await blobs.put(randomBytes(1000, 3)),
        await blobs.put(randomBytes(5000, 4), { blockSize: 333 })
      ],
      { blockSize: 1000 }
    )
    expectSame(r)
    expect(r.ours.ids[0]!.blockLength).toBe(10)
    expect(r.ours.ids[3]!.blockLength).toBe(Math.ceil(5000 / 333))
  })

  it('concurrent puts are serialized into contiguous blobs', async () => {
    const r = await both(async (blobs) => {
      const puts = []
      for (let i = 0; i < 12; i++) puts.push(blobs.put(randomBytes(i * 20_000, i)))
      return Promise.all(puts)
    })
    expectSame(r)
  })

  it('write streams: one block per chunk, empty chunks included, appended 16 at a time', async () => {
    const chunks: Uint8Array[] = []
    for (let i = 0; i < 70; i++)
      chunks.push(i % 9 === 4 ? new Uint8Array(0) : randomBytes((i * 4099) % 9000, i))
    const r = await both(async (blobs) => [
      await writeChunks(blobs, chunks),
      await writeChunks(blobs, []),
      await writeChunks(blobs, [new Uint8Array(0)]),
      await writeChunks(blobs, chunks.slice(0, 16))
    ])
    expectSame(r)
    expect(r.ours.ids[0]!.blockLength).toBe(70)
    expect(r.ours.ids[2]).toEqual({
      blockOffset: 70,
      byteOffset: r.ours.ids[1]!.byteOffset,
      blockLength: 1,
      byteLength: 0
    })
  })

  it('batches', async () => {
    const r = await both(async (blobs) => {
      await blobs.put(randomBytes(100, 1))
      const batch = blobs.batch()
      const ids = [await batch.put(randomBytes(B * 2 + 5, 2)), await batch.put(randomBytes(0, 3))]
      ids.push(await batch.put(randomBytes(77, 4)))
      await batch.flush()
      ids.push(await blobs.put(randomBytes(10, 5)))
      return ids
    })
    expectSame(r)
  })

  it('block maps and dedup: same maps, same reused blocks', async () => {
    const a = randomBytes(4000, 1)
    const b = randomBytes(4000, 2)
    const c = randomBytes(4000, 3)
    const twice = new Uint8Array([...a, ...b, ...a, ...a])
    const r = await both(
      async (blobs) => {
        const ids: BlobId[] = []
        ids.push(await blobs.put(twice, { blockMap: true }))
        ids.push(await blobs.put(twice, { dedup: true })) // within itself: a, b, then a again twice
        const prev = ids[1]!
        ids.push(await writeChunks(blobs, [b, c, a, c], { dedup: true, blob: prev })) // reuses b and a of prev
        const plain = await blobs.put(new Uint8Array([...c, ...b]))
        ids.push(plain)
        ids.push(await writeChunks(blobs, [b, b, a, c], { dedup: true, blob: plain })) // reuses c, b of a plain blob
        ids.push(await writeChunks(blobs, [], { blockMap: true }))
        ids.push(await blobs.put(new Uint8Array([...a, ...c]), { dedup: true, blob: ids[2] }))
        return ids
      },
      { blockSize: 4000 }
    )
    expectSame(r)
    expect(r.ours.ids[1]).toMatchObject({ blockMap: true, blockLength: 1 })
    // dedup appended only a and b (2 data blocks) then the map
    expect(r.ours.ids[1]!.blockOffset - r.ours.ids[0]!.blockOffset - r.ours.ids[0]!.blockLength).toBe(2)
  })

  it('a block map over 8192 entries spans several map blocks', async () => {
    const chunks: Uint8Array[] = []
    for (let i = 0; i < 8200; i++) chunks.push(new Uint8Array([i & 0xff, i >> 8]))
    const r = await both(async (blobs) => [await writeChunks(blobs, chunks, { blockMap: true })])
    expectSame(r)
    expect(r.ours.ids[0]!.blockLength).toBe(2)
  }, 60_000)
})

describe('where the real hyperblobs throws a TypeError, ours answers', () => {
  it('an empty block map reads as an empty blob, and dedup against it writes every block', async () => {
    const ours = await oursBlobs({ blockSize: 4 })
    const ws = ours.createWriteStream({ blockMap: true })
    ws.end()
    const empty = await ws.done()
    expect(empty).toEqual({ blockOffset: 0, byteOffset: 0, blockLength: 0, byteLength: 0, blockMap: true })
    expect(await ours.get(empty)).toEqual(new Uint8Array(0))
    expect(await ours.getBlockMap(empty)).toEqual({ version: 0, blocks: [] })
    const id = await ours.put(new Uint8Array([1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1]), {
      dedup: true,
      blob: empty
    })
    // blocks 0 and 1 are new, the third repeats block 0: the map is [0, 1, 0]
    expect(await ours.getBlockMap(id)).toEqual({
      version: 0,
      blocks: [
        { index: 0, byteLength: 4 },
        { index: 1, byteLength: 4 },
        { index: 0, byteLength: 4 }
      ]
    })
    expect(await ours.get(id, { start: 6, length: 4 })).toEqual(new Uint8Array([2, 2, 1, 1]))
  })
})
