import { describe, expect, it } from 'vitest'
import {
  array,
  decode,
  encode,
  fixed32,
  flag,
  int,
  json,
  optional,
  struct,
  uint,
  uint32array,
  utf8
} from '../src/index.ts'

// The same codecs in real Chromium: no Node, no Buffer.
describe('codec in Chromium', () => {
  it('round-trips numbers at every varint width', () => {
    for (const n of [0, 252, 253, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1]) {
      expect(decode(uint, encode(uint, n))).toBe(n)
    }
    for (const n of [0, -1, 1, -(2 ** 52), 2 ** 52 - 1]) expect(decode(int, encode(int, n))).toBe(n)
  })

  it('round-trips strings, json, typed arrays and flag structs', () => {
    const s = struct(
      { name: utf8, key: optional(fixed32, 0), live: flag(1), words: uint32array },
      { flagsAt: 0 }
    )
    const v = {
      name: 'héllo 🌳',
      key: new Uint8Array(32).fill(7),
      live: true,
      words: new Uint32Array([1, 2 ** 32 - 1])
    }
    const out = decode(s, encode(s, v))
    expect(out.name).toBe(v.name)
    expect([...(out.key ?? [])]).toEqual([...v.key])
    expect(out.live).toBe(true)
    expect([...out.words]).toEqual([1, 2 ** 32 - 1])
    expect(decode(json, encode(json, { a: [1, 'x'] }))).toEqual({ a: [1, 'x'] })
    expect(decode(array(utf8), encode(array(utf8), ['a', 'ü']))).toEqual(['a', 'ü'])
  })

  it('raises typed errors on truncated input', () => {
    expect(() => decode(uint, new Uint8Array([0xfe, 1]))).toThrow(
      expect.objectContaining({ code: 'TRUNCATED' })
    )
  })
})
