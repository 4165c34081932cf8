/**
 * The `blind-peer` message against blind-peer-muxer's own schema (the judge): same bytes both
 * ways over random requests; bad bytes are refused. Blind peers picked by XOR distance.
 */
import { randomBytes } from 'node:crypto'
import { CodecError, decode, encode } from '@orchard/codec'
import { describe, expect, it } from 'vitest'
import { BlindPeeringError, type CoresRequest, closestKeys, coresRequest, decodeKey } from '../src/index.ts'
import { type Any, realSchema } from './helpers.ts'

function randomRequest(): CoresRequest {
  const n = Math.floor(Math.random() * 5)
  return {
    referrer: Math.random() < 0.5 ? new Uint8Array(randomBytes(32)) : null,
    priority: Math.random() < 0.5 ? 0 : Math.floor(Math.random() * 300),
    announce: Math.random() < 0.5,
    cores: Array.from({ length: n }, () => ({
      key: new Uint8Array(randomBytes(32)),
      length: Math.floor(Math.random() * 2 ** (Math.random() < 0.5 ? 8 : 40))
    }))
  }
}

function plain(r: Any): CoresRequest {
  return {
    referrer: r.referrer ? new Uint8Array(r.referrer) : null,
    priority: r.priority,
    announce: r.announce,
    cores: r.cores.map((c: Any) => ({ key: new Uint8Array(c.key), length: c.length }))
  }
}

describe('the @blind-peer/cores message', () => {
  it('encodes to the same bytes as blind-peer-muxer, and each decodes the other (300 requests)', () => {
    for (let i = 0; i < 300; i++) {
      const request = randomRequest()
      const ours = encode(coresRequest, request)
      const real = new Uint8Array(realSchema.encode('@blind-peer/cores', request))
      expect(ours).toEqual(real)
      expect(decode(coresRequest, real)).toEqual(request)
      expect(plain(realSchema.decode('@blind-peer/cores', ours))).toEqual(request)
    }
  })

  it('refuses truncated bytes and a short key with a CodecError', () => {
    const bytes = encode(coresRequest, {
      referrer: null,
      priority: 0,
      announce: false,
      cores: [{ key: new Uint8Array(32), length: 5 }]
    })
    for (let cut = 1; cut < bytes.byteLength; cut++) {
      expect(() => decode(coresRequest, bytes.subarray(0, cut))).toThrow(CodecError)
    }
  })
})

describe('keys', () => {
  it('decode from bytes, hex and z-base-32, and refuse anything else', () => {
    const key = new Uint8Array(randomBytes(32))
    const hex = Buffer.from(key).toString('hex')
    expect(decodeKey(key)).toEqual(key)
    expect(decodeKey(hex)).toEqual(key)
    expect(decodeKey(hex.toUpperCase())).toEqual(key)
    const z32 = 'yryyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy' // 52 z-base-32 characters: 32 bytes
    expect(decodeKey(z32).byteLength).toBe(32)
    for (const bad of ['', 'zz', hex.slice(2), `${hex}00`, new Uint8Array(31)]) {
      expect(() => decodeKey(bad)).toThrow(BlindPeeringError)
    }
  })

  it('pick the closest blind peers by XOR distance, as a BigInt model does', () => {
    const big = (b: Uint8Array) => BigInt(`0x${Buffer.from(b).toString('hex')}`)
    for (let round = 0; round < 50; round++) {
      const keys = Array.from(
        { length: 1 + Math.floor(Math.random() * 8) },
        () => new Uint8Array(randomBytes(32))
      )
      const target = new Uint8Array(randomBytes(32))
      const n = Math.floor(Math.random() * 4)
      const model = [...keys].sort((a, b) => {
        const d = (big(a) ^ big(target)) - (big(b) ^ big(target))
        return d < 0n ? -1 : d > 0n ? 1 : 0
      })
      expect(closestKeys(target, keys, n)).toEqual(model.slice(0, n))
    }
  })
})
