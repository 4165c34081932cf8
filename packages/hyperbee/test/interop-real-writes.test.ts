/**
 * Acceptance 2 — interop, the real writer: a bee written by the real hyperbee and replicated to our
 * core is read by us exactly as the writer reads it; and our reader is sparse — a ranged scan
 * downloads only the blocks on its paths.
 */
import { ready } from '@orchard/crypto'
import { Hypercore } from '@orchard/hypercore'
import { openMemoryStorage } from '@orchard/storage'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Hyperbee } from '../src/index.ts'
import { cleanup, collect, plain, realBee } from './helpers.ts'
import { enc, fill, key, readAll } from './interop-scenario.ts'
import { link, until } from './link.ts'

beforeAll(() => ready())
afterAll(() => cleanup())

describe('the real hyperbee writes, ours reads over replication', () => {
  it('answers every read like the writer', async () => {
    const writer = await realBee(enc)
    const versions = await fill(writer)
    const expected = await readAll(writer, versions)

    const readerCore = new Hypercore(openMemoryStorage(), new Uint8Array(writer.key))
    await readerCore.ready()
    const unlink = link({ kind: 'real', core: writer.core }, { kind: 'ours', core: readerCore })
    await until(() => readerCore.length === writer.core.length, 20_000, 'our reader to see the length')
    const reader = new Hyperbee(readerCore, enc)
    expect(await readAll(reader, versions)).toEqual(expected)
    unlink()
    await reader.close()
    await writer.close()
  }, 120_000)

  it('is sparse: a ranged scan downloads only the blocks on its paths', async () => {
    const writer = await realBee(enc)
    await fill(writer)
    const length = writer.core.length
    const readerCore = new Hypercore(openMemoryStorage(), new Uint8Array(writer.key))
    await readerCore.ready()
    const downloaded = new Set<number>()
    readerCore.on('download', (i) => downloaded.add(i))
    const unlink = link({ kind: 'real', core: writer.core }, { kind: 'ours', core: readerCore })
    await until(() => readerCore.length === length, 20_000, 'our reader to see the length')
    const reader = new Hyperbee<string, unknown>(readerCore, enc)

    const got = await collect(reader.createReadStream({ gte: key(1000), lt: key(1020) }))
    const want = await collect(writer.createReadStream({ gte: key(1000), lt: key(1020) }))
    expect(plain(got)).toEqual(plain(want))
    expect(got.length).toBeGreaterThan(10)
    // the scan needs its entries' blocks plus the nodes on a few root-to-leaf paths: a few dozen,
    // not the ~2 300 blocks of the bee
    expect(downloaded.size).toBeGreaterThanOrEqual(got.length)
    expect(downloaded.size).toBeLessThan(80)
    expect(await readerCore.has(0, length)).toBe(false)
    for (const e of got) expect(await readerCore.has(e.seq)).toBe(true)

    const before = downloaded.size
    expect(plain(await reader.get(key(1005)))).toEqual(plain(await writer.get(key(1005))))
    expect(downloaded.size).toBe(before) // its path is cached/stored already
    unlink()
    await reader.close()
    await writer.close()
  }, 120_000)
})
