/**
 * Acceptance 5 — bad input raises typed errors: malformed ids (negative, fractional, NaN, past
 * 2^53, missing fields, bytes without blocks), ids that do not match the core, bad ranges, bad
 * block sizes and blobs, corrupt block maps; and the core's own typed errors pass through
 * (timeouts, writes to a replica) without leaving the store locked.
 */
import type { Hypercore } from '@orchard/hypercore'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  BadArgumentError,
  type BlobId,
  Hyperblobs,
  HyperblobsError,
  InvalidBlobIdError,
  InvalidBlockMapError,
  InvalidRangeError
} from '../src/index.ts'
import { collect, oursBlobs, oursCore, randomBytes, ready } from './helpers.ts'

beforeAll(() => ready())

const good: BlobId = { blockOffset: 0, byteOffset: 0, blockLength: 2, byteLength: 100 }

const badIds: Array<[string, unknown]> = [
  ['null', null],
  ['a number', 3],
  ['a negative blockOffset', { ...good, blockOffset: -1 }],
  ['a negative byteLength', { ...good, byteLength: -5 }],
  ['a fractional byteOffset', { ...good, byteOffset: 1.5 }],
  ['a NaN blockLength', { ...good, blockLength: Number.NaN }],
  ['a string field', { ...good, byteLength: '100' }],
  ['a missing field', { blockOffset: 0, byteOffset: 0, blockLength: 2 }],
  ['an offset past 2^53', { ...good, byteOffset: 2 ** 53 }],
  ['an end past 2^53', { ...good, blockOffset: Number.MAX_SAFE_INTEGER, blockLength: 2 }],
  ['bytes in no blocks', { ...good, blockLength: 0 }],
  ['Infinity', { ...good, byteLength: Number.POSITIVE_INFINITY }]
]

describe('bad ids', () => {
  for (const [what, id] of badIds) {
    it(`${what}: every entry point throws InvalidBlobIdError`, async () => {
      const blobs = await oursBlobs()
      await blobs.put(randomBytes(100, 1), { blockSize: 50 })
      const asId = id as BlobId
      await expect(blobs.get(asId)).rejects.toBeInstanceOf(InvalidBlobIdError)
      await expect(blobs.get(asId, { start: 1 })).rejects.toBeInstanceOf(InvalidBlobIdError)
      expect(() => blobs.createReadStream(asId)).toThrow(InvalidBlobIdError)
      await expect(blobs.clear(asId)).rejects.toBeInstanceOf(InvalidBlobIdError)
      await expect(blobs.getBlockMap(asId)).rejects.toBeInstanceOf(InvalidBlobIdError)
      // (`blob: null` is allowed there: no previous version)
      if (id !== null)
        expect(() => blobs.createWriteStream({ dedup: true, blob: asId })).toThrow(InvalidBlobIdError)
      await expect(blobs.batch().get(asId)).rejects.toBeInstanceOf(InvalidBlobIdError)
      const err = await blobs.get(asId).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(HyperblobsError)
      expect((err as HyperblobsError).code).toBe('INVALID_BLOB_ID')
      expect(blobs.core.length).toBe(2)
      expect(blobs.locked).toBe(false)
    })
  }

  it('a block map id over 64 blocks is refused before any read', async () => {
    const blobs = await oursBlobs()
    const id = { blockOffset: 0, byteOffset: 0, blockLength: 65, byteLength: 1000, blockMap: true }
    await expect(blobs.get(id)).rejects.toBeInstanceOf(InvalidBlockMapError)
    expect(() => blobs.createReadStream(id)).toThrow(InvalidBlockMapError)
  })

  it('ids that do not match the core', async () => {
    const blobs = await oursBlobs({ blockSize: 10 })
    const id = await blobs.put(randomBytes(45, 1)) // blocks 0..4
    await blobs.put(randomBytes(30, 2)) // blocks 5..7
    // more bytes than its blocks hold
    const tooLong = { ...id, byteLength: 50 }
    await expect(blobs.get(tooLong)).rejects.toBeInstanceOf(InvalidBlobIdError)
    await expect(collect(blobs.createReadStream(tooLong))).rejects.toBeInstanceOf(InvalidBlobIdError)
    await expect(blobs.get(tooLong, { start: 44 })).rejects.toBeInstanceOf(InvalidBlobIdError)
    // a byte offset that puts the range in another blob's blocks
    const shifted = { ...id, byteOffset: 50 }
    await expect(blobs.get(shifted, { start: 10 })).rejects.toBeInstanceOf(InvalidBlobIdError)
    // fewer bytes than its blocks hold: the whole-blob read notices
    await expect(blobs.get({ ...id, byteLength: 44 })).rejects.toBeInstanceOf(InvalidBlobIdError)
  })

  it('a block map id pointing at data that is not a block map', async () => {
    const blobs = await oursBlobs()
    await blobs.put(new Uint8Array([7, 1, 2, 3])) // version 7
    await blobs.put(new Uint8Array([0, 50, 1])) // 50 entries announced, 1 byte left
    const notAMap = { blockOffset: 0, byteOffset: 0, blockLength: 1, byteLength: 4, blockMap: true }
    await expect(blobs.get(notAMap)).rejects.toBeInstanceOf(InvalidBlockMapError)
    await expect(
      blobs.get({ ...notAMap, blockOffset: 1, byteOffset: 4, byteLength: 3 })
    ).rejects.toBeInstanceOf(InvalidBlockMapError)
    // a well-formed map whose entry lies about its block's size
    await blobs.core.append(new Uint8Array([0, 1, 0, 9])) // block 0 holds 4 bytes, not 9
    const lying = { blockOffset: 2, byteOffset: 7, blockLength: 1, byteLength: 4, blockMap: true }
    await expect(blobs.get(lying)).rejects.toBeInstanceOf(InvalidBlockMapError)
  })
})

describe('bad ranges', () => {
  const ranges: Array<[string, object]> = [
    ['a negative start', { start: -1 }],
    ['a fractional start', { start: 0.5 }],
    ['a NaN start', { start: Number.NaN }],
    ['a start past the end', { start: 101 }],
    ['an end past the blob', { end: 100 }],
    ['an end before start - 1', { start: 10, end: 8 }],
    ['a fractional end', { end: 3.5 }],
    ['a negative length', { length: -1 }],
    ['a length past the blob', { start: 50, length: 51 }],
    ['a string length', { length: '5' }]
  ]
  for (const [what, range] of ranges) {
    it(`${what} throws InvalidRangeError`, async () => {
      const blobs = await oursBlobs({ blockSize: 30 })
      const id = await blobs.put(randomBytes(100, 1))
      await expect(blobs.get(id, range)).rejects.toBeInstanceOf(InvalidRangeError)
      expect(() => blobs.createReadStream(id, range)).toThrow(InvalidRangeError)
      const err = await blobs.get(id, range).catch((e: unknown) => e)
      expect((err as HyperblobsError).code).toBe('INVALID_RANGE')
      // a block map's range is checked against the data it maps, once the map is read
      const mapped = await blobs.put(randomBytes(100, 1), { blockMap: true })
      await expect(blobs.get(mapped, range)).rejects.toBeInstanceOf(InvalidRangeError)
    })
  }

  it('the edges are valid: start at the end, end at start - 1, length 0', async () => {
    const blobs = await oursBlobs({ blockSize: 30 })
    const id = await blobs.put(randomBytes(100, 1))
    expect(await blobs.get(id, { start: 100 })).toEqual(new Uint8Array(0))
    expect(await blobs.get(id, { start: 10, end: 9 })).toEqual(new Uint8Array(0))
    expect(await blobs.get(id, { start: 100, length: 0 })).toEqual(new Uint8Array(0))
    expect(await blobs.get(id, { end: 99 })).toHaveLength(100)
  })
})

describe('bad arguments', () => {
  it('block sizes', async () => {
    const core = await oursCore()
    for (const blockSize of [0, -1, 1.5, Number.NaN, '10']) {
      expect(() => new Hyperblobs(core, { blockSize: blockSize as number })).toThrow(BadArgumentError)
    }
    const blobs = new Hyperblobs(core)
    await expect(blobs.put(new Uint8Array(10), { blockSize: 0 })).rejects.toBeInstanceOf(BadArgumentError)
    expect(core.length).toBe(0)
    expect(blobs.locked).toBe(false)
  })

  it('blobs and chunks that are not bytes', async () => {
    const blobs = await oursBlobs()
    for (const blob of [123, null, undefined, { length: 3 }, [1, 2, 3]]) {
      await expect(blobs.put(blob as unknown as Uint8Array)).rejects.toBeInstanceOf(BadArgumentError)
    }
    const ws = blobs.createWriteStream()
    expect(() => ws.write(42 as unknown as Uint8Array)).toThrow(BadArgumentError)
    ws.end()
    expect(await ws.done()).toEqual({ blockOffset: 0, byteOffset: 0, blockLength: 0, byteLength: 0 })
    // other views and strings are bytes
    expect(await blobs.put(new Uint16Array([1, 2]))).toMatchObject({ byteLength: 4 })
    expect(await blobs.put('héllo')).toMatchObject({ byteLength: 6 })
  })

  it('a store needs a core', () => {
    expect(() => new Hyperblobs({} as Hypercore)).toThrow(BadArgumentError)
    expect(() => new Hyperblobs(null as unknown as Hypercore)).toThrow(BadArgumentError)
  })
})

describe("the core's errors pass through", () => {
  it('a get that times out on a replica with no peers', async () => {
    const writer = await oursBlobs()
    const id = await writer.put(randomBytes(10, 1))
    const reader = new Hyperblobs(await oursCore(writer.key))
    await expect(reader.get(id, { timeout: 50 })).rejects.toMatchObject({ code: 'REQUEST_TIMEOUT' })
    await expect(reader.get(id, { timeout: 50, start: 2 })).rejects.toMatchObject({ code: 'REQUEST_TIMEOUT' })
    expect(await reader.get(id, { wait: false })).toBeNull()
  })

  it('a put to a read-only replica fails and releases the store', async () => {
    const writer = await oursBlobs()
    const reader = new Hyperblobs(await oursCore(writer.key))
    await expect(reader.put(randomBytes(10, 1))).rejects.toMatchObject({ code: 'SESSION_NOT_WRITABLE' })
    expect(reader.locked).toBe(false)
  })
})
