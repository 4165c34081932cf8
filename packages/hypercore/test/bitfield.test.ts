import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { BITS_PER_PAGE, Bitfield } from '../src/bitfield.ts'

// A plain Set of indexes is the model the bitfield must agree with.
describe('Bitfield', () => {
  const op = fc.record({
    start: fc.oneof(fc.nat(200), fc.integer({ min: BITS_PER_PAGE - 100, max: 3 * BITS_PER_PAGE })),
    len: fc.oneof(fc.nat(40), fc.nat(BITS_PER_PAGE + 50)),
    value: fc.boolean()
  })

  it('agrees with a set model on get/findFirst/findLast/count', () => {
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 12 }),
        fc.array(fc.nat(4 * BITS_PER_PAGE), { maxLength: 20 }),
        (ops, probes) => {
          const b = new Bitfield()
          const model = new Set<number>()
          for (const { start, len, value } of ops) {
            b.setRange(start, start + len, value)
            for (let i = start; i < start + len; i++) value ? model.add(i) : model.delete(i)
          }
          const sorted = [...model].sort((x, y) => x - y)
          for (const p of probes) {
            expect(b.get(p)).toBe(model.has(p))
            expect(b.findFirst(true, p)).toBe(sorted.find((i) => i >= p) ?? -1)
            let firstZero = p
            while (model.has(firstZero)) firstZero++
            expect(b.findFirst(false, p)).toBe(firstZero)
            expect(b.findLast(true, p)).toBe([...sorted].reverse().find((i) => i <= p) ?? -1)
            let lastZero = p
            while (lastZero >= 0 && model.has(lastZero)) lastZero--
            expect(b.findLast(false, p)).toBe(lastZero)
            const end = p + 1000
            expect(b.count(p, end)).toBe(sorted.filter((i) => i >= p && i < end).length)
          }
        }
      ),
      { numRuns: 300 }
    )
  })

  it('persists pages and reloads them identically', () => {
    const a = new Bitfield()
    a.setRange(5, 70000, true)
    a.set(40000, false)
    const dirty = a.takeDirtyPages()
    expect(dirty.sort()).toEqual([0, 1, 2])
    expect(a.takeDirtyPages()).toEqual([])
    a.set(3, true)
    a.clearDirty()
    expect(a.takeDirtyPages()).toEqual([])
    const b = new Bitfield()
    for (const p of dirty) b.loadPage(p, a.pageBytes(p)!)
    expect(a.pageBytes(3)).toBeNull()
    for (const i of [0, 4, 5, 39999, 40000, 40001, 69999, 70000]) expect(b.get(i)).toBe(a.get(i))
    expect(() => b.loadPage(0, new Uint8Array(10))).toThrow(RangeError)
  })

  it('exports words little-endian like hypercore bitfield messages', () => {
    const b = new Bitfield()
    b.set(0, true)
    b.set(33, true)
    b.set(BITS_PER_PAGE + 1, true)
    expect([...b.words(0, 2)]).toEqual([1, 2])
    expect([...b.words(BITS_PER_PAGE - 32, 2)]).toEqual([0, 2])
  })
})

describe('Bitfield.setWords', () => {
  it('writes remote words at 32-aligned offsets across pages', () => {
    const b = new Bitfield()
    b.setRange(0, 100, true)
    b.setWords(BITS_PER_PAGE - 64, new Uint32Array([0, 1, 0xffffffff, 2]))
    expect(b.get(BITS_PER_PAGE - 64)).toBe(false)
    expect(b.get(BITS_PER_PAGE - 32)).toBe(true)
    expect(b.get(BITS_PER_PAGE - 31)).toBe(false)
    expect(b.findFirst(false, BITS_PER_PAGE)).toBe(BITS_PER_PAGE + 32)
    expect(b.get(BITS_PER_PAGE + 33)).toBe(true)
    expect(b.get(50)).toBe(true)
  })
})
