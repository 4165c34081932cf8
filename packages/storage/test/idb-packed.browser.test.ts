/**
 * The packed layout of the IndexedDB adapter (`idb-packed.ts`) against a model: Hypercore-shaped
 * 12-byte keys share group records, other keys do not, long values leave their group. Random
 * batches of puts, deletes and range deletes whose bounds cut through groups; after each, point
 * reads, multi-gets and ranges (both directions, limits, bounds of every length) must match the
 * model — from the writer (warm cache), a read-only opener and a reopened writer (cold cache).
 */
import { describe, expect, it } from 'vitest'
import { type BatchOp, compareKeys, type KeyRange, openIdbStorage, type Storage } from '../src/index.ts'

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
/** A short stand-in for a value in failure messages: its length and a checksum. */
const digest = (b: Uint8Array) => `${b.length}:${b.reduce((h, x) => (h * 31 + x) >>> 0, 7).toString(16)}`

function prng(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 0x100000000
  }
}

type Model = Map<string, [Uint8Array, Uint8Array]>

function modelRange(m: Model, r: KeyRange): string[] {
  let list = [...m.values()].sort((a, b) => compareKeys(a[0], b[0]))
  list = list.filter(([k]) => {
    if (r.gt && compareKeys(k, r.gt) <= 0) return false
    if (r.gte && compareKeys(k, r.gte) < 0) return false
    if (r.lt && compareKeys(k, r.lt) >= 0) return false
    if (r.lte && compareKeys(k, r.lte) > 0) return false
    return true
  })
  if (r.reverse) list.reverse()
  if (r.limit !== undefined) list = list.slice(0, r.limit)
  return list.map(([k, v]) => `${hex(k)}=${digest(v)}`)
}

async function storedRange(st: Storage, store: 'blocks' | 'tree', r: KeyRange): Promise<string[]> {
  const out: string[] = []
  for await (const [k, v] of st.range(store, r)) out.push(`${hex(k)}=${digest(v)}`)
  return out
}

/** `core ‖ u64be(index)`, Hypercore's block and tree-node key. */
function indexKey(core: number, index: number): Uint8Array {
  const k = new Uint8Array(12)
  new DataView(k.buffer).setUint32(0, core)
  new DataView(k.buffer).setUint32(8, index)
  return k
}

describe('IndexedDB packed layout', () => {
  it.each([0x5eed, 0xbeef, 0xf00d])(
    'matches a model through random batches, reopens and read-only openers (seed %i)',
    {
      timeout: 120_000
    },
    async (seed) => {
      const rand = prng(seed)
      const int = (n: number) => Math.floor(rand() * n)
      const name = `packed-model-${seed}-${Date.now()}`
      // A key near the group boundaries of a few cores, or a neighbour of another length.
      const randomKey = (): Uint8Array => {
        const k = indexKey(int(3), 250 + int(40))
        const shape = rand()
        if (shape < 0.75) return k
        if (shape < 0.85) return k.subarray(0, 4 + int(8)).slice()
        const longer = new Uint8Array(12 + 1 + int(2))
        longer.set(k)
        longer[12] = int(256)
        return longer
      }
      const randomValue = (i: number): Uint8Array => {
        const r = rand()
        const len = r < 0.1 ? 0 : r < 0.8 ? 1 + int(60) : r < 0.9 ? 4000 + int(200) : 5000 + int(3000)
        const v = new Uint8Array(len)
        for (let j = 0; j < len; j++) v[j] = (i * 7 + j) & 0xff
        return v
      }
      const randomBound = (): Uint8Array => {
        const k = randomKey()
        return rand() < 0.3 ? k.subarray(0, int(k.length + 1)).slice() : k
      }
      const models: Record<'blocks' | 'tree', Model> = { blocks: new Map(), tree: new Map() }
      const check = async (st: Storage, label: string) => {
        for (const store of ['blocks', 'tree'] as const) {
          const m = models[store]
          expect(await storedRange(st, store, {}), `${label} ${store} all`).toEqual(modelRange(m, {}))
          expect(await storedRange(st, store, { reverse: true }), `${label} ${store} reverse`).toEqual(
            modelRange(m, { reverse: true })
          )
          for (let i = 0; i < 12; i++) {
            const r: KeyRange = {}
            const lower = rand()
            if (lower < 0.4) r.gt = randomBound()
            else if (lower < 0.8) r.gte = randomBound()
            const upper = rand()
            if (upper < 0.4) r.lt = randomBound()
            else if (upper < 0.8) r.lte = randomBound()
            if (rand() < 0.5) r.reverse = true
            if (rand() < 0.5) r.limit = int(30)
            expect(await storedRange(st, store, r), `${label} ${store} ${JSON.stringify(r)}`).toEqual(
              modelRange(m, r)
            )
          }
          const keys = Array.from({ length: 40 }, randomKey)
          const many = await st.getMany(store, keys)
          for (let i = 0; i < keys.length; i++) {
            const want = m.get(hex(keys[i]!))?.[1] ?? null
            expect(many[i] === null ? null : digest(many[i]!), `${label} getMany`).toEqual(
              want === null ? null : digest(want)
            )
            const one = await st.get(store, keys[i]!)
            expect(one === null ? null : digest(one), `${label} get`).toEqual(
              want === null ? null : digest(want)
            )
          }
        }
      }

      let writer = await openIdbStorage(name)
      for (let round = 0; round < 40; round++) {
        const ops: BatchOp[] = []
        const count = 1 + int(40)
        for (let i = 0; i < count; i++) {
          const store = rand() < 0.6 ? 'blocks' : 'tree'
          const m = models[store]
          const r = rand()
          if (r < 0.75) {
            const key = randomKey()
            const value = randomValue(round * 100 + i)
            ops.push({ type: 'put', store, key, value })
            m.set(hex(key), [key, value])
          } else if (r < 0.93) {
            const key = randomKey()
            ops.push({ type: 'del', store, key })
            m.delete(hex(key))
          } else {
            let gte = randomBound()
            let lt = randomBound()
            if (compareKeys(gte, lt) > 0) [gte, lt] = [lt, gte]
            ops.push({ type: 'delRange', store, gte, lt })
            for (const [h, [k]] of m) if (compareKeys(k, gte) >= 0 && compareKeys(k, lt) < 0) m.delete(h)
          }
        }
        await writer.write(ops)
        if (round % 8 === 7) {
          await check(writer, `round ${round} writer`)
          const reader = await openIdbStorage(name, { lock: 'readonly' })
          await check(reader, `round ${round} reader`)
          await reader.close()
          await writer.close()
          writer = await openIdbStorage(name)
          await check(writer, `round ${round} reopened`)
        }
      }
      await writer.destroy()
    }
  )

  it('appends like Hypercore: long runs of indexes, read back in order and at random', async () => {
    const st = await openIdbStorage(`packed-append-${Date.now()}`, { cacheBytes: 4096 })
    const value = (i: number) => new Uint8Array(1024).fill(i & 0xff)
    for (let start = 0; start < 3000; start += 100) {
      const ops: BatchOp[] = []
      for (let i = start; i < start + 100; i++)
        ops.push({ type: 'put', store: 'blocks', key: indexKey(0, i), value: value(i) })
      await st.write(ops)
    }
    let n = 0
    for await (const [k, v] of st.range('blocks', { gte: indexKey(0, 1000), lt: indexKey(0, 2000) })) {
      expect(new DataView(k.buffer).getUint32(8)).toBe(1000 + n)
      expect(v[0]).toBe((1000 + n) & 0xff)
      n++
    }
    expect(n).toBe(1000)
    for (const i of [0, 7, 8, 999, 2999, 1234])
      expect((await st.get('blocks', indexKey(0, i)))![1]).toBe(i & 0xff)
    expect(await st.get('blocks', indexKey(0, 3000))).toBeNull()
    // A truncation through the middle of a group keeps the group's head.
    await st.write([{ type: 'delRange', store: 'blocks', gte: indexKey(0, 1005), lt: indexKey(1, 0) }])
    expect((await st.get('blocks', indexKey(0, 1004)))![0]).toBe(1004 & 0xff)
    expect(await st.get('blocks', indexKey(0, 1005))).toBeNull()
    let left = 0
    for await (const _ of st.range('blocks')) left++
    expect(left).toBe(1005)
    await st.destroy()
  })
})
