import fc from 'fast-check'
import flat from 'flat-tree'
import { describe, expect, it } from 'vitest'
import * as ft from '../src/flat-tree.ts'

// The real flat-tree package is the oracle for every function, on small and huge indexes.
const anyIndex = fc.oneof(
  fc.integer({ min: 0, max: 1 << 20 }),
  fc.integer({ min: 0, max: 2 ** 53 - 2 ** 40 })
)

describe('flat-tree', () => {
  it('matches the reference table', () => {
    expect([0, 1, 2, 3, 7, 11].map((i) => ft.depth(i))).toEqual([0, 1, 0, 2, 3, 2])
    expect(ft.parent(4)).toBe(5)
    expect(ft.sibling(11)).toBe(3)
    expect(ft.fullRoots(2 * 7)).toEqual([3, 9, 12])
    expect(ft.fullRoots(2 * 11)).toEqual([7, 17, 20])
    expect(ft.fullRoots(0)).toEqual([])
  })

  it('agrees with the real flat-tree on every function', () => {
    fc.assert(
      fc.property(anyIndex, (i) => {
        expect(ft.depth(i)).toBe(flat.depth(i))
        expect(ft.offset(i)).toBe(flat.offset(i))
        expect(ft.parent(i)).toBe(flat.parent(i))
        expect(ft.sibling(i)).toBe(flat.sibling(i))
        expect(ft.leftSpan(i)).toBe(flat.leftSpan(i))
        expect(ft.rightSpan(i)).toBe(flat.rightSpan(i))
        expect(ft.countLeaves(i)).toBe(flat.countLeaves(i))
        expect(ft.count(i)).toBe(flat.count(i))
        const d = flat.depth(i)
        expect(ft.leftChild(i)).toBe(d === 0 ? -1 : flat.leftChild(i))
        expect(ft.rightChild(i)).toBe(d === 0 ? -1 : flat.rightChild(i))
        expect(ft.index(d, flat.offset(i))).toBe(i)
      }),
      { numRuns: 20_000 }
    )
  })

  it('computes full roots like the real flat-tree', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 0, max: 1 << 20 }), fc.integer({ min: 0, max: 2 ** 51 })),
        (len) => {
          expect(ft.fullRoots(2 * len)).toEqual(flat.fullRoots(2 * len))
        }
      ),
      { numRuns: 10_000 }
    )
    expect(() => ft.fullRoots(3)).toThrow(RangeError)
  })

  it('finds the root that holds a node', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.nat(), (len, n) => {
        const leaf = 2 * (n % len)
        const root = ft.rootOf(leaf, len)
        expect(flat.fullRoots(2 * len)).toContain(root)
        expect(ft.contains(root, leaf)).toBe(true)
      }),
      { numRuns: 5000 }
    )
    expect(ft.rootOf(20, 10)).toBe(-1)
  })
})

describe('TreeIterator', () => {
  it('walks like the real flat-tree iterator', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1 << 22 }),
        fc.array(fc.constantFrom('sibling', 'parent', 'leftChild'), { maxLength: 12 }),
        (start, moves) => {
          const mine = new ft.TreeIterator(start)
          const real = flat.iterator(start)
          for (const m of moves) {
            if (m === 'leftChild' && real.factor === 2) continue
            expect((mine as never as Record<string, () => number>)[m]!()).toBe(real[m]())
            expect(mine.factor).toBe(real.factor)
            expect(mine.offset).toBe(real.offset)
            expect(mine.contains(start)).toBe(real.contains(start))
          }
        }
      ),
      { numRuns: 5000 }
    )
  })

  it('enumerates full roots with fullRoot/nextTree', () => {
    for (let len = 1; len < 300; len++) {
      const roots: number[] = []
      for (const ite = new ft.TreeIterator(0); ite.fullRoot(2 * len); ite.nextTree()) roots.push(ite.index)
      expect(roots).toEqual(flat.fullRoots(2 * len))
    }
  })
})
