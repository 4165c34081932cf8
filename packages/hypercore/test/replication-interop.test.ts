import { ready } from '@orchard/crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  append,
  block,
  blocks,
  cleanup,
  close,
  downloadAll,
  fork,
  get,
  has,
  keyOf,
  length,
  link,
  oursCore,
  realCore,
  type Transport,
  treeHash,
  truncate,
  until
} from './interop/peers.ts'

// Replication between our cores and unmodified hypercore 11 cores, both directions, over an
// in-memory pipe and over TCP on loopback. Every block read is verified by the reader and
// compared with what the writer wrote.

beforeAll(() => ready())
afterAll(() => cleanup())

type Kind = 'ours' | 'real'
const make = (kind: Kind, key?: Uint8Array) => (kind === 'ours' ? oursCore(key) : realCore(key))

const directions: [Kind, Kind][] = [
  ['real', 'ours'],
  ['ours', 'real']
]

for (const transport of ['memory', 'tcp'] as Transport[]) {
  for (const [w, r] of directions) {
    describe(`${w} writer → ${r} reader over ${transport}`, () => {
      it('replicates 10 000 blocks fully', async () => {
        const writer = await make(w)
        for (let i = 0; i < 10_000; i += 1000) await append(writer, blocks(i, 1000))
        const reader = await make(r, keyOf(writer))
        const unlink = await link(writer, reader, transport)
        await until(() => length(reader) === 10_000, 20_000, 'the upgrade')
        await downloadAll(reader, 10_000)
        for (let i = 0; i < 10_000; i++) expect(await get(reader, i)).toEqual(block(i))
        expect(await treeHash(reader)).toEqual(await treeHash(writer))
        unlink()
        await close(writer, reader)
      }, 120_000)

      it('serves 500 random sparse gets', async () => {
        const writer = await make(w)
        await append(writer, blocks(0, 3000))
        const reader = await make(r, keyOf(writer))
        const unlink = await link(writer, reader, transport)
        await until(() => length(reader) === 3000, 20_000, 'the upgrade')
        const picks = Array.from({ length: 500 }, (_, i) => (i * 7919 + 13) % 3000)
        const got = await Promise.all(picks.map((i) => get(reader, i)))
        for (let k = 0; k < picks.length; k++) expect(got[k]).toEqual(block(picks[k]!))
        // sparse: only what was asked for is stored
        expect(await has(reader, 0, 3000)).toBe(false)
        unlink()
        await close(writer, reader)
      }, 60_000)

      it('streams live appends while connected', async () => {
        const writer = await make(w)
        await append(writer, blocks(0, 5))
        const reader = await make(r, keyOf(writer))
        const unlink = await link(writer, reader, transport)
        await until(() => length(reader) === 5, 10_000, 'the first upgrade')
        for (let round = 0; round < 10; round++) {
          await append(writer, blocks(5 + round * 3, 3))
          await until(() => length(reader) === 8 + round * 3, 10_000, `live upgrade ${round}`)
          expect(await get(reader, 7 + round * 3)).toEqual(block(7 + round * 3))
        }
        unlink()
        await close(writer, reader)
      }, 60_000)

      it('follows a remote truncation and re-append (fork)', async () => {
        const writer = await make(w)
        await append(writer, blocks(0, 40))
        const reader = await make(r, keyOf(writer))
        const unlink = await link(writer, reader, transport)
        await until(() => length(reader) === 40, 10_000, 'the upgrade')
        await downloadAll(reader, 40)
        await truncate(writer, 25)
        await append(writer, blocks(25, 30, 99)) // different data after the cut
        await until(() => fork(reader) === 1 && length(reader) === 55, 15_000, 'the reorg')
        for (const i of [0, 24, 25, 40, 54])
          expect(await get(reader, i)).toEqual(i < 25 ? block(i) : block(i, 99))
        expect(await treeHash(reader)).toEqual(await treeHash(writer))
        unlink()
        await close(writer, reader)
      }, 60_000)
    })
  }
}

describe('a three-peer mesh (ours, real, ours)', () => {
  it('assembles blocks that come from different peers', async () => {
    const writer = await oursCore()
    await append(writer, blocks(0, 400))
    const key = keyOf(writer)
    const middle = await realCore(key)
    const end = await oursCore(key)
    const downloads = { writer: 0, middle: 0 }
    const ab = await link(writer, middle, 'memory')
    await until(() => length(middle) === 400, 10_000, 'middle upgrade')
    await middle.core.download({ start: 0, end: 200 }).done()
    // the end peer reaches the writer and the real middle peer; count where blocks come from
    const bc = await link(middle, end, 'tcp')
    await until(() => length(end) === 400, 10_000, 'end upgrade from the middle')
    const middlePeer = end.core.peers[0]
    end.core.on('download', (_i: number, _bytes: number, from: unknown) => {
      if (from === middlePeer) downloads.middle++
      else downloads.writer++
    })
    await end.core.download({ start: 0, end: 200 }).done()
    const ac = await link(writer, end, 'memory')
    await downloadAll(end, 400)
    for (let i = 0; i < 400; i++) expect(await get(end, i)).toEqual(block(i))
    // the real middle peer only has blocks 0..199: those came from it, the rest from the writer
    expect(downloads.middle).toBeGreaterThanOrEqual(200)
    expect(downloads.writer).toBeGreaterThan(0)
    expect(downloads.middle + downloads.writer).toBe(400)
    ab()
    bc()
    ac()
    await close(writer, middle, end)
  }, 60_000)
})
