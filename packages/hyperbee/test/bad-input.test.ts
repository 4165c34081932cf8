/**
 * Acceptance 3 — untrusted input: a bee whose owner signed garbage (undecodable nodes, pointers to
 * itself, forward, past the core, to missing levels, pointer cycles) gives a typed DecodingError
 * from gets and scans — never a crash, a hang or an endless loop; bad arguments give typed errors.
 */
import { ready } from '@orchard/crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  BadArgumentError,
  BeeClosedError,
  DecodingError,
  encodeNode,
  encodeYoloIndex,
  HyperbeeError,
  InvalidOperationError,
  ReadOnlyError
} from '../src/index.ts'
import { collect, oursBee } from './helpers.ts'

beforeAll(() => ready())

const enc = { keyEncoding: 'utf-8', valueEncoding: 'utf-8' } as const
const te = new TextEncoder()

/** A valid bee with a few keys, then one raw block appended by its owner. */
async function tampered(block: (seq: number) => Uint8Array) {
  const bee = await oursBee(enc)
  for (const k of ['a', 'b', 'c']) await bee.put(k, k)
  await bee.core.append(block(bee.core.length))
  return bee
}

function node(levels: Array<{ keys: number[]; children: number[] }>, key = 'b') {
  return encodeNode({ index: encodeYoloIndex({ levels }), key: te.encode(key), value: te.encode('v') })
}

async function expectDecodingError(p: Promise<unknown>) {
  const err = await p.then(
    () => null,
    (e: unknown) => e
  )
  expect(err).toBeInstanceOf(DecodingError)
  expect((err as DecodingError).code).toBe('DECODING_ERROR')
}

const cases: Array<[string, (seq: number) => Uint8Array]> = [
  ['raw garbage bytes', () => new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0x01])],
  ['a node without a key', () => new Uint8Array([0x0a, 0x00])],
  [
    'an undecodable index',
    () => encodeNode({ index: new Uint8Array([0x0a, 0x09, 1]), key: te.encode('b'), value: null })
  ],
  ['an empty index (no root)', () => node([])],
  ['a key pointer past the core', (seq) => node([{ keys: [seq + 5], children: [] }])],
  ['a key pointer to the header', () => node([{ keys: [0], children: [] }])],
  ['a child pointer forward', (seq) => node([{ keys: [1], children: [seq + 1, 0, 1, 0] }])],
  ['a root pointing to itself', (seq) => node([{ keys: [1], children: [seq, 0, seq, 0] }])],
  [
    'a pointer cycle between two levels',
    (seq) =>
      node([
        { keys: [1], children: [seq, 1, seq, 1] },
        { keys: [2], children: [seq, 0, seq, 0] }
      ])
  ],
  ['a child pointer to a missing level', (seq) => node([{ keys: [1], children: [seq, 7, seq, 7] }])],
  ['children that do not match the keys', (seq) => node([{ keys: [1, 2], children: [seq - 1, 0] }])],
  ['an odd child list', () => node([{ keys: [1], children: [1, 0, 1] }])]
]

describe('a validly signed bee with garbage nodes', () => {
  for (const [name, block] of cases) {
    it(`${name}: get and scans fail with DecodingError`, async () => {
      const bee = await tampered(block)
      // the root is the garbage block: every read walks it
      await expectDecodingError(bee.get('zz'))
      await expectDecodingError(bee.get('0'))
      await expectDecodingError(collect(bee.createReadStream()))
      await expectDecodingError(collect(bee.createReadStream({ gte: 'a', reverse: true })))
      await expectDecodingError(collect(bee.createDiffStream(2)))
      // the bee stays usable for what does not touch the bad block
      const co = bee.checkout(bee.core.length - 1)
      expect((await co.get('c'))?.value).toBe('c')
      await co.close()
      await bee.close()
    })
  }

  it('a garbage block in history is a DecodingError there too', async () => {
    const bee = await tampered(() => new Uint8Array([0xff]))
    await expectDecodingError(collect(bee.createHistoryStream()))
    await expect(bee.getBySeq(4)).rejects.toBeInstanceOf(DecodingError)
    await bee.close()
  })

  it('a garbage header is a DecodingError; isHyperbee says false', async () => {
    const bee = await oursBee()
    await bee.core.append(new Uint8Array([0x12, 0x00]))
    await expect(bee.getHeader()).rejects.toBeInstanceOf(DecodingError)
    const { Hyperbee } = await import('../src/index.ts')
    expect(await Hyperbee.isHyperbee(bee.core)).toBe(false)
    await bee.close()
  })
})

describe('bad arguments', () => {
  it('give typed errors', async () => {
    const bee = await oursBee()
    await expect(bee.put(undefined as never, 'x')).rejects.toBeInstanceOf(BadArgumentError)
    await expect(bee.put(12 as never, 'x')).rejects.toBeInstanceOf(BadArgumentError)
    await expect(bee.put('k', { not: 'bytes' } as never)).rejects.toBeInstanceOf(BadArgumentError)
    await expect(bee.get(null as never)).rejects.toBeInstanceOf(BadArgumentError)
    await expect(bee.del(undefined as never)).rejects.toBeInstanceOf(BadArgumentError)
    expect(() => bee.createReadStream({ limit: 'ten' as never })).toThrow(BadArgumentError)
    expect(() => bee.createReadStream({ gt: 5 as never })).toThrow(BadArgumentError)
    expect(() => bee.checkout(-5)).toThrow(BadArgumentError)
    expect(() => bee.checkout(1.5)).toThrow(BadArgumentError)
    await expect(bee.getBySeq(0)).rejects.toBeInstanceOf(BadArgumentError)
    expect(() => bee.createHistoryStream({ live: true, reverse: true })).toThrow(InvalidOperationError)
    expect(() => bee.sub(42 as never)).toThrow(BadArgumentError)
    const co = bee.checkout(1)
    expect(() => co.watch()).toThrow(InvalidOperationError)
    await co.close()
    // a failed put releases the write lock: the next put goes through
    await bee.put('ok', 'fine')
    expect((await bee.get('ok'))?.value).toEqual(te.encode('fine'))
    await bee.close()
    await expect(bee.get('ok')).rejects.toBeInstanceOf(BeeClosedError)
    expect(() => bee.batch()).toThrow(HyperbeeError)
  })

  it('a read-only bee refuses writes', async () => {
    const { Hyperbee } = await import('../src/index.ts')
    const writer = await oursBee()
    const ro = new Hyperbee(writer.core, { readonly: true })
    await expect(ro.put('a', 'b')).rejects.toBeInstanceOf(ReadOnlyError)
    await expect(ro.del('a')).rejects.toBeInstanceOf(ReadOnlyError)
    expect(writer.core.length).toBe(0)
    await writer.close()
  })
})
