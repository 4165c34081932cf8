import c from 'compact-encoding'
import fc from 'fast-check'
import messages from 'hypercore/lib/messages.js'
import { describe, expect, expectTypeOf, it } from 'vitest'
import {
  array,
  buffer,
  type Codec,
  CodecError,
  decode,
  encode,
  fixed32,
  flag,
  type Infer,
  optional,
  optionalBuffer,
  raw,
  struct,
  trailing,
  uint,
  uint32array,
  utf8
} from '../src/index.ts'

// hypercore 11's wire messages re-declared with the struct API, then cross-checked against the real
// hand-written encoders in hypercore/lib/messages.js.
const reqBlock = struct({ index: uint, nodes: uint })
const reqSeek = struct({ bytes: uint, padding: uint })
const reqUpgrade = struct({ start: uint, length: uint })
const request = struct(
  {
    id: uint,
    fork: uint,
    block: optional(reqBlock, 0),
    hash: optional(reqBlock, 1),
    seek: optional(reqSeek, 2),
    upgrade: optional(reqUpgrade, 3),
    manifest: flag(4),
    priority: optional(uint, 5, { absent: 0 })
  },
  { flagsAt: 0 }
)
const sync = struct(
  {
    fork: uint,
    length: uint,
    remoteLength: uint,
    canUpgrade: flag(0),
    uploading: flag(1),
    downloading: flag(2),
    hasManifest: flag(3),
    allowPush: flag(4)
  },
  { flagsAt: 0 }
)
const want = struct({ start: uint, length: uint, any: trailing(uint, 0, { omitWhen: 0 }) })
const bitfield = struct({ start: uint, bitfield: uint32array })
const extension = struct({ name: utf8, message: raw })
const node = struct({ index: uint, size: uint, hash: fixed32 })
const upgradeData = struct({
  start: uint,
  length: uint,
  nodes: array(node),
  additionalNodes: array(node),
  signature: optionalBuffer
})

const real = messages.wire

const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null })
const nat = fc.oneof(fc.nat(300), fc.maxSafeNat())
const arbRequest = fc.record({
  id: nat,
  fork: nat,
  block: opt(fc.record({ index: nat, nodes: nat })),
  hash: opt(fc.record({ index: nat, nodes: nat })),
  seek: opt(fc.record({ bytes: nat, padding: nat })),
  upgrade: opt(fc.record({ start: nat, length: nat })),
  manifest: fc.boolean(),
  priority: fc.nat(3)
})
const arbSync = fc.record({
  fork: nat,
  length: nat,
  remoteLength: nat,
  canUpgrade: fc.boolean(),
  uploading: fc.boolean(),
  downloading: fc.boolean(),
  hasManifest: fc.boolean(),
  allowPush: fc.boolean()
})
const hash32 = fc.uint8Array({ minLength: 32, maxLength: 32 })
const arbNode = fc.record({ index: nat, size: nat, hash: hash32 })

const plain = (v: unknown): unknown =>
  v instanceof Uint8Array
    ? [...v]
    : v instanceof Uint32Array
      ? [...v]
      : Array.isArray(v)
        ? v.map(plain)
        : v && typeof v === 'object'
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]))
          : v

// biome-ignore lint/suspicious/noExplicitAny: real encoders are untyped
function crossCheck<T>(name: string, ours: Codec<T, any>, theirs: any, arb: fc.Arbitrary<T>) {
  it(`${name}: byte-identical to hypercore's encoder, decodes both ways (10 000 values)`, () => {
    fc.assert(
      fc.property(arb, (v) => {
        const mine = encode(ours, v)
        expect([...mine]).toEqual([...c.encode(theirs, v)])
        expect(plain(c.decode(theirs, mine))).toEqual(plain(v))
        expect(plain(decode(ours, mine))).toEqual(plain(v))
      }),
      { numRuns: 10_000 }
    )
  })
}

describe('struct against hypercore 11 wire messages', () => {
  crossCheck('request', request, real.request, arbRequest)
  crossCheck('sync', sync, real.sync, arbSync)
  crossCheck(
    'bitfield',
    bitfield,
    real.bitfield,
    fc.record({ start: nat, bitfield: fc.uint32Array({ maxLength: 64 }) })
  )
  crossCheck(
    'extension',
    extension,
    real.extension,
    fc.record({ name: fc.string(), message: fc.uint8Array() })
  )
  it('want: a trailing flags field omitted when zero, as hypercore writes it', () => {
    fc.assert(
      fc.property(fc.record({ start: nat, length: nat, any: fc.boolean() }), (v) => {
        const mine = encode(want, { start: v.start, length: v.length, any: v.any ? 1 : 0 })
        expect([...mine]).toEqual([...c.encode(real.want, v)])
        expect(c.decode(real.want, mine)).toEqual(v)
      }),
      { numRuns: 10_000 }
    )
  })

  it('decodes a want from an older peer that omits the trailing flags', () => {
    expect(decode(want, new Uint8Array([5, 32]))).toEqual({ start: 5, length: 32, any: 0 })
    expect(decode(want, encode(want, { start: 1, length: 2, any: 1 }))).toEqual({
      start: 1,
      length: 2,
      any: 1
    })
  })

  it('upgrade proof bodies match hypercore byte for byte', () => {
    fc.assert(
      fc.property(
        fc.record({
          start: nat,
          length: nat,
          nodes: fc.array(arbNode, { maxLength: 5 }),
          additionalNodes: fc.array(arbNode, { maxLength: 3 }),
          signature: fc.option(fc.uint8Array({ minLength: 1, maxLength: 68 }), { nil: null })
        }),
        (upgrade) => {
          const full = c.encode(real.data, {
            request: 1,
            fork: 2,
            block: null,
            hash: null,
            seek: null,
            upgrade,
            manifest: null
          })
          // data = flags(08) ‖ request(01) ‖ fork(02) ‖ upgrade
          expect([...full.subarray(3)]).toEqual([...encode(upgradeData, upgrade)])
        }
      ),
      { numRuns: 2000 }
    )
  })

  it('infers decoded and input types from the declaration', () => {
    type Req = Infer<typeof request>
    expectTypeOf<Req['block']>().toEqualTypeOf<{ index: number; nodes: number } | null>()
    expectTypeOf<Req['manifest']>().toEqualTypeOf<boolean>()
    expectTypeOf<Req['priority']>().toEqualTypeOf<number>()
    // optional parts may be omitted when encoding
    expect(decode(request, encode(request, { id: 1, fork: 0 }))).toEqual({
      id: 1,
      fork: 0,
      block: null,
      hash: null,
      seek: null,
      upgrade: null,
      manifest: false,
      priority: 0
    })
  })

  it('places the flags word after leading fields (manifest-style)', () => {
    const m = struct(
      { version: uint, allowPatch: flag(0), hashType: uint, prologue: optional(fixed32, 1) },
      { flagsAt: 1 }
    )
    const bytes = encode(m, { version: 1, allowPatch: true, hashType: 0, prologue: new Uint8Array(32) })
    expect([...bytes.subarray(0, 3)]).toEqual([1, 3, 0])
    expect(bytes.byteLength).toBe(35)
  })
})

describe('garbage and truncated input', () => {
  const codecs: [string, Codec<unknown, never>][] = [
    ['request', request as Codec<unknown, never>],
    ['sync', sync as Codec<unknown, never>],
    ['upgrade', upgradeData as Codec<unknown, never>],
    ['array(buffer)', array(buffer) as Codec<unknown, never>],
    ['utf8', utf8 as Codec<unknown, never>]
  ]

  for (const [name, codec] of codecs) {
    it(`${name}: random bytes either decode or raise CodecError`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
          try {
            decode(codec, bytes, { strict: false })
          } catch (err) {
            expect(err).toBeInstanceOf(CodecError)
          }
        }),
        { numRuns: 10_000 }
      )
    })
  }

  it('every strict prefix of a valid request raises TRUNCATED', () => {
    fc.assert(
      fc.property(arbRequest, (v) => {
        const bytes = encode(request, v)
        for (let i = 0; i < bytes.byteLength; i++) {
          expect(() => decode(request, bytes.subarray(0, i))).toThrow(
            expect.objectContaining({ code: 'TRUNCATED' })
          )
        }
      }),
      { numRuns: 2000 }
    )
  })
})
