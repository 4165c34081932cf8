/**
 * Acceptance 1 — byte differential: the same seeded random sequence of operations (puts, dels,
 * batches with pending reads, cas puts and dels that pass and fail, subs, missing-key deletes,
 * null values, key and value sizes from 0 to 2 KiB) applied to our bee and to the real hyperbee
 * 2.27.3 gives the same core, block for block. Failures print the seed and the first differing block.
 */
import { ready } from '@orchard/crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { blocksOf, cleanup, hex, oursBee, prng, type Real, realBee } from './helpers.ts'

beforeAll(() => ready())
afterAll(() => cleanup())

type Op =
  | { t: 'put'; sub: number; key: Uint8Array; value: Uint8Array | null }
  | { t: 'del'; sub: number; key: Uint8Array }
  | { t: 'casput'; sub: number; key: Uint8Array; value: Uint8Array; mod: number }
  | { t: 'casdel'; sub: number; key: Uint8Array; mod: number }
  | { t: 'batch'; ops: Exclude<Op, { t: 'batch' }>[]; reads: Uint8Array[] }

interface Shape {
  ops: number
  keyPool: number
  maxKey: number
  bigValues: number
  subs: string[]
}

function bytes(rand: () => number, len: number): Uint8Array {
  const b = new Uint8Array(len)
  for (let i = 0; i < len; i++) b[i] = Math.floor(rand() * 256)
  return b
}

function generate(seed: number, shape: Shape): { ops: Op[]; count: number } {
  const rand = prng(seed)
  const pick = <T>(list: T[]) => list[Math.floor(rand() * list.length)]!
  const pool = Array.from({ length: shape.keyPool }, () => bytes(rand, 1 + Math.floor(rand() * shape.maxKey)))
  const value = (): Uint8Array => {
    const r = rand()
    const len = r < shape.bigValues ? 500 + Math.floor(rand() * 1600) : r < 0.3 ? 0 : Math.floor(rand() * 64)
    return bytes(rand, len)
  }
  const sub = () => (shape.subs.length && rand() < 0.25 ? 1 + Math.floor(rand() * shape.subs.length) : 0)
  const single = (): Exclude<Op, { t: 'batch' }> => {
    const r = rand()
    const s = sub()
    if (r < 0.5) return { t: 'put', sub: s, key: pick(pool), value: rand() < 0.03 ? null : value() }
    if (r < 0.75) return { t: 'del', sub: s, key: rand() < 0.1 ? bytes(rand, 3) : pick(pool) }
    if (r < 0.9)
      return { t: 'casput', sub: s, key: pick(pool), value: value(), mod: 2 + Math.floor(rand() * 2) }
    return { t: 'casdel', sub: s, key: pick(pool), mod: 2 + Math.floor(rand() * 2) }
  }
  const ops: Op[] = []
  let count = 0
  while (count < shape.ops) {
    if (rand() < 0.12) {
      const inner = Array.from({ length: 1 + Math.floor(rand() * 40) }, single)
      ops.push({ t: 'batch', ops: inner, reads: [pick(pool), pick(pool)] })
      count += inner.length
    } else {
      ops.push(single())
      count++
    }
  }
  return { ops, count }
}

// cas predicates that depend only on data, so both bees decide the same
function casPut(mod: number) {
  return (prev: { value: Uint8Array | null }, next: { value: Uint8Array | null }) =>
    (prev.value === null ? 0 : prev.value.length) % mod !== 0 || (next.value?.length ?? 0) % 2 === 0
}
function casDel(mod: number) {
  return (prev: { value: Uint8Array | null }) => (prev.value === null ? 1 : prev.value.length) % mod === 0
}

async function apply(target: Real, subs: Real[], op: Op, isReal: boolean): Promise<unknown[]> {
  const k = (b: Uint8Array) => (isReal ? Buffer.from(b) : b)
  const v = (b: Uint8Array | null) => (b === null ? null : isReal ? Buffer.from(b) : b)
  const on = (s: number) => (s === 0 ? target : subs[s - 1])
  switch (op.t) {
    case 'put':
      await on(op.sub).put(k(op.key), v(op.value))
      return []
    case 'del':
      await on(op.sub).del(k(op.key))
      return []
    case 'casput':
      await on(op.sub).put(k(op.key), v(op.value), { cas: casPut(op.mod) })
      return []
    case 'casdel':
      await on(op.sub).del(k(op.key), { cas: casDel(op.mod) })
      return []
    case 'batch': {
      // batches write to the main bee (subs share its core; a batch spans one bee)
      const b = target.batch()
      const seen: unknown[] = []
      for (const inner of op.ops) {
        const key = k(inner.key)
        if (inner.t === 'put') await b.put(key, v(inner.value))
        else if (inner.t === 'del') await b.del(key)
        else if (inner.t === 'casput') await b.put(key, v(inner.value), { cas: casPut(inner.mod) })
        else if (inner.t === 'casdel') await b.del(key, { cas: casDel(inner.mod) })
      }
      for (const r of op.reads) {
        const got = await b.get(k(r))
        seen.push(got ? [got.seq, hex(got.value)] : null)
      }
      await b.flush()
      return seen
    }
  }
}

async function run(seed: number, shape: Shape): Promise<number> {
  const { ops, count } = generate(seed, shape)
  const real = await realBee()
  const ours = await oursBee()
  const realSubs = shape.subs.map((p) => real.sub(p))
  const oursSubs = shape.subs.map((p) => ours.sub(p))
  let unchanged = 0
  for (let i = 0; i < ops.length; i++) {
    const before = real.core.length
    const a = await apply(real, realSubs, ops[i]!, true)
    if (real.core.length === before) unchanged++
    const b = await apply(ours, oursSubs, ops[i]!, false)
    expect(b, `seed ${seed} op ${i}: batch reads`).toEqual(a)
    if (ours.core.length !== real.core.length) {
      throw new Error(
        `seed ${seed} op ${i} (${ops[i]!.t}): length ${ours.core.length} vs ${real.core.length}`
      )
    }
  }
  const a = await blocksOf(real.core)
  const b = await blocksOf(ours.core)
  expect(b.length).toBe(a.length)
  for (let i = 0; i < a.length; i++) {
    if (hex(a[i]) !== hex(b[i]))
      throw new Error(`seed ${seed}: block ${i} differs\n real ${hex(a[i])}\n ours ${hex(b[i])}`)
  }
  // the scenario exercised no-op writes (failed cas, deletes of missing keys) as well
  expect(unchanged).toBeGreaterThan(0)
  expect(a.length).toBeGreaterThan(count / 2)
  await real.close()
  await ours.close()
  return count
}

describe('byte-identical blocks against hyperbee 2.27.3', () => {
  it('3 000 mixed operations over a wide key space (deep trees, splits)', async () => {
    const n = await run(0xbee1, { ops: 3000, keyPool: 900, maxKey: 40, bigValues: 0.02, subs: ['a', 'bb'] })
    expect(n).toBeGreaterThanOrEqual(3000)
  }, 120_000)

  it('2 000 delete-heavy operations over a small key space (borrows, merges, root shrinks)', async () => {
    const n = await run(0x5eed, { ops: 2000, keyPool: 120, maxKey: 6, bigValues: 0, subs: ['s'] })
    expect(n).toBeGreaterThanOrEqual(2000)
  }, 120_000)

  it('500 operations with large keys and values', async () => {
    const n = await run(42, { ops: 500, keyPool: 200, maxKey: 900, bigValues: 0.3, subs: [] })
    expect(n).toBeGreaterThanOrEqual(500)
  }, 120_000)

  it('string keys and values (utf-8 and json): ASCII, non-ASCII, surrogates, short and long', async () => {
    // strings take the bee's own UTF-8 path (a pool of short encodings); the blocks must not notice
    const rand = prng(0x57a1)
    const alphabet = [
      'a',
      'Z',
      '0',
      ' ',
      '~',
      'é',
      'ß',
      '中',
      '文',
      '😀',
      '\ud800',
      '\udfff',
      '\u0000',
      '\u007f',
      '\u0080'
    ]
    const text = (max: number, ascii: boolean) => {
      const len = Math.floor(rand() * max)
      let out = ''
      for (let i = 0; i < len; i++)
        out += ascii
          ? String.fromCharCode(32 + Math.floor(rand() * 95))
          : alphabet[Math.floor(rand() * alphabet.length)]
      return out
    }
    const string = () => {
      const r = rand()
      return r < 0.5
        ? text(30, true)
        : r < 0.8
          ? text(30, false)
          : r < 0.95
            ? text(300, rand() < 0.5)
            : text(3000, true)
    }
    const opts = { keyEncoding: 'utf-8', valueEncoding: 'json' } as const
    const real = await realBee(opts)
    const ours = await oursBee(opts)
    const written = new Map<string, unknown>()
    for (let round = 0; round < 40; round++) {
      const entries = Array.from(
        { length: 1 + Math.floor(rand() * 60) },
        () => [string(), { s: string(), n: round }] as const
      )
      if (rand() < 0.5) {
        const a = real.batch()
        const b = ours.batch()
        for (const [k, v] of entries) {
          await a.put(k, v)
          await b.put(k, v)
        }
        await a.flush()
        await b.flush()
      } else {
        for (const [k, v] of entries) {
          await real.put(k, v)
          await ours.put(k, v)
        }
      }
      for (const [k, v] of entries) written.set(k, v)
    }
    const a = await blocksOf(real.core)
    const b = await blocksOf(ours.core)
    expect(b.length).toBe(a.length)
    expect(a.length).toBeGreaterThan(1000)
    for (let i = 0; i < a.length; i++) {
      if (hex(a[i]) !== hex(b[i]))
        throw new Error(`block ${i} differs\n real ${hex(a[i])}\n ours ${hex(b[i])}`)
    }
    for (const [k, v] of written) expect((await ours.get(k))?.value).toEqual(v)
    await real.close()
    await ours.close()
  }, 120_000)
})
