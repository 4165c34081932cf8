import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { InvalidPathError, normalizeKey, PathTraversalError, resolveKey } from '../src/index.ts'
import { unixPathResolve } from './helpers.ts'

/** unix-path-resolve's answer, or the word `throws`. */
function real(a: string, b?: string): string {
  try {
    return unixPathResolve(a, b)
  } catch {
    return 'throws'
  }
}

function ours(a: string, b?: string): string {
  try {
    return resolveKey(a, b)
  } catch (err) {
    if (err instanceof PathTraversalError || err instanceof InvalidPathError) return 'throws'
    throw err
  }
}

const piece = fc.constantFrom('a', 'bc', '.', '..', '', '/', '\\', 'C:', 'file:', 'http:', ':', ' ', 'é')
const address = fc.array(piece, { maxLength: 8 }).map((p) => p.join(''))

describe('key normalisation (differential against unix-path-resolve)', () => {
  it('agrees on chosen cases', () => {
    const cases = [
      '',
      '/',
      'README.md',
      './README.md',
      '/examples/more/../a.txt',
      '\\examples\\more\\c.txt',
      '//a///b/',
      'a/./b/.',
      '/..',
      'a/../..',
      '../x',
      'C:\\Users\\x',
      'file:/tmp/x',
      'file:///tmp/x',
      'http://host/a/b',
      'x:/y',
      ':/y/z/w',
      'a:b/c'
    ]
    for (const c of cases) expect([c, ours('/', c)]).toEqual([c, real('/', c)])
  })

  it('agrees on generated addresses, alone and resolved against each other', () => {
    fc.assert(
      fc.property(address, address, (a, b) => {
        expect(ours('/', a)).toBe(real('/', a))
        expect(ours(`/${a}`, b)).toBe(real(`/${a}`, b))
      }),
      { numRuns: 2000 }
    )
  })

  it('raises typed errors for traversal, NUL, and non-strings', () => {
    expect(() => normalizeKey('/a/../../b')).toThrow(PathTraversalError)
    const err = (() => {
      try {
        normalizeKey('..')
      } catch (e) {
        return e as PathTraversalError
      }
    })()
    expect(err).toMatchObject({ code: 'PATH_TRAVERSAL', key: '..' })
    expect(err!.message).toBe("Path cannot be resolved, too many '..'")
    expect(() => normalizeKey('/a\0')).toThrow(InvalidPathError)
    expect(() => normalizeKey(42 as unknown as string)).toThrow(InvalidPathError)
    expect(() => resolveKey('relative', 'also-relative')).toThrow(InvalidPathError)
    expect(normalizeKey()).toBe('/')
  })
})
