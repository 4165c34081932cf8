/**
 * Our protobuf encoder/decoder against the real `hyperbee/lib/messages.js`: fixed vectors, random
 * messages encoded by both (byte-identical) and decoded across, and malformed bytes → DecodingError.
 */
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import {
  DecodingError,
  decodeHeader,
  decodeNode,
  decodeYoloIndex,
  encodeHeader,
  encodeNode,
  encodeYoloIndex
} from '../src/index.ts'
import { hex, prng } from './helpers.ts'

const require = createRequire(import.meta.url)
const beeDir = require.resolve('hyperbee/package.json').replace(/package\.json$/, '')
const real = require(`${beeDir}lib/messages.js`)

describe('fixed vectors', () => {
  it('header', () => {
    expect(hex(encodeHeader({ protocol: 'hyperbee' }))).toBe('0a086879706572626565')
    expect(hex(encodeHeader({ protocol: 'hyperbee' }))).toBe(
      hex(real.Header.encode({ protocol: 'hyperbee' }))
    )
    const meta = { contentFeed: new Uint8Array(32).fill(7), userData: new Uint8Array([1, 2]) }
    expect(hex(encodeHeader({ protocol: 'hyperbee', metadata: meta }))).toBe(
      hex(
        real.Header.encode({
          protocol: 'hyperbee',
          metadata: { contentFeed: Buffer.from(meta.contentFeed), userData: Buffer.from(meta.userData) }
        })
      )
    )
    expect(decodeHeader(real.Header.encode({ protocol: 'hyperbee' }))).toEqual({
      protocol: 'hyperbee',
      metadata: null
    })
  })

  it('node with and without a value, empty value, empty levels', () => {
    const index = encodeYoloIndex({
      levels: [
        { keys: [1], children: [] },
        { keys: [], children: [] }
      ]
    })
    expect(hex(index)).toBe(
      hex(
        real.YoloIndex.encode({
          levels: [
            { keys: [1], children: [] },
            { keys: [], children: [] }
          ]
        })
      )
    )
    expect(hex(index)).toBe('0a030a01010a00')
    for (const value of [null, new Uint8Array(0), new Uint8Array([9, 9])]) {
      const ours = encodeNode({ index, key: new Uint8Array([97]), value })
      const theirs = real.Node.encode({
        index: Buffer.from(index),
        key: Buffer.from('a'),
        value: value && Buffer.from(value)
      })
      expect(hex(ours)).toBe(hex(theirs))
      const back = decodeNode(theirs)
      expect(hex(back.value)).toBe(hex(value))
    }
  })
})

describe('random messages', () => {
  it('1 000 random indexes and nodes encode identically and decode across', () => {
    const rand = prng(7)
    const num = () => (rand() < 0.1 ? Math.floor(rand() * 2 ** 40) : Math.floor(rand() * 5000))
    for (let i = 0; i < 1000; i++) {
      const levels = Array.from({ length: Math.floor(rand() * 6) }, () => ({
        keys: Array.from({ length: Math.floor(rand() * 10) }, num),
        children: Array.from({ length: 2 * Math.floor(rand() * 6) }, num)
      }))
      const ours = encodeYoloIndex({ levels })
      expect(hex(ours)).toBe(hex(real.YoloIndex.encode({ levels })))
      expect(decodeYoloIndex(ours)).toEqual(real.YoloIndex.decode(Buffer.from(ours)))
      const key = new Uint8Array(Math.floor(rand() * 300)).map(() => rand() * 256)
      const value = rand() < 0.2 ? null : new Uint8Array(Math.floor(rand() * 3000)).map(() => rand() * 256)
      const node = encodeNode({ index: ours, key, value })
      expect(hex(node)).toBe(
        hex(
          real.Node.encode({
            index: Buffer.from(ours),
            key: Buffer.from(key),
            value: value && Buffer.from(value)
          })
        )
      )
      const d = decodeNode(node)
      expect(hex(d.key)).toBe(hex(key))
      expect(hex(d.value)).toBe(hex(value))
    }
  })

  it('skips unknown fields as protocol-buffers does', () => {
    // field 5 varint, field 6 bytes, field 7 fixed32, field 8 fixed64 around a real node
    const base = real.Node.encode({ index: Buffer.from([]), key: Buffer.from('k'), value: Buffer.from('v') })
    const extra = Buffer.from([
      0x28, 0x96, 0x01, 0x32, 0x02, 0xaa, 0xbb, 0x3d, 1, 2, 3, 4, 0x41, 1, 2, 3, 4, 5, 6, 7, 8
    ])
    const both = Buffer.concat([extra, base])
    const theirs = real.Node.decode(both)
    const ours = decodeNode(both)
    expect(hex(ours.key)).toBe(hex(theirs.key))
    expect(hex(ours.value)).toBe(hex(theirs.value))
  })
})

describe('malformed bytes give DecodingError', () => {
  const bad: Array<[string, Uint8Array]> = [
    ['empty (no index, no key)', new Uint8Array(0)],
    ['truncated varint', new Uint8Array([0x0a, 0xff])],
    ['length past the end', new Uint8Array([0x0a, 0x05, 1, 2])],
    ['group wire type', new Uint8Array([0x0b, 0x00])],
    ['key only', new Uint8Array([0x12, 0x01, 0x61])],
    ['a 10-byte varint', new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])],
    ['fixed64 past the end', new Uint8Array([0x09, 1, 2, 3])]
  ]
  for (const [name, bytes] of bad) {
    it(name, () => {
      expect(() => decodeNode(bytes)).toThrow(DecodingError)
    })
  }
  it('index with a packed list running past its level', () => {
    expect(() => decodeYoloIndex(new Uint8Array([0x0a, 0x02, 0x0a, 0x05]))).toThrow(DecodingError)
  })
  it('header without protocol', () => {
    expect(() => decodeHeader(new Uint8Array([0x12, 0x00]))).toThrow(DecodingError)
  })
  it('random garbage never throws anything but DecodingError', () => {
    const rand = prng(99)
    for (let i = 0; i < 3000; i++) {
      const b = new Uint8Array(Math.floor(rand() * 40)).map(() => rand() * 256)
      for (const f of [decodeNode, decodeYoloIndex, decodeHeader]) {
        try {
          f(b)
        } catch (err) {
          expect(err).toBeInstanceOf(DecodingError)
        }
      }
    }
  })
})
