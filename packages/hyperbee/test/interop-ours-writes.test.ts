/**
 * Acceptance 2 — interop, our writer: a bee written by us and replicated to a real hypercore is
 * read by the real hyperbee exactly as we read it: gets, full and ranged scans in both directions
 * with limits, peeks, history and diff streams, subs and checkouts.
 */
import { ready } from '@orchard/crypto'
import RealHyperbee from 'hyperbee'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanup, oursBee, realCore } from './helpers.ts'
import { enc, fill, readAll } from './interop-scenario.ts'
import { link, until } from './link.ts'

beforeAll(() => ready())
afterAll(() => cleanup())

describe('ours writes, the real hyperbee reads over replication', () => {
  it('answers every read like the writer', async () => {
    const writer = await oursBee(enc)
    const versions = await fill(writer)
    const expected = await readAll(writer, versions)

    const readerCore = await realCore(writer.key)
    const unlink = link({ kind: 'ours', core: writer.core }, { kind: 'real', core: readerCore })
    await until(() => readerCore.length === writer.core.length, 20_000, 'the real reader to see the length')
    const reader = new RealHyperbee(readerCore, { ...enc, extension: false })
    await reader.ready()
    expect(await readAll(reader, versions)).toEqual(expected)
    unlink()
    await reader.close()
    await writer.close()
  }, 120_000)
})
