/**
 * Acceptance 2 — range reads: `get` and `createReadStream` with `start`/`end`/`length` return
 * exactly the slice of the original blob, for random blobs, block sizes, chunkings, block maps and
 * ranges (fast-check), and agree with the real hyperblobs on every range it reads correctly.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BlobId, Hyperblobs, RangeOptions } from '../src/index.ts'
import {
  cleanup,
  collect,
  oursBlobs,
  type Real,
  randomBytes,
  ready,
  realBlobs,
  sameBytes
} from './helpers.ts'

beforeAll(() => ready())
afterAll(() => cleanup())

/** The half-open slice a range option selects, by hyperblobs' rules (inclusive `end`, `length` first). */
function sliceOf(n: number, r: RangeOptions): [number, number] {
  const start = r.start ?? 0
  if (r.length !== undefined) return [start, start + r.length]
  if (r.end !== undefined) return [start, r.end + 1]
  return [start, n]
}

/** Any valid range of a blob of `n` bytes, in each of hyperblobs' spellings. */
const rangeOf = (n: number): fc.Arbitrary<RangeOptions> =>
  fc.integer({ min: 0, max: n }).chain((start) =>
    fc.oneof(
      fc.constant({}),
      fc.constant({ start }),
      fc.integer({ min: start - 1, max: n - 1 }).map((end) => ({ start, end })),
      fc.integer({ min: 0, max: n - start }).map((length) => ({ start, length })),
      fc.integer({ min: -1, max: n - 1 }).map((end) => ({ end })),
      fc.integer({ min: 0, max: n }).map((length) => ({ length }))
    )
  )

/** How a blob is written: cut by a block size, or as odd chunks (empty ones too), maybe with a block map. */
const layout = fc.record({
  size: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 40_000 })),
  seed: fc.integer({ min: 1, max: 1 << 30 }),
  blockSize: fc.integer({ min: 1, max: 5000 }),
  chunked: fc.boolean(),
  map: fc.constantFrom('none', 'none', 'blockMap', 'dedup')
})

type Layout = typeof layout extends fc.Arbitrary<infer L> ? L : never

async function write(blobs: Hyperblobs | Real, data: Uint8Array, l: Layout): Promise<BlobId> {
  const opts = l.map === 'none' ? {} : { [l.map]: true }
  if (!l.chunked) return { ...(await blobs.put(data, { ...opts, blockSize: l.blockSize })) }
  const ws = blobs.createWriteStream(opts)
  // chunk sizes from the seed: 0 .. 2 × blockSize, so empty chunks and repeats occur
  let i = 0
  let k = l.seed
  while (i < data.byteLength) {
    k = (Math.imul(k, 1103515245) + 12345) >>> 0
    const n = k % (2 * l.blockSize + 1)
    ws.write(data.subarray(i, i + n))
    i += n
  }
  ws.end()
  await new Promise<void>((resolve, reject) => {
    ws.once('error', reject)
    ws.once('close', () => resolve())
  })
  return { ...ws.id }
}

describe('range reads', () => {
  it('equal the slice of the original, and the real hyperblobs agrees (fast-check)', async () => {
    const ours = await oursBlobs()
    const real = await realBlobs()
    let checked = 0
    await fc.assert(
      fc.asyncProperty(
        layout.chain((l) =>
          fc.tuple(fc.constant(l), fc.array(rangeOf(l.size), { minLength: 1, maxLength: 6 }))
        ),
        async ([l, ranges]) => {
          // repeated blocks give dedup something to find
          const half = randomBytes(Math.ceil(l.size / 2), l.seed)
          const data = new Uint8Array(l.size)
          data.set(half)
          data.set(half.subarray(0, l.size - half.byteLength), half.byteLength)
          const id = await write(ours, data, l)
          expect(await write(real, data, l)).toEqual(id)
          // a blob after it: the real hyperblobs seeks to `start` even for an empty range, and a
          // seek to the core's very end waits for it to grow
          await ours.put(new Uint8Array([1]))
          await real.put(new Uint8Array([1]))
          for (const r of ranges) {
            const [s, e] = sliceOf(data.byteLength, r)
            const want = data.subarray(s, e)
            sameBytes(await ours.get(id, r), want)
            sameBytes(await collect(ours.createReadStream(id, r)), want)
            // the real block-map reader throws a TypeError for an empty map and for `start` at the
            // blob's end (it indexes past its list); compare it everywhere else
            if (!id.blockMap || s < data.byteLength) sameBytes(await real.get(id, r), want)
            checked++
          }
        }
      ),
      { numRuns: 150 }
    )
    expect(checked).toBeGreaterThan(150)
    await ours.close()
    await real.close()
  }, 120_000)

  it('yields one chunk per block touched, cut at the range ends', async () => {
    const blobs = await oursBlobs({ blockSize: 10 })
    await blobs.put(randomBytes(7, 1)) // the blob does not start at byte 0 of the core
    const data = randomBytes(30, 2)
    const id = await blobs.put(data)
    const sizes = async (r: RangeOptions) => {
      const out: number[] = []
      for await (const chunk of blobs.createReadStream(id, r)) out.push(chunk.byteLength)
      return out
    }
    expect(await sizes({})).toEqual([10, 10, 10])
    expect(await sizes({ start: 5, end: 24 })).toEqual([5, 10, 5])
    expect(await sizes({ start: 10, length: 10 })).toEqual([10])
    expect(await sizes({ start: 9, length: 2 })).toEqual([1, 1])
    expect(await sizes({ start: 29 })).toEqual([1])
    expect(await sizes({ start: 30 })).toEqual([])
    expect(await sizes({ start: 12, end: 11 })).toEqual([])
    expect(await sizes({ end: 0 })).toEqual([1])
    sameBytes(await blobs.get(id, { start: 5, end: 24 }), data.subarray(5, 25))
    // `length` wins over `end`, as in hyperblobs
    sameBytes(await blobs.get(id, { start: 3, end: 4, length: 20 }), data.subarray(3, 23))
  })

  it('reads through another core with the `core` option (a snapshot)', async () => {
    const blobs = await oursBlobs({ blockSize: 100 })
    const data = randomBytes(1000, 3)
    const id = await blobs.put(data)
    const snap = blobs.core.snapshot()
    await blobs.put(randomBytes(500, 4))
    sameBytes(await blobs.get(id, { core: snap }), data)
    sameBytes(
      await collect(blobs.createReadStream(id, { core: snap, start: 150, length: 500 })),
      data.subarray(150, 650)
    )
    expect(snap.length).toBe(10)
    await snap.close()
  })
})
