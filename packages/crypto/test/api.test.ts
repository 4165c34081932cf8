/**
 * The API's contract beyond equal outputs: typed errors for bad input on every backend, no use
 * before `ready()`, inputs never modified (also when they are Buffers, whose `slice` aliases),
 * outputs never aliasing each other, `randomBytes`. (The WebAssembly-blocked fallback: fallback.test.ts.)
 */
import { beforeAll, describe, expect, it } from 'vitest'
import * as c from '../src/index.ts'
import { BACKENDS, hex, rng } from './helpers.ts'

const b = (n: number, fill = 1) => new Uint8Array(n).fill(fill)
const node = (index: number, size = 1) => ({ index, size, hash: b(32, index) })

// First in the file, whose module graph vitest keeps to itself: nothing has called ready() yet.
// (Not a fresh import after vi.resetModules(): the backends ready() imports lazily would then come
// from a second module graph, with error classes other than these.)
describe('before ready()', () => {
  it('every synchronous function throws NotReadyError; signAsync/verifyAsync reject with it', async () => {
    expect(() => c.blake2b(b(1))).toThrow(c.NotReadyError)
    expect(() => c.sign(b(1), b(64))).toThrow(c.NotReadyError)
    expect(() => c.backend()).toThrow(c.NotReadyError)
    expect(() => c.primitivesBackend()).toThrow(c.NotReadyError)
    expect(() => new c.SecretStreamPush(b(32))).toThrow(c.NotReadyError)
    await expect(c.signAsync(b(1), b(64))).rejects.toBeInstanceOf(c.NotReadyError)
    await expect(c.verifyAsync(b(1), b(64), b(32))).rejects.toBeInstanceOf(c.NotReadyError)
  })
})

for (const setup of BACKENDS) {
  describe(`the ${setup.label}`, () => {
    beforeAll(async () => {
      await c.ready(setup.options)
      expect([c.backend(), c.primitivesBackend()]).toEqual([setup.backend, setup.primitives])
    })

    it('rejects wrong sizes and types with typed errors', () => {
      expect(() => c.blake2b(b(1), 0)).toThrow(c.InvalidSizeError)
      expect(() => c.blake2b(b(1), 65)).toThrow(c.InvalidSizeError)
      expect(() => c.blake2b(b(1), 32.5)).toThrow(c.InvalidSizeError)
      expect(() => c.blake2b(b(1), 32, b(65))).toThrow(c.InvalidSizeError)
      expect(() => c.blake2b('abc' as unknown as Uint8Array)).toThrow(c.InvalidArgumentError)
      expect(() => c.blake2bBatch([b(1), 'x' as unknown as Uint8Array])).toThrow(c.InvalidArgumentError)
      expect(() => c.discoveryKey(b(31))).toThrow(c.InvalidSizeError)
      expect(() => c.keyPair(b(31))).toThrow(c.InvalidSizeError)
      expect(() => c.sign(b(3), b(32))).toThrow(c.InvalidSizeError)
      expect(() => c.ed25519Dh(b(31), b(64))).toThrow(c.InvalidSizeError)
      expect(() => c.ed25519Dh(b(32), b(32))).toThrow(c.InvalidSizeError)
      expect(() => c.chacha20poly1305Encrypt(b(31), b(12), b(0), b(1))).toThrow(c.InvalidSizeError)
      expect(() => c.chacha20poly1305Encrypt(b(32), b(24), b(0), b(1))).toThrow(c.InvalidSizeError)
      expect(() => c.chacha20poly1305Decrypt(b(32), b(12), b(0), b(15))).toThrow(c.DecryptionError)
      expect(() => new c.SecretStreamPush(b(16))).toThrow(c.InvalidSizeError)
      expect(() => new c.SecretStreamPush(b(32), b(23))).toThrow(c.InvalidSizeError)
      expect(() => new c.SecretStreamPull(b(32), b(25))).toThrow(c.InvalidSizeError)
      expect(() => new c.SecretStreamPush(b(32)).push(b(3), 0, b(19))).toThrow(c.InvalidSizeError)
      expect(() => new c.SecretStreamPush(b(32)).push(b(3), 256)).toThrow(c.InvalidArgumentError)
      expect(() => c.xsalsa20Xor(b(4), b(12), b(32))).toThrow(c.InvalidSizeError)
      expect(() => c.xsalsa20Xor(b(4), b(24), b(32), b(5))).toThrow(c.InvalidSizeError)
      expect(() => c.secretboxEasy(b(4), b(24), b(31))).toThrow(c.InvalidSizeError)
      expect(() => c.secretboxOpenEasy(b(15), b(24), b(32))).toThrow(c.DecryptionError)
      expect(() => c.randomBytes(-1)).toThrow(c.InvalidArgumentError)
      expect(() => c.namespace('x', -1)).toThrow(c.InvalidArgumentError)
      for (const Err of [
        c.InvalidSizeError,
        c.InvalidArgumentError,
        c.DecryptionError,
        c.InvalidPointError
      ]) {
        expect(new Err('a', 'b', 1)).toBeInstanceOf(c.CryptoError)
      }
    })

    it('verify returns false (does not throw) for wrong signature or key sizes, like hypercore-crypto', () => {
      const kp = c.keyPair(b(32))
      const sig = c.sign(b(5), kp.secretKey)
      expect(c.verify(b(5), sig, kp.publicKey)).toBe(true)
      expect(c.verify(b(5), sig.subarray(0, 63), kp.publicKey)).toBe(false)
      expect(c.verify(b(5), sig, kp.publicKey.subarray(0, 31))).toBe(false)
    })

    it('rejects malformed tree nodes and roots lists', () => {
      expect(() => c.parent(node(0), { index: 2, size: -1, hash: b(32) })).toThrow(c.InvalidArgumentError)
      expect(() => c.parent(node(0), { index: 2 ** 53, size: 1, hash: b(32) })).toThrow(
        c.InvalidArgumentError
      )
      expect(() => c.parent(node(0), { index: 2, size: 1, hash: b(31) })).toThrow(c.InvalidArgumentError)
      expect(() => c.tree([node(0), { index: 1.5, size: 1, hash: b(32) }])).toThrow(c.InvalidArgumentError)
      expect(() =>
        c.hashParents([[node(0)] as unknown as [ReturnType<typeof node>, ReturnType<typeof node>]])
      ).toThrow(c.InvalidArgumentError)
      // Not a roots list: a gap, a non-decreasing depth, a start past leaf 0.
      expect(() => c.appendTree([node(0), node(4)], [b(1)])).toThrow(c.InvalidArgumentError)
      expect(() => c.appendTree([node(0), node(2)], [b(1)])).toThrow(c.InvalidArgumentError)
      expect(() => c.appendTree([node(2)], [b(1)])).toThrow(c.InvalidArgumentError)
      expect(c.appendTree([node(1, 2), node(4)], [b(1)]).roots.map((r) => r.index)).toEqual([3])
    })

    it('never modifies its inputs, also when they are Buffers', () => {
      const r = rng(41)
      const kp = c.keyPair(r.bytes(32))
      const other = c.keyPair(r.bytes(32))
      const inputs = [kp.publicKey, kp.secretKey, other.publicKey, other.secretKey].map((x) => Buffer.from(x))
      const msg = Buffer.from(r.bytes(100))
      const before = [...inputs, msg].map(hex)
      c.sign(msg, inputs[1]!)
      c.verify(msg, c.sign(msg, inputs[1]!), inputs[0]!)
      c.ed25519Dh(inputs[2]!, inputs[1]!)
      c.ed25519Dh(inputs[0]!, inputs[3]!)
      c.blake2b(msg, 64, inputs[0])
      c.hmacBlake2b512(inputs[1]!, msg)
      c.xsalsa20Xor(msg, Buffer.from(r.bytes(24)), inputs[0]!)
      const header = Buffer.from(r.bytes(24))
      const push = new c.SecretStreamPush(inputs[0]!, header)
      header[0]! ^= 1 // the stream keeps its own copy of the header
      expect(hex(push.header)).not.toBe(hex(header))
      expect([...inputs, msg].map(hex)).toEqual(before)
    })

    it('returns fresh arrays: later calls never overwrite earlier results', () => {
      const first = c.blake2b(b(10))
      const leaves = c.hashLeaves([b(1), b(2)])
      const copy = [first, ...leaves].map(hex)
      c.blake2b(b(20))
      c.hashLeaves([b(3), b(4), b(5)])
      c.appendTree([], [b(1), b(2), b(3)])
      expect([first, ...leaves].map(hex)).toEqual(copy)
    })

    it('writes digests into `out` when given, checks its size, and tolerates out aliasing the input', () => {
      const block = b(100, 7)
      const pair = [node(0), node(2)] as const
      const cases: [(out?: Uint8Array) => Uint8Array, number][] = [
        [(out) => c.blake2b(block, 48, b(16), out), 48],
        [(out) => c.blake2bBatch([block, block], 20, undefined, out), 20],
        [(out) => c.data(block, out), 32],
        [(out) => c.parent(pair[1], pair[0], out), 32],
        [(out) => c.tree([node(1, 2), node(4)], out), 32],
        [(out) => c.hash([block, block], out), 32]
      ]
      for (const [f, len] of cases) {
        const out = new Uint8Array(len)
        expect(f(out)).toBe(out)
        expect(hex(out)).toBe(hex(f()))
        expect(() => f(new Uint8Array(len + 1))).toThrow(c.InvalidSizeError)
      }
      const x = b(32, 9)
      const want = hex(c.hash(x))
      expect(hex(c.hash(x, x))).toBe(want)
    })

    it('randomBytes gives the asked length, distinct values, and handles more than 64 KiB', () => {
      expect(c.randomBytes(0).byteLength).toBe(0)
      expect(hex(c.randomBytes(32))).not.toBe(hex(c.randomBytes(32)))
      const big = c.randomBytes(200_000)
      expect(big.byteLength).toBe(200_000)
      expect(hex(big.subarray(100_000, 100_032))).not.toBe('00'.repeat(32))
      expect(hex(c.keyPair().publicKey)).not.toBe(hex(c.keyPair().publicKey))
    })
  })
}
