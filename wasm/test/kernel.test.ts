/**
 * The kernel itself: both builds (two-lane SIMD and scalar) against sodium-native and
 * hypercore-crypto through the loader, on batches that mix message lengths (so lanes refill at
 * different times), odd batch sizes, unaligned inputs and inputs larger than the loader's streaming
 * chunk; and the build is byte-reproducible.
 */
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { jsHasher } from '../../packages/crypto/src/merkle-js.ts'
import { loadKernel } from '../../packages/crypto/src/merkle-wasm.ts'
import type { Hasher } from '../../packages/crypto/src/types.ts'
import { hex, rng } from '../../packages/crypto/test/helpers.ts'
import { buf, hc, na } from '../../packages/crypto/test/oracles.ts'

const nativeBlake2b = (data: Uint8Array, outLen: number, key?: Uint8Array) => {
  const out = Buffer.alloc(outLen)
  na.crypto_generichash(out, buf(data), key && buf(key))
  return out.toString('hex')
}

/** A view at an odd offset, so the kernel sees unaligned input. */
function unaligned(r: ReturnType<typeof rng>, n: number): Uint8Array {
  return r.bytes(n + 3).subarray(3)
}

for (const build of ['simd', 'scalar'] as const) {
  describe(`the ${build} build`, () => {
    let k: Hasher & { lanes: number }

    beforeAll(async () => {
      k = await loadKernel({ build })
      expect(k.lanes).toBe(build === 'simd' ? 2 : 1)
    })

    it('hashes 1 000 leaf batches of mixed lengths like hypercore-crypto (seed 51)', () => {
      const r = rng(51)
      for (let i = 0; i < 1000; i++) {
        // Lengths from empty to several blocks, so the two lanes finish at different times.
        const blocks = Array.from({ length: r.int(9) }, () =>
          r.int(2) === 0 ? unaligned(r, r.length(2000)) : r.bytes(r.length(300))
        )
        expect(k.hashLeaves(blocks).map(hex)).toEqual(blocks.map((x) => hc.data(buf(x)).toString('hex')))
      }
    })

    it('hashes 1 000 parent batches of every size up to 33 like hypercore-crypto (seed 52)', () => {
      const r = rng(52)
      for (let i = 0; i < 1000; i++) {
        const n = i % 34
        const pairs = Array.from({ length: n }, () => {
          const a = { index: r.int(2 ** 41), size: r.int(2 ** 45), hash: unaligned(r, 32) }
          const b = { index: r.int(2 ** 41), size: r.int(2 ** 45), hash: r.bytes(32) }
          return [a, b] as const
        })
        expect(k.hashParents(pairs).map(hex)).toEqual(pairs.map(([a, b]) => hc.parent(a, b).toString('hex')))
      }
    })

    it('one-shot BLAKE2b equals sodium-native around block and chunk boundaries (seed 53)', () => {
      const r = rng(53)
      const chunk = 4 * 1024 * 1024
      for (const n of [0, 1, 127, 128, 129, 255, 256, 257, chunk - 1, chunk, chunk + 1, 2 * chunk + 130]) {
        const data = unaligned(r, n)
        const key = r.int(2) === 0 ? undefined : r.bytes(16 + r.int(49))
        expect(hex(k.blake2b(data, 64, key))).toBe(nativeBlake2b(data, 64, key))
      }
    })

    it('streams batches whose parts cross the chunk boundary (seed 54)', () => {
      const r = rng(54)
      const parts = [r.bytes(3 * 1024 * 1024 + 5), r.bytes(2 * 1024 * 1024), r.bytes(7)]
      const out = Buffer.alloc(32)
      na.crypto_generichash_batch(out, parts.map(buf))
      expect(hex(k.blake2bBatch(parts, 32, undefined))).toBe(out.toString('hex'))
      // Memory grew for the large input; small calls afterwards still see fresh views.
      expect(hex(k.data(new Uint8Array([1])))).toBe(hc.data(Buffer.from([1])).toString('hex'))
    })

    it('splits batches over 4 MiB into groups: same leaves and tree as the JS hasher (seed 56)', () => {
      const r = rng(56)
      const blocks = [
        r.bytes(5),
        r.bytes(1_500_000),
        r.bytes(3_000_000),
        r.bytes(10),
        r.bytes(4_200_000),
        r.bytes(1)
      ]
      expect(k.hashLeaves(blocks).map(hex)).toEqual(blocks.map((x) => hc.data(buf(x)).toString('hex')))
      const start = k.appendTree([], 0, [r.bytes(7), r.bytes(8), r.bytes(9)])
      const ours = k.appendTree(start.roots, 3, blocks)
      const want = jsHasher.appendTree(start.roots, 3, blocks)
      const plain = (n: { index: number; size: number; hash: Uint8Array }) => [n.index, n.size, hex(n.hash)]
      expect(ours.nodes.map(plain)).toEqual(want.nodes.map(plain))
      expect(ours.roots.map(plain)).toEqual(want.roots.map(plain))
    })

    it('appends 10 000 blocks in one call, then more, like appending one by one', () => {
      const r = rng(55)
      const blocks = Array.from({ length: 10_000 }, () => r.bytes(r.int(64)))
      const all = k.appendTree([], 0, blocks)
      expect(all.nodes.length).toBe(2 * 10_000 - all.roots.length)
      let roots = [] as typeof all.roots
      let length = 0
      for (let i = 0; i < 300; i++) {
        roots = k.appendTree(roots, length, [blocks[i]!]).roots
        length++
      }
      const rest = k.appendTree(roots, length, blocks.slice(300))
      expect(rest.roots.map((n) => [n.index, n.size, hex(n.hash)])).toEqual(
        all.roots.map((n) => [n.index, n.size, hex(n.hash)])
      )
    })
  })
}

// Two optimising compiles (~15 s of CPU with the ciphers' unrolled rounds; longer beside other test files).
it('the build is byte-reproducible: compiling again gives the same modules', { timeout: 240_000 }, () => {
  const script = fileURLToPath(new URL('../scripts/build.mjs', import.meta.url))
  const out = execFileSync(process.execPath, [script, '--check'], { encoding: 'utf8' })
  expect(out).toContain('identical')
})
