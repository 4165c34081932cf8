/**
 * libsodium's crypto_secretstream_xchacha20poly1305, ours against sodium-native in both directions,
 * on every backend: ≥ 1 000 messages each way with every tag (so rekeys happen), forced headers,
 * `out` buffers, and forgeries rejected with a typed error that leaves the stream usable.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import * as c from '../src/index.ts'
import { BACKENDS, hex, rng } from './helpers.ts'
import { buf, na } from './oracles.ts'

const STATE = na.crypto_secretstream_xchacha20poly1305_STATEBYTES as number

function nativePull(key: Uint8Array, header: Uint8Array) {
  const state = Buffer.alloc(STATE)
  na.crypto_secretstream_xchacha20poly1305_init_pull(state, buf(header), buf(key))
  return (ct: Uint8Array) => {
    const m = Buffer.alloc(ct.byteLength - 17)
    const tag = Buffer.alloc(1)
    na.crypto_secretstream_xchacha20poly1305_pull(state, m, tag, buf(ct), null)
    return { message: hex(m), tag: tag[0]! }
  }
}

function nativePush(key: Uint8Array) {
  const state = Buffer.alloc(STATE)
  const header = Buffer.alloc(24)
  na.crypto_secretstream_xchacha20poly1305_init_push(state, header, buf(key))
  return {
    header: new Uint8Array(header),
    push(m: Uint8Array, tag: number) {
      const ct = Buffer.alloc(m.byteLength + 17)
      na.crypto_secretstream_xchacha20poly1305_push(state, ct, buf(m), null, tag)
      return new Uint8Array(ct)
    }
  }
}

const TAGS = [c.TAG_MESSAGE, c.TAG_MESSAGE, c.TAG_MESSAGE, c.TAG_PUSH, c.TAG_REKEY, c.TAG_FINAL]

for (const setup of BACKENDS) {
  describe(`secretstream on the ${setup.label}`, () => {
    beforeAll(async () => {
      await c.ready(setup.options)
      expect([c.backend(), c.primitivesBackend()]).toEqual([setup.backend, setup.primitives])
    })

    it('ours push → sodium-native pull, 1 000 messages over 20 streams (seed 31)', () => {
      const r = rng(31)
      for (let s = 0; s < 20; s++) {
        const key = r.bytes(32)
        const push = s % 2 === 0 ? new c.SecretStreamPush(key) : new c.SecretStreamPush(key, r.bytes(24))
        const pull = nativePull(key, push.header)
        for (let i = 0; i < 50; i++) {
          const m = r.bytes(r.length(400))
          const tag = TAGS[r.int(TAGS.length)]!
          const ct = r.int(2) === 0 ? push.push(m, tag) : push.push(m, tag, new Uint8Array(m.byteLength + 17))
          expect(ct.byteLength).toBe(m.byteLength + c.SECRETSTREAM_ABYTES)
          expect(pull(ct)).toEqual({ message: hex(m), tag })
        }
      }
    })

    it('sodium-native push → ours pull, 1 000 messages over 20 streams (seed 32)', () => {
      const r = rng(32)
      for (let s = 0; s < 20; s++) {
        const key = r.bytes(32)
        const push = nativePush(key)
        const pull = new c.SecretStreamPull(key, push.header)
        for (let i = 0; i < 50; i++) {
          const m = r.bytes(r.length(400))
          const tag = TAGS[r.int(TAGS.length)]!
          const got = pull.pull(push.push(m, tag))
          expect(hex(got.message)).toBe(hex(m))
          expect(got.tag).toBe(tag)
        }
      }
    })

    it('pulls into `out`, apart or in place over the ciphertext; a forgery leaves `out` untouched (seed 35)', () => {
      const r = rng(35)
      const key = r.bytes(32)
      const push = nativePush(key)
      const pull = new c.SecretStreamPull(key, push.header)
      for (let i = 0; i < 100; i++) {
        const m = r.bytes(r.length(400))
        const ct = push.push(m, c.TAG_MESSAGE)
        const forged = ct.slice()
        forged[r.int(forged.byteLength)]! ^= 1 << r.int(8)
        const apart = new Uint8Array(m.byteLength).fill(0xee)
        expect(() => pull.pull(forged, apart)).toThrow(c.DecryptionError)
        expect(apart.every((x) => x === 0xee)).toBe(true)
        if (i % 2 === 0) {
          expect(pull.pull(ct, apart).message).toBe(apart)
          expect(hex(apart)).toBe(hex(m))
        } else {
          const inPlace = ct.subarray(1, ct.byteLength - 16)
          expect(pull.pull(ct, inPlace).message).toBe(inPlace)
          expect(hex(inPlace)).toBe(hex(m))
        }
      }
    })

    it('rejects an `out` of the wrong size or overlapping the ciphertext elsewhere', () => {
      const key = new Uint8Array(32).fill(1)
      const push = nativePush(key)
      const pull = new c.SecretStreamPull(key, push.header)
      const ct = push.push(new Uint8Array(100).fill(5), c.TAG_MESSAGE)
      expect(() => pull.pull(ct, new Uint8Array(99))).toThrow(c.InvalidSizeError)
      expect(() => pull.pull(ct, ct.subarray(0, 100))).toThrow(c.InvalidArgumentError)
      expect(() => pull.pull(ct, ct.subarray(2, 102))).toThrow(c.InvalidArgumentError)
      expect(hex(pull.pull(ct, ct.subarray(1, 101)).message)).toBe(hex(new Uint8Array(100).fill(5)))
    })

    it('the same key and forced header give the same stream (seed 33)', () => {
      const r = rng(33)
      const key = r.bytes(32)
      const header = r.bytes(24)
      const a = new c.SecretStreamPush(key, header)
      const b = new c.SecretStreamPush(key, header)
      expect(hex(a.header)).toBe(hex(header))
      for (let i = 0; i < 10; i++) {
        const m = r.bytes(r.length(100))
        expect(hex(a.push(m))).toBe(hex(b.push(m)))
      }
    })

    it('tampered, truncated or replayed messages throw DecryptionError and leave the stream usable (seed 34)', () => {
      const r = rng(34)
      for (let s = 0; s < 200; s++) {
        const key = r.bytes(32)
        const push = nativePush(key)
        const pull = new c.SecretStreamPull(key, push.header)
        const m = r.bytes(r.length(200))
        const ct = push.push(m, c.TAG_MESSAGE)
        const forged = ct.slice()
        forged[r.int(forged.byteLength)]! ^= 1 << r.int(8)
        expect(() => pull.pull(forged)).toThrow(c.DecryptionError)
        expect(() => pull.pull(ct.subarray(0, r.int(17)))).toThrow(c.DecryptionError)
        expect(hex(pull.pull(ct).message)).toBe(hex(m))
        expect(() => pull.pull(ct)).toThrow(c.DecryptionError) // replay: the nonce moved on
        const next = r.bytes(r.length(50))
        expect(hex(pull.pull(push.push(next, c.TAG_MESSAGE)).message)).toBe(hex(next))
      }
    })
  })
}
