import { describe, expect, it } from 'vitest'
import { binaryBounds, binaryKey, compareKeys, keyBytes, toBounds } from '../src/keys.ts'
import { SortedMap } from '../src/sorted-map.ts'

const hex = (b: Uint8Array | string): string =>
  typeof b === 'string' ? hex(keyBytes(b)) : Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')

function prng(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 0x100000000
  }
}

describe('SortedMap', () => {
  it('matches a model through random sets, deletes and range deletes across chunk splits and merges', () => {
    const rand = prng(42)
    const map = new SortedMap<number>()
    const ref = new Map<string, [Uint8Array, number]>()
    const key = () =>
      new Uint8Array([Math.floor(rand() * 40), Math.floor(rand() * 256), Math.floor(rand() * 4)])
    let peak = 0
    for (let step = 0; step < 40_000; step++) {
      peak = Math.max(peak, map.size)
      const r = rand()
      if (r < 0.75) {
        const k = key()
        const prev = map.set(binaryKey(k), step)
        expect(prev).toBe(ref.get(hex(k))?.[1])
        ref.set(hex(k), [k, step])
      } else if (r < 0.997) {
        const k = key()
        expect(map.delete(binaryKey(k))).toBe(ref.get(hex(k))?.[1])
        ref.delete(hex(k))
      } else {
        const a = key()
        const b = key()
        const removed: string[] = []
        const n = map.deleteRange(binaryKey(a), binaryKey(b), (k) => removed.push(hex(k)))
        const expected = [...ref.values()]
          .filter(([k]) => compareKeys(k, a) >= 0 && compareKeys(k, b) < 0)
          .map(([k]) => hex(k))
          .sort()
        expect(removed.sort()).toEqual(expected)
        expect(n).toBe(expected.length)
        for (const h of expected) ref.delete(h)
      }
      if (step % 5000 === 0 || step === 39_999) {
        expect(map.size).toBe(ref.size)
        const all: string[] = []
        map.scan(binaryBounds(toBounds()), Infinity, (k, v) => {
          all.push(hex(k))
          expect(v).toBe(ref.get(hex(k))![1])
        })
        expect(all).toEqual([...ref.values()].sort((x, y) => compareKeys(x[0], y[0])).map(([k]) => hex(k)))
        const back: string[] = []
        map.scan(binaryBounds(toBounds({ reverse: true })), Infinity, (k) => back.push(hex(k)))
        expect(back).toEqual([...all].reverse())
      }
    }
    // Big enough to have split chunks (1024 keys each), and shrunk again by the range deletes.
    expect(peak).toBeGreaterThan(4000)
    expect(map.size).toBeLessThan(peak)
  })

  it('orders binary-string keys bytewise, like compareKeys', () => {
    const rand = prng(7)
    for (let i = 0; i < 2000; i++) {
      const a = Uint8Array.from({ length: Math.floor(rand() * 6) }, () =>
        rand() < 0.3 ? 0xff : Math.floor(rand() * 256)
      )
      const b = Uint8Array.from({ length: Math.floor(rand() * 6) }, () =>
        rand() < 0.3 ? 0 : Math.floor(rand() * 256)
      )
      const byBytes = Math.sign(compareKeys(a, b))
      const ka = binaryKey(a)
      const kb = binaryKey(b)
      expect(ka < kb ? -1 : ka > kb ? 1 : 0).toBe(byBytes)
      expect(keyBytes(ka)).toEqual(a)
    }
    const long = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 7) & 0xff)
    expect(keyBytes(binaryKey(long))).toEqual(long)
  })

  it('appends in order and clears', () => {
    const map = new SortedMap<number>()
    for (let i = 0; i < 5000; i++) map.set(binaryKey(new Uint8Array([i >> 8, i & 0xff])), i)
    expect(map.size).toBe(5000)
    expect(map.get(binaryKey(new Uint8Array([19, 135])))).toBe(19 * 256 + 135)
    map.clear()
    expect(map.size).toBe(0)
    expect(map.get(binaryKey(new Uint8Array([0, 0])))).toBeUndefined()
  })
})
