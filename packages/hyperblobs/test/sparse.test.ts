/**
 * Acceptance 3 — sparse reads from a remote peer: a byte range in the middle of a 10 MiB blob,
 * read on a replica, downloads exactly the blocks covering the range — no neighbours, no
 * read-ahead past its end — whether the writer is ours or the real hyperblobs, through `get` or a
 * read stream, with a small or a large prefetch window.
 */
import type { Hypercore } from '@orchard/hypercore'
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
  sameBytes,
  until
} from './helpers.ts'

beforeAll(() => ready())
afterAll(() => cleanup())

const B = 65536
const MiB = 1024 * 1024
const data = randomBytes(10 * MiB, 42)

/** A writer (ours or real) holding a small blob, then the 10 MiB blob. */
async function writer(kind: 'ours' | 'real'): Promise<{ blobs: Real; id: BlobId }> {
  const blobs = kind === 'ours' ? await oursBlobs() : await realBlobs()
  await blobs.put(randomBytes(1000, 1))
  const id = { ...(await blobs.put(data)) }
  return { blobs, id }
}

/** A fresh replica of the writer's core (ours), linked, with the blocks it downloads recorded. */
async function replica(
  w: Real
): Promise<{ blobs: Hyperblobs; core: Hypercore; downloaded: number[]; unlink: () => void }> {
  const core = await oursCore(new Uint8Array(w.core.key))
  const downloaded: number[] = []
  core.on('download', (index) => downloaded.push(index))
  const unlink = link(w.core, core)
  await until(() => core.length === w.core.length, 20_000, 'the replica to see the length')
  return { blobs: new Hyperblobs(core), core, downloaded, unlink }
}

/** The blocks covering bytes `[start, end)` of blob `id` (every block but the last is B bytes). */
function covering(id: BlobId, start: number, end: number): number[] {
  const out: number[] = []
  for (let i = Math.floor(start / B); i <= Math.floor((end - 1) / B); i++) out.push(id.blockOffset + i)
  return out
}

describe('a ranged read on a replica downloads only the covering blocks', () => {
  for (const kind of ['ours', 'real'] as const) {
    it(`${kind} writer: get, streams, small and large prefetch windows`, async () => {
      const w = await writer(kind)
      expect(w.id).toEqual({ blockOffset: 1, byteOffset: 1000, blockLength: 160, byteLength: 10 * MiB })

      // get: 1 MiB + 777 bytes from 3 MiB + 12 345, so neither end is on a block boundary
      {
        const r = await replica(w.blobs)
        const start = 3 * MiB + 12_345
        const length = MiB + 777
        sameBytes(await r.blobs.get(w.id, { start, length }), data.subarray(start, start + length))
        const want = covering(w.id, start, start + length)
        expect(want).toHaveLength(17) // blocks 48..64 of the blob
        expect([...r.downloaded].sort((a, b) => a - b)).toEqual(want)
        expect(await r.core.has(want[0]! - 1)).toBe(false)
        expect(await r.core.has(want.at(-1)! + 1)).toBe(false)
        expect(await r.core.has(want[0]!, want.at(-1)! + 1)).toBe(true)
        // read again: all local, nothing more fetched
        sameBytes(
          await r.blobs.get(w.id, { start: start + 10, length: 1000 }),
          data.subarray(start + 10, start + 1010)
        )
        expect(r.downloaded).toHaveLength(want.length)
        r.unlink()
        await r.core.close()
      }

      // a read stream, with an inclusive end, and the default (64-block) window larger than the range
      {
        const r = await replica(w.blobs)
        const start = 7 * MiB - 1
        const end = 7 * MiB + 5 * B + 3 // inclusive
        sameBytes(
          await collect(r.blobs.createReadStream(w.id, { start, end })),
          data.subarray(start, end + 1)
        )
        expect([...r.downloaded].sort((a, b) => a - b)).toEqual(covering(w.id, start, end + 1))
        r.unlink()
        await r.core.close()
      }

      // a long range with a 4-block window: the prefetcher slides, and still stops at the range's end
      {
        const r = await replica(w.blobs)
        const start = B * 20 + 1
        const length = B * 50
        const stream = r.blobs.createReadStream(w.id, { start, length, prefetch: 4 })
        sameBytes(await collect(stream), data.subarray(start, start + length))
        expect([...r.downloaded].sort((a, b) => a - b)).toEqual(covering(w.id, start, start + length))
        r.unlink()
        await r.core.close()
      }

      // a range of one byte in the last block, and the whole small blob before it
      {
        const r = await replica(w.blobs)
        sameBytes(await r.blobs.get(w.id, { start: 10 * MiB - 1 }), data.subarray(10 * MiB - 1))
        sameBytes(
          await r.blobs.get({ blockOffset: 0, byteOffset: 0, blockLength: 1, byteLength: 1000 }),
          randomBytes(1000, 1)
        )
        expect([...r.downloaded].sort((a, b) => a - b)).toEqual([0, 160])
        r.unlink()
        await r.core.close()
      }
      await w.blobs.close()
    }, 120_000)
  }

  it('a monitor counts the downloaded blocks of its blob', async () => {
    const w = await writer('ours')
    const r = await replica(w.blobs)
    const monitor = r.blobs.monitor(w.id)
    let updates = 0
    monitor.on('update', () => updates++)
    expect(monitor.peers).toBe(1)
    await r.blobs.get(w.id, { start: 0, length: 3 * B })
    expect(monitor.downloadStats.blocks).toBe(3)
    expect(monitor.downloadStats.monitoringBytes).toBe(3 * B)
    expect(monitor.downloadStats.percentage).toBe(Math.round((3 / 160) * 10000) / 100)
    expect(updates).toBeGreaterThanOrEqual(3)
    monitor.close()
    await r.blobs.get(w.id, { start: 3 * B, length: B })
    expect(monitor.downloadStats.blocks).toBe(3) // closed: no longer counting
    r.unlink()
    await r.core.close()
    await w.blobs.close()
  }, 60_000)
})
