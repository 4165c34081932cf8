/**
 * Acceptance 4 — clear: clearing a blob deletes its blocks from local storage (`has()` false) and
 * nothing else; a later `get`/ranged `get` with `wait: false` resolves null and a read stream
 * fails with `BLOCK_NOT_AVAILABLE` — exactly as the real hyperblobs behaves; a replica that cleared
 * a blob fetches it again from its peer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BlobId, BlockNotAvailableError, Hyperblobs } from '../src/index.ts'
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

/** What a store (ours or real) shows after clearing the middle of three blobs. */
async function scenario(blobs: Hyperblobs | Real) {
  const a = await blobs.put(randomBytes(100, 1))
  const b: BlobId = await blobs.put(randomBytes(5000, 2), { blockSize: 1000 })
  const c = await blobs.put(randomBytes(300, 3))
  const before = await blobs.core.has(b.blockOffset, b.blockOffset + b.blockLength)
  const cleared = await blobs.clear(b)
  const has = []
  for (let i = 0; i < blobs.core.length; i++) has.push(await blobs.core.has(i))
  let streamError: string | null = null
  try {
    await collect(blobs.createReadStream(b, { wait: false }))
  } catch (err) {
    streamError = (err as { code?: string }).code ?? 'no code'
  }
  return {
    before,
    cleared,
    has,
    length: blobs.core.length,
    whole: await blobs.get(b, { wait: false }),
    ranged: await blobs.get(b, { wait: false, start: 1500, length: 10 }),
    streamError,
    others: [Buffer.from(await blobs.get(a)).toString('hex'), Buffer.from(await blobs.get(c)).toString('hex')]
  }
}

describe('clear', () => {
  it('frees the blob blocks locally; later reads without waiting fail as in the real hyperblobs', async () => {
    const ours = await scenario(await oursBlobs())
    const real = await scenario(await realBlobs())
    expect(ours).toEqual(real)
    expect(ours.before).toBe(true)
    expect(ours.cleared).toBeNull()
    expect(ours.has).toEqual([true, false, false, false, false, false, true])
    expect(ours.whole).toBeNull()
    expect(ours.ranged).toBeNull()
    expect(ours.streamError).toBe('BLOCK_NOT_AVAILABLE')
  })

  it('reports the blocks freed with `diff`, and throws the typed error from a stream', async () => {
    const blobs = await oursBlobs({ blockSize: 10 })
    const id = await blobs.put(randomBytes(95, 1))
    expect(await blobs.clear(id, { diff: true })).toEqual({ blocks: 10 })
    expect(await blobs.clear(id, { diff: true })).toEqual({ blocks: 0 })
    await expect(collect(blobs.createReadStream(id, { wait: false, start: 3 }))).rejects.toBeInstanceOf(
      BlockNotAvailableError
    )
    expect(blobs.core.length).toBe(10) // the core keeps its length
  })

  it('clears a block map and the blocks it lists', async () => {
    const blobs = await oursBlobs({ blockSize: 10 })
    const id = await blobs.put(randomBytes(35, 1), { blockMap: true })
    expect(id).toMatchObject({ blockOffset: 4, blockLength: 1, blockMap: true })
    const after = await blobs.put(randomBytes(5, 2))
    expect(await blobs.clear(id, { diff: true })).toEqual({ blocks: 5 })
    for (let i = 0; i < 5; i++) expect(await blobs.core.has(i)).toBe(false)
    expect(await blobs.core.has(after.blockOffset)).toBe(true)
    expect(await blobs.get(id, { wait: false })).toBeNull()
  })

  it('a replica that cleared a blob downloads it again from its peer', async () => {
    const writer = await oursBlobs()
    const data = randomBytes(200_000, 5)
    const id = await writer.put(data)
    const core = await oursCore(writer.key)
    const unlink = link(writer.core, core)
    await until(() => core.length === writer.core.length, 20_000, 'the replica to see the length')
    const reader = new Hyperblobs(core)
    sameBytes(await reader.get(id), data)
    await reader.clear(id)
    expect(await core.has(id.blockOffset)).toBe(false)
    expect(await reader.get(id, { wait: false })).toBeNull()
    sameBytes(await reader.get(id, { start: 70_000, length: 10 }), data.subarray(70_000, 70_010))
    expect(await core.has(id.blockOffset + 1)).toBe(true) // only the block holding the range
    expect(await core.has(id.blockOffset)).toBe(false)
    unlink()
    await reader.close()
    await writer.close()
  }, 60_000)
})
