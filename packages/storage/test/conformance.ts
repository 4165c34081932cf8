/**
 * The storage conformance suite: every adapter must pass it unchanged. Register it from an
 * adapter's test file with {@link defineConformanceSuite}; it runs in Node (memory, files) and in
 * real Chromium (IndexedDB), so it imports nothing from Node.
 */
import { describe, expect, it } from 'vitest'
import {
  type BatchOp,
  compareKeys,
  type KeyRange,
  type OpenOptions,
  type Storage,
  StorageArgumentError,
  type StorageChange,
  StorageClosedError,
  StorageLockedError,
  StorageReadOnlyError,
  type StoreName
} from '../src/index.ts'

/** How the suite reaches an adapter. */
export interface ConformanceTarget {
  /** Opens root `name`; the same name must reach the same data (like reopening a directory). */
  open(name: string, opts?: OpenOptions): Promise<Storage>
}

const enc = new TextEncoder()
const dec = new TextDecoder()
const u8 = (...bytes: number[]) => new Uint8Array(bytes)
const s = (text: string) => enc.encode(text)
const text = (bytes: Uint8Array | null) => (bytes === null ? null : dec.decode(bytes))
const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')

async function collect(iter: AsyncIterable<[Uint8Array, Uint8Array]>): Promise<[string, string][]> {
  const out: [string, string][] = []
  for await (const [k, v] of iter) out.push([hex(k), hex(v)])
  return out
}

/** A small deterministic PRNG so failures reproduce. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 0x100000000
  }
}

/** The bytewise-sorted reference model of a range over `entries`. */
function model(entries: Map<string, [Uint8Array, Uint8Array]>, r: KeyRange): [string, string][] {
  let list = [...entries.values()].sort((a, b) => compareKeys(a[0], b[0]))
  list = list.filter(([k]) => {
    if (r.gt && compareKeys(k, r.gt) <= 0) return false
    if (r.gte && compareKeys(k, r.gte) < 0) return false
    if (r.lt && compareKeys(k, r.lt) >= 0) return false
    if (r.lte && compareKeys(k, r.lte) > 0) return false
    return true
  })
  if (r.reverse) list.reverse()
  if (r.limit !== undefined) list = list.slice(0, r.limit)
  return list.map(([k, v]) => [hex(k), hex(v)])
}

/** Byte equality without a deep-equal over millions of elements. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

let counter = 0

/**
 * Registers the conformance tests for one adapter. `label` names the describe block.
 */
export function defineConformanceSuite(label: string, target: ConformanceTarget): void {
  const fresh = () =>
    `conformance-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e9).toString(36)}-${++counter}`

  /** Opens a fresh root, runs `fn`, then destroys the root. */
  async function withStorage(fn: (st: Storage, name: string) => Promise<void>): Promise<void> {
    const name = fresh()
    const st = await target.open(name)
    try {
      await fn(st, name)
    } finally {
      if (!st.closed) await st.destroy()
      else await (await target.open(name)).destroy()
    }
  }

  describe(`storage conformance: ${label}`, () => {
    it('puts, gets, overwrites and deletes', () =>
      withStorage(async (st) => {
        expect(st.readOnly).toBe(false)
        expect(st.closed).toBe(false)
        expect(await st.get('blocks', s('a'))).toBeNull()
        await st.write([
          { type: 'put', store: 'blocks', key: s('a'), value: s('one') },
          { type: 'put', store: 'blocks', key: s('b'), value: s('two') }
        ])
        expect(text(await st.get('blocks', s('a')))).toBe('one')
        expect(text(await st.get('blocks', s('b')))).toBe('two')
        await st.write([{ type: 'put', store: 'blocks', key: s('a'), value: s('uno') }])
        expect(text(await st.get('blocks', s('a')))).toBe('uno')
        await st.write([
          { type: 'del', store: 'blocks', key: s('a') },
          { type: 'del', store: 'blocks', key: s('missing') }
        ])
        expect(await st.get('blocks', s('a'))).toBeNull()
        expect(text(await st.get('blocks', s('b')))).toBe('two')
      }))

    it('keeps the logical stores apart', () =>
      withStorage(async (st) => {
        const stores: StoreName[] = ['meta', 'cores', 'tree', 'blocks', 'bitfield', 'user', 'local']
        await st.write(stores.map((store) => ({ type: 'put', store, key: s('k'), value: s(store) })))
        for (const store of stores) expect(text(await st.get(store, s('k')))).toBe(store)
        await st.write([{ type: 'delRange', store: 'tree', gte: u8(), lt: u8(0xff, 0xff) }])
        expect(await st.get('tree', s('k'))).toBeNull()
        expect(text(await st.get('blocks', s('k')))).toBe('blocks')
        expect(await collect(st.range('user'))).toEqual([[hex(s('k')), hex(s('user'))]])
      }))

    it('accepts empty keys and empty values', () =>
      withStorage(async (st) => {
        await st.write([
          { type: 'put', store: 'meta', key: u8(), value: s('empty key') },
          { type: 'put', store: 'meta', key: u8(0), value: u8() }
        ])
        expect(text(await st.get('meta', u8()))).toBe('empty key')
        expect(await st.get('meta', u8(0))).toEqual(u8())
        expect((await collect(st.range('meta'))).map(([k]) => k)).toEqual(['', '00'])
      }))

    it('getMany reads several keys at once, null where absent', () =>
      withStorage(async (st) => {
        await st.write([
          { type: 'put', store: 'tree', key: u8(1), value: s('n1') },
          { type: 'put', store: 'tree', key: u8(3), value: s('n3') }
        ])
        const got = await st.getMany('tree', [u8(3), u8(2), u8(1), u8(3)])
        expect(got.map(text)).toEqual(['n3', null, 'n1', 'n3'])
        expect(await st.getMany('tree', [])).toEqual([])
      }))

    it('applies the ops of a batch in order', () =>
      withStorage(async (st) => {
        await st.write([
          { type: 'put', store: 'user', key: s('x'), value: s('1') },
          { type: 'del', store: 'user', key: s('x') },
          { type: 'del', store: 'user', key: s('y') },
          { type: 'put', store: 'user', key: s('y'), value: s('2') },
          { type: 'put', store: 'user', key: s('z1'), value: s('3') },
          { type: 'delRange', store: 'user', gte: s('z'), lt: s('zz') },
          { type: 'put', store: 'user', key: s('z2'), value: s('4') }
        ])
        expect(await st.get('user', s('x'))).toBeNull()
        expect(text(await st.get('user', s('y')))).toBe('2')
        expect(await st.get('user', s('z1'))).toBeNull()
        expect(text(await st.get('user', s('z2')))).toBe('4')
      }))

    it('keeps concurrent writes in call order', () =>
      withStorage(async (st) => {
        const writes: Promise<void>[] = []
        for (let i = 0; i < 50; i++) {
          writes.push(
            st.write([
              { type: 'put', store: 'meta', key: s('head'), value: s(`v${i}`) },
              { type: 'put', store: 'blocks', key: u8(i), value: s(`b${i}`) }
            ])
          )
        }
        await Promise.all(writes)
        expect(text(await st.get('meta', s('head')))).toBe('v49')
        expect((await collect(st.range('blocks'))).length).toBe(50)
      }))

    it('delRange removes exactly [gte, lt) and ignores empty ranges', () =>
      withStorage(async (st) => {
        const keys = [u8(), u8(0), u8(1), u8(1, 0), u8(1, 0xff), u8(2), u8(2, 0), u8(0xff), u8(0xff, 0xff)]
        await st.write(keys.map((key) => ({ type: 'put', store: 'bitfield', key, value: key })))
        await st.write([
          { type: 'delRange', store: 'bitfield', gte: u8(1), lt: u8(2) },
          { type: 'delRange', store: 'bitfield', gte: u8(0xff), lt: u8(0xff) },
          { type: 'delRange', store: 'bitfield', gte: u8(0xff, 0xff), lt: u8(0xff) }
        ])
        expect((await collect(st.range('bitfield'))).map(([k]) => k)).toEqual([
          '',
          '00',
          '02',
          '0200',
          'ff',
          'ffff'
        ])
        await st.write([{ type: 'delRange', store: 'bitfield', gte: u8(), lt: u8(0xff) }])
        expect((await collect(st.range('bitfield'))).map(([k]) => k)).toEqual(['ff', 'ffff'])
      }))

    it('orders binary keys bytewise, 0x00 and 0xff edges included', () =>
      withStorage(async (st) => {
        const keys = [
          u8(0xff, 0xff, 0xff),
          u8(0x00),
          u8(),
          u8(0x80),
          u8(0x7f, 0xff),
          u8(0x00, 0x00),
          u8(0xff),
          u8(0x01),
          u8(0x00, 0xff),
          u8(0xff, 0x00),
          u8(0x10, 0x00, 0x00, 0x00)
        ]
        await st.write(keys.map((key, i) => ({ type: 'put', store: 'tree', key, value: u8(i) })))
        const sorted = [...keys].sort(compareKeys).map(hex)
        expect(sorted).toEqual([
          '',
          '00',
          '0000',
          '00ff',
          '01',
          '10000000',
          '7fff',
          '80',
          'ff',
          'ff00',
          'ffffff'
        ])
        expect((await collect(st.range('tree'))).map(([k]) => k)).toEqual(sorted)
        expect((await collect(st.range('tree', { reverse: true }))).map(([k]) => k)).toEqual(
          [...sorted].reverse()
        )
      }))

    it('honours every range option against a model (random keys and bounds)', () =>
      withStorage(async (st) => {
        const rand = prng(0xc0ffee)
        const randomKey = () => {
          const len = Math.floor(rand() * 4)
          const k = new Uint8Array(len)
          for (let i = 0; i < len; i++) {
            const r = rand()
            k[i] = r < 0.2 ? 0 : r < 0.4 ? 0xff : Math.floor(rand() * 256)
          }
          return k
        }
        const entries = new Map<string, [Uint8Array, Uint8Array]>()
        const ops: BatchOp[] = []
        for (let i = 0; i < 300; i++) {
          const key = randomKey()
          const value = u8(i & 0xff, i >> 8)
          entries.set(hex(key), [key, value])
          ops.push({ type: 'put', store: 'blocks', key, value })
        }
        await st.write(ops)
        for (let round = 0; round < 150; round++) {
          const r: KeyRange = {}
          const lower = rand()
          if (lower < 0.33) r.gt = randomKey()
          else if (lower < 0.66) r.gte = randomKey()
          const upper = rand()
          if (upper < 0.33) r.lt = randomKey()
          else if (upper < 0.66) r.lte = randomKey()
          if (rand() < 0.5) r.reverse = true
          if (rand() < 0.5) r.limit = Math.floor(rand() * 20)
          expect(await collect(st.range('blocks', r)), JSON.stringify(r)).toEqual(model(entries, r))
        }
      }))

    it('walks long ranges across pages, with reverse and limit', () =>
      withStorage(async (st) => {
        const entries = new Map<string, [Uint8Array, Uint8Array]>()
        const ops: BatchOp[] = []
        for (let i = 0; i < 1500; i++) {
          const key = u8(i >> 8, i & 0xff)
          entries.set(hex(key), [key, s(`v${i}`)])
          ops.push({ type: 'put', store: 'tree', key, value: s(`v${i}`) })
        }
        await st.write(ops)
        const cases: KeyRange[] = [
          {},
          { reverse: true },
          { limit: 700 },
          { reverse: true, limit: 1001 },
          { gte: u8(1, 0), lt: u8(4, 0) },
          { gt: u8(0, 10), lte: u8(5, 0), reverse: true, limit: 600 },
          { limit: 0 },
          { gt: u8(0xff) }
        ]
        for (const r of cases)
          expect(await collect(st.range('tree', r)), JSON.stringify(r)).toEqual(model(entries, r))
      }))

    it('lets the consumer stop a range early', () =>
      withStorage(async (st) => {
        await st.write(
          Array.from(
            { length: 600 },
            (_, i) => ({ type: 'put', store: 'user', key: u8(i >> 8, i), value: u8(1) }) as BatchOp
          )
        )
        let seen = 0
        for await (const _ of st.range('user')) if (++seen === 3) break
        expect(seen).toBe(3)
        expect(text(await st.get('user', u8(0, 1)))).toBe('\x01')
      }))

    it('rejects a malformed batch as a whole', () =>
      withStorage(async (st) => {
        await st.write([{ type: 'put', store: 'meta', key: s('keep'), value: s('old') }])
        const bad: unknown[] = [
          { type: 'put', store: 'meta', key: s('keep'), value: s('new') },
          { type: 'put', store: 'meta', key: s('half'), value: s('written') },
          { type: 'put', store: 'nope', key: s('x'), value: s('y') }
        ]
        await expect(st.write(bad as BatchOp[])).rejects.toBeInstanceOf(StorageArgumentError)
        const bad2: unknown[] = [
          { type: 'put', store: 'meta', key: s('half'), value: s('written') },
          { type: 'put', store: 'meta', key: 'not bytes', value: s('y') }
        ]
        await expect(st.write(bad2 as BatchOp[])).rejects.toBeInstanceOf(StorageArgumentError)
        const bad3: unknown[] = [
          { type: 'delRange', store: 'meta', gte: u8(), lt: u8(0xff) },
          { type: 'frobnicate', store: 'meta', key: s('x') }
        ]
        await expect(st.write(bad3 as BatchOp[])).rejects.toBeInstanceOf(StorageArgumentError)
        expect(text(await st.get('meta', s('keep')))).toBe('old')
        expect(await st.get('meta', s('half'))).toBeNull()
        // The storage is still fine afterwards.
        await st.write([{ type: 'put', store: 'meta', key: s('after'), value: s('ok') }])
        expect(text(await st.get('meta', s('after')))).toBe('ok')
      }))

    it('rejects malformed reads with StorageArgumentError', () =>
      withStorage(async (st) => {
        await expect(st.get('bogus' as StoreName, u8(1))).rejects.toBeInstanceOf(StorageArgumentError)
        await expect(st.get('meta', 'k' as unknown as Uint8Array)).rejects.toBeInstanceOf(
          StorageArgumentError
        )
        await expect(collect(st.range('meta', { gt: u8(1), gte: u8(1) }))).rejects.toBeInstanceOf(
          StorageArgumentError
        )
        await expect(collect(st.range('meta', { limit: -1 }))).rejects.toBeInstanceOf(StorageArgumentError)
      }))

    it('never lets callers alias stored bytes', () =>
      withStorage(async (st) => {
        const key = s('alias')
        const value = s('original')
        await st.write([{ type: 'put', store: 'blocks', key, value }])
        key.fill(0)
        value.fill(0)
        const got = (await st.get('blocks', s('alias')))!
        expect(text(got)).toBe('original')
        got.fill(0)
        expect(text(await st.get('blocks', s('alias')))).toBe('original')
        const [many] = await st.getMany('blocks', [s('alias')])
        many!.fill(0)
        for await (const [k, v] of st.range('blocks')) {
          k.fill(0)
          v.fill(0)
        }
        expect(text(await st.get('blocks', s('alias')))).toBe('original')
        expect((await collect(st.range('blocks'))).map(([k]) => k)).toEqual([hex(s('alias'))])
        // batches and getMany: no value shares bytes with another or with the caller's
        const a = s('first')
        const b = s('second')
        await st.write([
          { type: 'put', store: 'blocks', key: s('a'), value: a },
          { type: 'put', store: 'blocks', key: s('b'), value: b },
          { type: 'put', store: 'blocks', key: s('c'), value: a }
        ])
        a.fill(0)
        const [ga, gb, gc] = await st.getMany('blocks', [s('a'), s('b'), s('c')])
        ga!.fill(1)
        expect([text(gb!), text(gc!)]).toEqual(['second', 'first'])
        gb!.fill(2)
        expect((await st.getMany('blocks', [s('a'), s('b'), s('c')])).map((v) => text(v!))).toEqual([
          'first',
          'second',
          'first'
        ])
      }))

    it('stores given-away values and serves borrowed reads with the same bytes as plain ones', () =>
      withStorage(async (st) => {
        const whole = s('a value of its own')
        const big = new Uint8Array(4096).fill(7)
        big.set(s('a small view'), 100)
        const small = big.subarray(100, 112)
        await st.write([
          { type: 'put', store: 'blocks', key: s('whole'), value: whole, owned: true },
          { type: 'put', store: 'blocks', key: s('small'), value: small, owned: true },
          { type: 'put', store: 'blocks', key: s('plain'), value: s('copied in'), owned: false }
        ])
        const keys = [s('whole'), s('small'), s('plain'), s('absent')]
        const expected = ['a value of its own', 'a small view', 'copied in', null]
        expect((await st.getMany('blocks', keys, { borrow: true })).map(text)).toEqual(expected)
        const copies = await st.getMany('blocks', keys)
        expect(copies.map(text)).toEqual(expected)
        // plain reads are the caller's, whatever was borrowed
        for (const c of copies) c?.fill(0)
        ;(await st.get('blocks', s('whole')))!.fill(0)
        expect((await st.getMany('blocks', keys, { borrow: true })).map(text)).toEqual(expected)
        expect((await collect(st.range('blocks'))).map(([, v]) => v)).toEqual(
          ['copied in', 'a small view', 'a value of its own'].map((t) => hex(s(t)))
        )
      }))

    it('stores large values and many keys', () =>
      withStorage(async (st) => {
        const big = new Uint8Array(3 * 1024 * 1024 + 17)
        for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff
        await st.write([{ type: 'put', store: 'blocks', key: s('big'), value: big }])
        const back = (await st.get('blocks', s('big')))!
        expect(back.length).toBe(big.length)
        expect(sameBytes(back, big)).toBe(true)
        const n = 10_000
        for (let start = 0; start < n; start += 2_000) {
          const ops: BatchOp[] = []
          for (let i = start; i < start + 2_000; i++) {
            ops.push({
              type: 'put',
              store: 'tree',
              key: u8(i >>> 16, (i >>> 8) & 0xff, i & 0xff),
              value: u8(i & 0xff, 1, 2, 3)
            })
          }
          await st.write(ops)
        }
        let count = 0
        let prev: Uint8Array | null = null
        for await (const [k, v] of st.range('tree')) {
          if (prev) expect(compareKeys(prev, k)).toBeLessThan(0)
          const i = (k[0]! << 16) | (k[1]! << 8) | k[2]!
          expect(v[0]).toBe(i & 0xff)
          prev = k
          count++
        }
        expect(count).toBe(n)
        expect(await st.getMany('tree', [u8(0, 0, 0), u8(0, 39, 15), u8(1, 0, 0)])).toEqual([
          u8(0, 1, 2, 3),
          u8(15, 1, 2, 3),
          null
        ])
      }))

    it('accepts both durabilities and empty batches', () =>
      withStorage(async (st) => {
        await st.write([])
        await st.write([{ type: 'put', store: 'meta', key: s('s'), value: s('strict') }], {
          durability: 'strict'
        })
        await st.write([{ type: 'put', store: 'meta', key: s('r'), value: s('relaxed') }], {
          durability: 'relaxed'
        })
        expect((await st.getMany('meta', [s('s'), s('r')])).map(text)).toEqual(['strict', 'relaxed'])
      }))

    it('persists across close and reopen', async () => {
      const name = fresh()
      const a = await target.open(name)
      await a.write([
        { type: 'put', store: 'meta', key: s('head'), value: s('h1') },
        { type: 'put', store: 'blocks', key: u8(0), value: s('block 0') },
        { type: 'put', store: 'blocks', key: u8(1), value: s('block 1') }
      ])
      await a.write([
        { type: 'del', store: 'blocks', key: u8(0) },
        { type: 'put', store: 'meta', key: s('head'), value: s('h2') }
      ])
      // Not awaited: close must let it finish first.
      const last = a.write([{ type: 'put', store: 'user', key: s('late'), value: s('write') }])
      await a.close()
      await last
      expect(a.closed).toBe(true)
      const b = await target.open(name)
      expect(text(await b.get('meta', s('head')))).toBe('h2')
      expect(await b.get('blocks', u8(0))).toBeNull()
      expect(text(await b.get('blocks', u8(1)))).toBe('block 1')
      expect(text(await b.get('user', s('late')))).toBe('write')
      await b.destroy()
    })

    it('rejects calls after close with StorageClosedError; close is idempotent', async () => {
      const name = fresh()
      const st = await target.open(name)
      await st.write([{ type: 'put', store: 'meta', key: s('k'), value: s('v') }])
      await st.close()
      await st.close()
      expect(st.closed).toBe(true)
      await expect(st.get('meta', s('k'))).rejects.toBeInstanceOf(StorageClosedError)
      await expect(st.getMany('meta', [s('k')])).rejects.toBeInstanceOf(StorageClosedError)
      await expect(collect(st.range('meta'))).rejects.toBeInstanceOf(StorageClosedError)
      await expect(
        st.write([{ type: 'put', store: 'meta', key: s('k'), value: s('w') }])
      ).rejects.toBeInstanceOf(StorageClosedError)
      const again = await target.open(name)
      expect(text(await again.get('meta', s('k')))).toBe('v')
      await again.destroy()
    })

    it('destroy deletes everything of the root and closes it', async () => {
      const name = fresh()
      const other = fresh()
      const st = await target.open(name)
      const bystander = await target.open(other)
      await bystander.write([{ type: 'put', store: 'meta', key: s('k'), value: s('other root') }])
      await st.write([
        { type: 'put', store: 'meta', key: s('k'), value: s('v') },
        { type: 'put', store: 'blocks', key: u8(1), value: s('b') }
      ])
      await st.destroy()
      expect(st.closed).toBe(true)
      await expect(st.get('meta', s('k'))).rejects.toBeInstanceOf(StorageClosedError)
      const reopened = await target.open(name)
      expect(await reopened.get('meta', s('k'))).toBeNull()
      expect(await collect(reopened.range('blocks'))).toEqual([])
      await reopened.destroy()
      expect(text(await bystander.get('meta', s('k')))).toBe('other root')
      await bystander.destroy()
    })

    it('a read-only opener reads but rejects writes and destroy', async () => {
      const name = fresh()
      const writer = await target.open(name)
      await writer.write([{ type: 'put', store: 'meta', key: s('k'), value: s('v') }])
      await writer.close()
      const reader = await target.open(name, { lock: 'readonly' })
      expect(reader.readOnly).toBe(true)
      expect(text(await reader.get('meta', s('k')))).toBe('v')
      await expect(
        reader.write([{ type: 'put', store: 'meta', key: s('k'), value: s('w') }])
      ).rejects.toBeInstanceOf(StorageReadOnlyError)
      await expect(reader.destroy()).rejects.toBeInstanceOf(StorageReadOnlyError)
      expect(text(await reader.get('meta', s('k')))).toBe('v')
      await reader.close()
      await (await target.open(name)).destroy()
    })

    it('allows one writer: a second exclusive opener gets StorageLockedError', async () => {
      const name = fresh()
      const writer = await target.open(name)
      await expect(target.open(name)).rejects.toBeInstanceOf(StorageLockedError)
      await expect(target.open(name, { lock: 'exclusive' })).rejects.toBeInstanceOf(StorageLockedError)
      await writer.close()
      const next = await target.open(name)
      expect(next.readOnly).toBe(false)
      await next.destroy()
    })

    it('falls back to read-only when locked, and follows the writer', async () => {
      const name = fresh()
      const writer = await target.open(name)
      await writer.write([{ type: 'put', store: 'meta', key: s('head'), value: s('1') }])
      const follower = await target.open(name, { lock: 'readonly-if-locked' })
      expect(follower.readOnly).toBe(true)
      expect(text(await follower.get('meta', s('head')))).toBe('1')
      await expect(
        follower.write([{ type: 'put', store: 'meta', key: s('x'), value: s('y') }])
      ).rejects.toBeInstanceOf(StorageReadOnlyError)
      const changes: StorageChange[] = []
      const changed = new Promise<void>((resolve) => {
        follower.onChange((change) => {
          changes.push(change)
          resolve()
        })
      })
      await writer.write([
        { type: 'put', store: 'meta', key: s('head'), value: s('2') },
        { type: 'put', store: 'blocks', key: u8(7), value: s('seven') }
      ])
      await changed
      expect(changes[0]!.stores).toEqual(['meta', 'blocks'])
      expect(text(await follower.get('meta', s('head')))).toBe('2')
      expect(text(await follower.get('blocks', u8(7)))).toBe('seven')
      expect((await collect(follower.range('blocks'))).length).toBe(1)
      await follower.close()
      // While the writer is open, every fallback opener is read-only...
      const free = await target.open(name, { lock: 'readonly-if-locked' })
      expect(free.readOnly).toBe(true)
      await free.close()
      await writer.close()
      // ...and once it is gone the lock is free again.
      const writable = await target.open(name, { lock: 'readonly-if-locked' })
      expect(writable.readOnly).toBe(false)
      await writable.destroy()
    })
  })
}
