import c from 'compact-encoding'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as ours from '../src/index.ts'
import { type Codec, CodecError, decode, encode } from '../src/index.ts'

// Every codec is checked both ways against the real compact-encoding: identical bytes, ours
// decodes theirs, theirs decodes ours — over ≥ 10 000 random values each.
const RUNS = 10_000

interface Theirs {
  preencode(s: unknown, v: unknown): void
  encode(s: unknown, v: unknown): void
  decode(s: unknown): unknown
}

function crossCheck<T>(
  name: string,
  codec: Codec<T>,
  theirs: Theirs,
  arb: fc.Arbitrary<T>,
  norm = (v: unknown) => v
) {
  it(`${name}: ${RUNS} values encode byte-identically and decode both ways`, () => {
    fc.assert(
      fc.property(arb, (v) => {
        const mine = encode(codec, v)
        const real = c.encode(theirs, v) as Uint8Array
        expect(mine).toEqual(new Uint8Array(real))
        expect(norm(c.decode(theirs, mine))).toEqual(norm(v))
        expect(norm(decode(codec, new Uint8Array(real)))).toEqual(norm(v))
      }),
      { numRuns: RUNS }
    )
  })
}

const bytesOf = (v: unknown) => (v instanceof Uint8Array ? new Uint8Array(v) : v)
const u = (max: number) =>
  fc.oneof(
    fc.integer({ min: 0, max: Math.min(max, 300) }),
    fc.integer({ min: 0, max: Math.min(max, 2 ** 31) }),
    fc.maxSafeNat().map((n) => n % (max + 1))
  )
const i = (bits: number) => {
  const lim = Math.min(2 ** (bits - 1) - 1, 2 ** 52 - 1)
  return fc.oneof(
    fc.integer({ min: -Math.min(300, lim), max: Math.min(300, lim) }),
    fc.double({ min: -lim, max: lim, noNaN: true }).map((x) => Math.trunc(x) + 0)
  )
}

describe('numbers', () => {
  crossCheck('uint', ours.uint, c.uint, fc.oneof(u(0xfc), u(0xffff), u(0xffffffff), fc.maxSafeNat()))
  crossCheck('uint8', ours.uint8, c.uint8, u(0xff))
  crossCheck('uint16', ours.uint16, c.uint16, u(0xffff))
  crossCheck('uint24', ours.uint24, c.uint24, u(0xffffff))
  crossCheck('uint32', ours.uint32, c.uint32, u(0xffffffff))
  crossCheck('uint40', ours.uint40, c.uint40, u(2 ** 40 - 1))
  crossCheck('uint48', ours.uint48, c.uint48, u(2 ** 48 - 1))
  crossCheck('uint56', ours.uint56, c.uint56, fc.maxSafeNat())
  crossCheck('uint64', ours.uint64, c.uint64, fc.maxSafeNat())
  crossCheck('uint32be', ours.uint32be, c.uint32be, u(0xffffffff))
  crossCheck('uint64be', ours.uint64be, c.uint64be, fc.maxSafeNat())
  crossCheck('int', ours.int, c.int, i(53))
  crossCheck('int8', ours.int8, c.int8, i(8))
  crossCheck('int16', ours.int16, c.int16, i(16))
  crossCheck('int24', ours.int24, c.int24, i(24))
  crossCheck('int32', ours.int32, c.int32, i(32))
  crossCheck('int64', ours.int64, c.int64, i(53))
  crossCheck('float64', ours.float64, c.float64, fc.double({ noNaN: true }))
  crossCheck('float32', ours.float32, c.float32, fc.float({ noNaN: true }).map(Math.fround))
  crossCheck('bool', ours.bool, c.bool, fc.boolean())

  it('round-trips the big-endian widths compact-encoding lacks', () => {
    fc.assert(
      fc.property(u(0xffffff), (n) => {
        expect(decode(ours.uint16be, encode(ours.uint16be, n & 0xffff))).toBe(n & 0xffff)
        expect(decode(ours.uint24be, encode(ours.uint24be, n))).toBe(n)
        const be = encode(ours.uint24be, n)
        expect(be[0]! * 65536 + be[1]! * 256 + be[2]!).toBe(n)
      }),
      { numRuns: RUNS }
    )
  })

  it('rejects values it cannot represent instead of writing wrong bytes', () => {
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 53, Number.POSITIVE_INFINITY]) {
      expect(() => encode(ours.uint, bad)).toThrow(CodecError)
    }
    expect(() => encode(ours.uint8, 256)).toThrow(expect.objectContaining({ code: 'OUT_OF_RANGE' }))
    expect(() => encode(ours.int8, 200)).toThrow(expect.objectContaining({ code: 'OUT_OF_RANGE' }))
    expect(() => encode(ours.int, 2 ** 52)).toThrow(expect.objectContaining({ code: 'OUT_OF_RANGE' }))
  })

  it('rejects decoded uint64 values past 2^53 - 1 and non-0/1 bools', () => {
    expect(() => decode(ours.uint, new Uint8Array([0xff, 0, 0, 0, 0, 0, 0, 0x20, 0]))).toThrow(
      expect.objectContaining({ code: 'OUT_OF_RANGE' })
    )
    expect(() => decode(ours.bool, new Uint8Array([2]))).toThrow(
      expect.objectContaining({ code: 'INVALID_ENCODING' })
    )
  })

  it('matches the reference varint examples', () => {
    expect(encode(ours.uint, 252)).toEqual(new Uint8Array([0xfc]))
    expect(encode(ours.uint, 253)).toEqual(new Uint8Array([0xfd, 0xfd, 0]))
    expect(encode(ours.uint, 65536)).toEqual(new Uint8Array([0xfe, 0, 0, 1, 0]))
    expect(encode(ours.uint, 2 ** 32)).toEqual(new Uint8Array([0xff, 0, 0, 0, 0, 1, 0, 0, 0]))
    expect(encode(ours.int, -1)).toEqual(new Uint8Array([1]))
    expect(encode(ours.int, 1)).toEqual(new Uint8Array([2]))
  })
})

const bytes = fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 250, maxLength: 70000 }))

describe('bytes and strings', () => {
  crossCheck('buffer', ours.buffer, c.buffer, bytes, bytesOf)
  crossCheck(
    'optionalBuffer',
    ours.optionalBuffer as Codec<Uint8Array | null>,
    c.optionalBuffer,
    fc.option(fc.uint8Array({ minLength: 1, maxLength: 300 })),
    bytesOf
  )
  crossCheck('fixed32', ours.fixed32, c.fixed32, fc.uint8Array({ minLength: 32, maxLength: 32 }), bytesOf)
  crossCheck('fixed64', ours.fixed64, c.fixed64, fc.uint8Array({ minLength: 64, maxLength: 64 }), bytesOf)
  crossCheck('fixed(5)', ours.fixed(5), c.fixed(5), fc.uint8Array({ minLength: 5, maxLength: 5 }), bytesOf)
  crossCheck('raw', ours.raw, c.raw, bytes, bytesOf)
  crossCheck('uint32array', ours.uint32array, c.uint32array, fc.uint32Array({ maxLength: 300 }), (v) => [
    ...(v as Uint32Array)
  ])
  crossCheck('bitarray', ours.bitarray, c.bitarray, fc.array(fc.boolean(), { maxLength: 100 }))
  crossCheck(
    'utf8',
    ours.utf8,
    c.utf8,
    fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary', maxLength: 500 }))
  )
  crossCheck(
    'json',
    ours.json as Codec<unknown>,
    c.json,
    fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)))
  )

  it('rejects invalid UTF-8 and wrongly sized fixed buffers', () => {
    expect(() => decode(ours.utf8, new Uint8Array([2, 0xc3, 0x28]))).toThrow(
      expect.objectContaining({ code: 'INVALID_ENCODING' })
    )
    expect(() => encode(ours.fixed32, new Uint8Array(31))).toThrow(
      expect.objectContaining({ code: 'INVALID_VALUE' })
    )
    expect(() => encode(ours.buffer, 'x' as unknown as Uint8Array)).toThrow(CodecError)
  })
})

describe('composition', () => {
  crossCheck(
    'array(uint)',
    ours.array(ours.uint),
    c.array(c.uint),
    fc.array(fc.maxSafeNat(), { maxLength: 50 })
  )
  crossCheck(
    'array(string)',
    ours.array(ours.utf8),
    c.array(c.utf8),
    fc.array(fc.string(), { maxLength: 20 })
  )
  crossCheck('frame(buffer)', ours.frame(ours.buffer), c.frame(c.buffer), bytes, bytesOf)

  it('rejects array counts over the limit before allocating', () => {
    const big = encode(ours.uint, 0x100001)
    expect(() => decode(ours.array(ours.uint), big)).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }))
    const impossible = encode(ours.uint, 1000) // 1000 items claimed, none present
    expect(() => decode(ours.array(ours.uint), impossible)).toThrow(
      expect.objectContaining({ code: 'TRUNCATED' })
    )
  })

  it('bounds a frame: the inner codec cannot read past it', () => {
    const f = ours.frame(ours.raw)
    const encoded = encode(ours.struct({ a: f, b: ours.uint }), { a: new Uint8Array([1, 2]), b: 7 })
    expect(decode(ours.struct({ a: f, b: ours.uint }), encoded)).toEqual({ a: new Uint8Array([1, 2]), b: 7 })
  })

  it('strict decode rejects trailing bytes; non-strict ignores them', () => {
    const bytes = new Uint8Array([1, 2])
    expect(() => decode(ours.uint, bytes)).toThrow(expect.objectContaining({ code: 'TRAILING_BYTES' }))
    expect(decode(ours.uint, bytes, { strict: false })).toBe(1)
  })

  it('encodes into a caller buffer at an offset', () => {
    const buf = new Uint8Array(10)
    const end = ours.encodeInto(ours.buffer, new Uint8Array([9, 9]), buf, 4)
    expect(end).toBe(7)
    expect([...buf.subarray(4, 7)]).toEqual([2, 9, 9])
    expect(() => ours.encodeInto(ours.buffer, new Uint8Array(20), buf, 0)).toThrow(
      expect.objectContaining({ code: 'TOO_LARGE' })
    )
  })
})
