import { decode, encode } from '@orchard/codec'
import c from 'compact-encoding'
import fc from 'fast-check'
import realMessages from 'hypercore/lib/messages.js'
import { describe, expect, it } from 'vitest'
import * as m from '../src/replication/messages.ts'

// The request and data messages are coded by hand for speed. They must write the bytes their
// declarative shapes write, and the bytes hypercore 11's own codec writes, and read both back.

const uint = fc.nat({ max: 2 ** 40 })
const small = fc.nat({ max: 1000 })
const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max })
const node = fc.record({ index: uint, size: uint, hash: bytes(32, 32) })
const nodes = fc.array(node, { maxLength: 4 })

const requestArb = fc.record({
  id: small,
  fork: small,
  block: fc.option(fc.record({ index: uint, nodes: small })),
  hash: fc.option(fc.record({ index: uint, nodes: small })),
  seek: fc.option(fc.record({ bytes: uint, padding: small })),
  upgrade: fc.option(fc.record({ start: uint, length: uint })),
  manifest: fc.boolean(),
  priority: fc.nat({ max: 5 })
})

const dataArb = fc.record({
  request: small,
  fork: small,
  block: fc.option(fc.record({ index: uint, value: bytes(0, 64), nodes })),
  hash: fc.option(fc.record({ index: uint, nodes })),
  seek: fc.option(fc.record({ bytes: uint, nodes })),
  upgrade: fc.option(
    fc.record({
      start: uint,
      length: uint,
      nodes,
      additionalNodes: nodes,
      signature: fc.option(bytes(64, 64))
    })
  ),
  manifest: fc.constant(null)
})

// biome-ignore lint/suspicious/noExplicitAny: the real codec is untyped
const realEncode = (codec: any, value: unknown) => new Uint8Array(c.encode(codec, value))
const toBuffers = (v: unknown): unknown =>
  v instanceof Uint8Array
    ? Buffer.from(v)
    : Array.isArray(v)
      ? v.map(toBuffers)
      : v && typeof v === 'object'
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toBuffers(x)]))
        : v

describe('hand-coded replication messages', () => {
  it('request: same bytes as its shape and as hypercore 11, decoded back (2 000 messages)', () => {
    fc.assert(
      fc.property(requestArb, (msg) => {
        const ours = encode(m.request, msg)
        expect(ours).toEqual(encode(m.requestShape, msg))
        expect(ours).toEqual(realEncode(realMessages.wire.request, msg))
        expect(decode(m.request, ours)).toEqual(decode(m.requestShape, ours))
        expect(decode(m.request, ours)).toEqual(msg)
      }),
      { numRuns: 2000 }
    )
  })

  it('data: same bytes as its shape and as hypercore 11, decoded back (400 messages)', () => {
    fc.assert(
      fc.property(dataArb, (msg) => {
        const ours = encode(m.data, msg)
        expect(ours).toEqual(encode(m.dataShape, msg))
        expect(ours).toEqual(realEncode(realMessages.wire.data, toBuffers(msg)))
        expect(decode(m.data, ours)).toEqual(decode(m.dataShape, ours))
        expect(decode(m.data, ours)).toEqual(msg)
      }),
      { numRuns: 400 }
    )
  })

  it("copy proof hashes out of the frame (cached nodes must not keep a frame's blocks alive)", () => {
    const hash = new Uint8Array(32).fill(9)
    const frame = encode(m.data, {
      request: 1,
      fork: 0,
      block: { index: 3, value: new Uint8Array(4096), nodes: [{ index: 4, size: 10, hash }] }
    })
    const decoded = decode(m.data, frame)
    expect(decoded.block!.nodes[0]!.hash).toEqual(hash)
    expect(decoded.block!.nodes[0]!.hash.buffer).not.toBe(frame.buffer)
    expect(decoded.block!.nodes[0]!.hash.buffer.byteLength).toBe(32)
  })

  it('reject truncated messages with a typed error, as the shapes do', () => {
    fc.assert(
      fc.property(dataArb, fc.nat(), (msg, cut) => {
        const full = encode(m.data, msg)
        const part = full.subarray(0, cut % full.byteLength)
        const fast = (() => {
          try {
            return decode(m.data, part)
          } catch (err) {
            return (err as { code?: string }).code ?? 'untyped'
          }
        })()
        const shape = (() => {
          try {
            return decode(m.dataShape, part)
          } catch (err) {
            return (err as { code?: string }).code ?? 'untyped'
          }
        })()
        expect(fast).toEqual(shape)
        expect(fast).not.toBe('untyped')
      }),
      { numRuns: 500 }
    )
  })
})
