/**
 * Acceptance 4 — behaviour parity: the gist of hyperbee's own tests (basic, iterators, batches,
 * cas, sub, checkout/snapshot, history, diff, watch, getAndWatch), each run as the same scenario on
 * the real hyperbee 2.27.3 and on ours, comparing what a user observes.
 */
import { ready } from '@orchard/crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Hyperbee } from '../src/index.ts'
import { cleanup, collect, oursBee, plain, prng, type Real, realBee } from './helpers.ts'

beforeAll(() => ready())
afterAll(() => cleanup())

type Scenario = (bee: Real, isReal: boolean) => Promise<unknown>

/** Runs `scenario` on both packages and expects the same observations. */
async function same(scenario: Scenario, opts: object = { keyEncoding: 'utf-8', valueEncoding: 'utf-8' }) {
  const real = await realBee(opts)
  const ours = await oursBee(opts)
  const a = plain(await scenario(real, true))
  const b = plain(await scenario(ours, false))
  expect(b).toEqual(a)
  await real.close()
  await ours.close()
  return b
}

const pad = (i: number) => String(i).padStart(4, '0')
/** One field of an entry read from either bee (the real one is untyped). */
const field = (entry: unknown, name: 'key' | 'seq') => (entry as Record<string, unknown>)[name]

describe('basic', () => {
  it('put, get, overwrite, delete, missing keys, versions, header', async () => {
    const seen = await same(async (bee) => {
      const out: unknown[] = [bee.version, await bee.get('a')]
      await bee.put('a', '1')
      out.push(await bee.get('a'), bee.version)
      await bee.put('a', '2')
      await bee.put('b')
      out.push(await bee.get('a'), await bee.get('b'), bee.version)
      await bee.del('a')
      await bee.del('nope')
      out.push(await bee.get('a'), bee.version, await bee.getHeader(), await bee.getBySeq(2))
      out.push(await bee.peek(), await collect(bee.createReadStream()))
      return out
    })
    expect(seen).toHaveLength(13)
  })

  it('json, binary and custom codecs', async () => {
    const codec = {
      encode: (v: number) => new TextEncoder().encode(`#${v}`),
      decode: (b: Uint8Array) => Number(new TextDecoder().decode(b).slice(1))
    }
    await same(
      async (bee) => {
        await bee.put(3, { a: [1, 2] })
        await bee.put(20, null)
        await bee.put(100, 'str')
        return [await bee.get(3), await bee.get(20), await collect(bee.createReadStream({ gt: 3 }))]
      },
      { keyEncoding: codec, valueEncoding: 'json' }
    )
    await same(async (bee, isReal) => {
      const B = (s: string) => (isReal ? Buffer.from(s) : new TextEncoder().encode(s))
      await bee.put(B('k'), B('v'))
      await bee.put('s', 'v') // strings are written as UTF-8 without an encoding
      return [await bee.get(B('k')), await bee.get(B('s')), await collect(bee.createReadStream())]
    }, {})
  })
})

describe('iterators', () => {
  it('200 random ranges over 1 000 keys (bounds, reverse, limits) match', async () => {
    const rand = prng(11)
    const ranges = Array.from({ length: 200 }, () => {
      const r: Record<string, unknown> = {}
      const a = Math.floor(rand() * 1100)
      const b = a + Math.floor(rand() * 300)
      if (rand() < 0.7) r[rand() < 0.5 ? 'gt' : 'gte'] = pad(a)
      if (rand() < 0.7) r[rand() < 0.5 ? 'lt' : 'lte'] = pad(b)
      if (rand() < 0.4) r.reverse = true
      if (rand() < 0.4) r.limit = Math.floor(rand() * 50)
      return r
    })
    await same(async (bee) => {
      const b = bee.batch()
      for (let i = 0; i < 1000; i += 1) await b.put(pad(i), `v${i}`)
      await b.flush()
      for (let i = 0; i < 1000; i += 9) await bee.del(pad(i))
      const out = []
      for (const r of ranges) out.push((await collect(bee.createReadStream(r))).map((e) => field(e, 'key')))
      out.push(await bee.peek({ gte: pad(500) }), await bee.peek({ lt: pad(500), reverse: true }))
      return out
    })
  })
})

describe('batches', () => {
  it('pending reads, atomic flush, close discards', async () => {
    await same(async (bee) => {
      let appends = 0
      bee.core.on('append', () => appends++)
      await bee.put('x', 'x')
      appends = 0
      const b = bee.batch()
      for (let i = 0; i < 50; i++) await b.put(pad(i), `v${i}`)
      await b.del(pad(3))
      const inBatch = [
        await b.get(pad(7)),
        await b.get(pad(3)),
        await b.get('x'),
        await b.peek({ gt: pad(10) })
      ]
      const outside = bee.core.length
      await b.flush()
      const after = [bee.core.length, appends]
      const c = bee.batch()
      await c.put('gone', 'gone')
      await c.close()
      return [inBatch, outside, after, await bee.get('gone'), await bee.get(pad(49)), bee.core.length]
    })
  })
})

describe('cas', () => {
  it('puts and deletes only when the predicate allows', async () => {
    await same(async (bee) => {
      const casPut = (prev: Real, next: Real) => next.value !== prev.value
      const casDel = (prev: Real) => prev.value === 'drop'
      await bee.put('k', 'v')
      await bee.put('k', 'v', { cas: casPut })
      const a = [await bee.get('k'), bee.version]
      await bee.put('k', 'w', { cas: casPut })
      await bee.del('k', { cas: casDel })
      const b = [await bee.get('k'), bee.version]
      await bee.put('k', 'drop')
      await bee.del('k', { cas: casDel })
      const calls: unknown[] = []
      await bee.put('new', 'n', { cas: (p: Real, n: Real) => calls.push([p, n]) > 0 })
      const batch = bee.batch()
      await batch.put('new', 'n', {
        cas: (p: Real, n: Real) => {
          calls.push([p, n])
          return false
        }
      })
      await batch.put('other', 'o')
      await batch.flush()
      return [a, b, await bee.get('k'), calls, await bee.get('new'), bee.version]
    })
  })
})

describe('sub', () => {
  it('prefixes keys, nests, isolates ranges, custom separators', async () => {
    await same(async (bee) => {
      const s1 = bee.sub('one')
      const s2 = bee.sub('two', { sep: '!' })
      const nested = s1.sub('deep', { valueEncoding: 'json' })
      await bee.put('top', 't')
      for (let i = 0; i < 20; i++) await s1.put(pad(i), `one${i}`)
      for (let i = 0; i < 5; i++) await s2.put(pad(i), `two${i}`)
      await nested.put('n', { x: 1 })
      await s1.del(pad(4))
      const b = s1.batch()
      await b.put('zz', 'batched')
      await b.flush()
      return [
        await s1.get(pad(3)),
        await s1.get('top'),
        await bee.get('top'),
        (await collect(s1.createReadStream())).map((e) => field(e, 'key')),
        await collect(s2.createReadStream({ reverse: true, limit: 3 })),
        await collect(nested.createReadStream()),
        (await collect(bee.createReadStream())).map((e) => field(e, 'key')),
        await s1.peek({ gt: pad(10) }),
        (await collect(bee.createHistoryStream({ limit: 3 }))).map((e) => field(e, 'key'))
      ]
    })
  })
})

describe('checkout and snapshot', () => {
  it('views keep their version while the bee moves on', async () => {
    await same(async (bee) => {
      for (let i = 0; i < 30; i++) await bee.put(pad(i), `a${i}`)
      const snap = bee.snapshot()
      const co = bee.checkout(10)
      for (let i = 0; i < 30; i++) await bee.put(pad(i), `b${i}`)
      await bee.del(pad(0))
      const out = [
        snap.version,
        co.version,
        await snap.get(pad(0)),
        await co.get(pad(5)),
        await co.get(pad(15)),
        await collect(co.createReadStream({ reverse: true })),
        (await collect(snap.createHistoryStream({ reverse: true, limit: 2 }))).map((e) => field(e, 'seq')),
        await bee.get(pad(0)),
        bee.checkout(0).version
      ]
      await snap.close()
      await co.close()
      return out
    })
  })
})

describe('history', () => {
  it('bounds, negative bounds, reverse, limits', async () => {
    const options = [
      {},
      { gte: 5 },
      { gt: 5, lt: 12 },
      { lte: 7 },
      { gte: -5 },
      { lt: -30 },
      { reverse: true },
      { reverse: true, gte: 20, limit: 4 },
      { limit: 0 },
      { lt: 0 },
      { since: 3, end: 9 }
    ]
    await same(async (bee) => {
      for (let i = 0; i < 40; i++) await bee.put(pad(i % 13), `v${i}`)
      for (let i = 0; i < 40; i += 3) await bee.del(pad(i % 13))
      const out = []
      for (const o of options) out.push(await collect(bee.createHistoryStream(o)))
      return out
    })
  })

  it('live history follows new writes', async () => {
    await same(async (bee) => {
      await bee.put('a', '1')
      const stream = bee.createHistoryStream({ live: true })
      const it = stream[Symbol.asyncIterator]()
      const first = (await it.next()).value
      const pending = it.next()
      await bee.put('b', '2')
      const second = (await pending).value
      if (it.return) await it.return()
      else stream.destroy()
      return [first, second]
    })
  })
})

describe('diff', () => {
  it('between versions and against other bees, ranged and limited', async () => {
    await same(async (bee) => {
      for (let i = 0; i < 200; i++) await bee.put(pad(i), `a${i}`)
      const v1 = bee.version
      for (let i = 0; i < 200; i += 3) await bee.put(pad(i), `b${i}`)
      for (let i = 1; i < 200; i += 7) await bee.del(pad(i))
      await bee.put('new', 'n')
      const co = bee.checkout(v1)
      const out = [
        await collect(bee.createDiffStream(v1)),
        await collect(bee.createDiffStream(v1, { gte: pad(50), lt: pad(90) })),
        await collect(bee.createDiffStream(v1, { limit: 7, reverse: false })),
        await collect(co.createDiffStream(bee.version)),
        await collect(bee.createDiffStream(co)),
        await collect(bee.createDiffStream(bee.version))
      ]
      await co.close()
      return out
    })
  })
})

describe('watch', () => {
  it('yields [current, previous] for changes inside the range only', async () => {
    await same(async (bee) => {
      await bee.put('a', '0')
      const w = bee.watch({ gte: 'b', lt: 'c' })
      await w.ready()
      const seen: unknown[] = []
      const step = async (write: () => Promise<void>) => {
        const next = w.next()
        await write()
        const { value } = await next
        const [current, previous] = value
        seen.push([current.version, previous.version, await current.get('b1'), await previous.get('b1')])
      }
      await step(() => bee.put('b1', 'x'))
      await step(async () => {
        await bee.put('a', 'outside') // not in the range: no yield for this one
        await bee.put('b1', 'y')
      })
      await step(() => bee.del('b1'))
      await w.close()
      const done = await w.next()
      return [seen, done.done]
    })
  })

  it('getAndWatch keeps .node current and emits update', async () => {
    await same(async (bee) => {
      await bee.put('k', '1')
      const w = await bee.getAndWatch('k')
      const nodes: unknown[] = [w.node]
      const changed = () => new Promise<void>((resolve) => w.once('update', () => resolve()))
      let u = changed()
      await bee.put('k', '2')
      await u
      nodes.push(w.node)
      u = changed()
      await bee.del('k')
      await u
      nodes.push(w.node)
      await w.close()
      return nodes
    })
  })
})

describe('ours only', () => {
  it('streams are async iterators and release their snapshot on break', async () => {
    const bee = await oursBee({ keyEncoding: 'utf-8', valueEncoding: 'utf-8' })
    for (let i = 0; i < 10; i++) await bee.put(pad(i), 'v')
    const s = bee.createReadStream()
    const first = await s.next()
    expect(first.value?.key).toBe(pad(0))
    let n = 0
    for await (const _ of s) if (++n === 3) break
    expect((await s.next()).done).toBe(true)
    expect(await bee.createReadStream({ gte: pad(8) }).toArray()).toHaveLength(2)
    await bee.close()
    expect(bee.closed).toBe(true)
    expect(bee).toBeInstanceOf(Hyperbee)
  })
})
