/**
 * Every hashing function against the native packages (hypercore-crypto on sodium-native,
 * noise-handshake's HMAC, flat-tree for the tree shape), ≥ 1 000 seeded random inputs each, on both
 * backends: `wasm` (our kernel) and `js` (@noble/hashes).
 */
import libsodium from 'libsodium-wrappers'
import { beforeAll, describe, expect, it } from 'vitest'
import * as c from '../src/index.ts'
import { hex, rng } from './helpers.ts'
import { buf, flatTree, hc, na, noiseHmac } from './oracles.ts'

const N = 1000

interface Node {
  index: number
  size: number
  hash: Uint8Array
}

function randomNode(r: ReturnType<typeof rng>): Node {
  return { index: r.int(2 ** 41), size: r.int(2 ** 45), hash: r.bytes(32) }
}

/**
 * The expected result of appending `blocks` to a tree of `length` leaves with the given roots,
 * computed independently of our stack algorithm: hashes recursively over flat-tree's structure,
 * and the order in which hypercore emits nodes (each leaf, then every ancestor whose span ends at
 * that leaf).
 */
function expectedAppend(roots: Node[], length: number, blocks: Uint8Array[]) {
  const known = new Map<number, Node>(roots.map((r) => [r.index, r]))
  const firstNew = 2 * length
  const nodeOf = (i: number): Node => {
    const hit = known.get(i)
    if (hit) return hit
    if (i % 2 === 0) {
      if (i < firstNew) throw new Error(`old non-root leaf ${i} needed`)
      const block = blocks[(i - firstNew) / 2]!
      const n = { index: i, size: block.byteLength, hash: hc.data(buf(block)) }
      known.set(i, n)
      return n
    }
    const [l, r] = flatTree.children(i) as [number, number]
    const a = nodeOf(l)
    const b = nodeOf(r)
    const n = { index: i, size: a.size + b.size, hash: hc.parent(a, b) }
    known.set(i, n)
    return n
  }
  const nodes: Node[] = []
  for (let j = 0; j < blocks.length; j++) {
    const leaf = firstNew + 2 * j
    nodes.push(nodeOf(leaf))
    let p = flatTree.parent(leaf) as number
    while (flatTree.rightSpan(p) === leaf) {
      nodes.push(nodeOf(p))
      p = flatTree.parent(p)
    }
  }
  const total = length + blocks.length
  const newRoots = (total === 0 ? [] : (flatTree.fullRoots(2 * total) as number[])).map(nodeOf)
  return { nodes, roots: newRoots }
}

const plain = (n: Node) => ({ index: n.index, size: n.size, hash: hex(n.hash) })

beforeAll(async () => {
  await libsodium.ready
})

for (const backend of ['wasm', 'js'] as const) {
  describe(`hashing on the ${backend} backend equals the native packages`, () => {
    beforeAll(async () => {
      await c.ready({ backend })
      expect(c.backend()).toBe(backend)
    })

    it('blake2b: any length, output 1..64, key none or 1..64 (seed 1)', () => {
      const r = rng(1)
      for (let i = 0; i < N; i++) {
        const data = r.bytes(r.length(700))
        const outLen = r.int(3) === 0 ? 32 : 1 + r.int(64)
        const key = r.int(3) === 0 ? undefined : r.bytes(1 + r.int(64))
        const ours = c.blake2b(data, outLen, key)
        if (outLen >= 16 && (!key || key.byteLength >= 16)) {
          const out = Buffer.alloc(outLen)
          na.crypto_generichash(out, buf(data), key && buf(key))
          expect(hex(ours)).toBe(out.toString('hex'))
        } else {
          // sodium-native refuses lengths below 16; libsodium itself (same C code, via wasm) does not.
          expect(hex(ours)).toBe(hex(libsodium.crypto_generichash(outLen, data, key ?? null)))
        }
      }
    })

    it('blake2bBatch equals crypto_generichash_batch (seed 2)', () => {
      const r = rng(2)
      for (let i = 0; i < N; i++) {
        const parts = Array.from({ length: r.int(7) }, () => r.bytes(r.length(300)))
        const outLen = 16 + r.int(49)
        const key = r.int(2) === 0 ? undefined : r.bytes(16 + r.int(49))
        const out = Buffer.alloc(outLen)
        na.crypto_generichash_batch(out, parts.map(buf), key && buf(key))
        expect(hex(c.blake2bBatch(parts, outLen, key))).toBe(out.toString('hex'))
      }
    })

    it('data (leaf) equals hypercore-crypto (seed 3)', () => {
      const r = rng(3)
      for (let i = 0; i < N; i++) {
        const block = r.bytes(r.length(3000))
        expect(hex(c.data(block))).toBe(hc.data(buf(block)).toString('hex'))
      }
    })

    it('parent equals hypercore-crypto, either argument order (seed 4)', () => {
      const r = rng(4)
      for (let i = 0; i < N; i++) {
        const a = randomNode(r)
        const b = randomNode(r)
        expect(hex(c.parent(a, b))).toBe(hc.parent(a, b).toString('hex'))
      }
    })

    it('tree (roots hash) equals hypercore-crypto (seed 5)', () => {
      const r = rng(5)
      for (let i = 0; i < N; i++) {
        const roots = Array.from({ length: r.int(9) }, () => randomNode(r))
        expect(hex(c.tree(roots))).toBe(hc.tree(roots).toString('hex'))
      }
    })

    it('hashLeaves equals hypercore-crypto data per block (seed 6)', () => {
      const r = rng(6)
      for (let i = 0; i < N; i++) {
        const blocks = Array.from({ length: r.int(12) }, () => r.bytes(r.length(1500)))
        expect(c.hashLeaves(blocks).map(hex)).toEqual(blocks.map((b) => hc.data(buf(b)).toString('hex')))
      }
    })

    it('hashParents equals hypercore-crypto parent per pair (seed 7)', () => {
      const r = rng(7)
      for (let i = 0; i < N; i++) {
        const pairs = Array.from({ length: r.int(12) }, () => [randomNode(r), randomNode(r)] as [Node, Node])
        expect(c.hashParents(pairs).map(hex)).toEqual(pairs.map(([a, b]) => hc.parent(a, b).toString('hex')))
      }
    })

    it('appendTree equals the tree flat-tree and hypercore-crypto define (seed 8)', () => {
      const r = rng(8)
      for (let i = 0; i < N; i++) {
        // Small trees, and large ones whose indexes and sizes pass 2^32.
        const length = r.int(4) === 0 ? r.int(2 ** 40) : r.int(300)
        const roots = (length === 0 ? [] : (flatTree.fullRoots(2 * length) as number[])).map((index) => ({
          index,
          size: r.int(2 ** 44),
          hash: r.bytes(32)
        }))
        const blocks = Array.from({ length: r.int(40) }, () => r.bytes(r.length(300)))
        const ours = c.appendTree(roots, blocks)
        const want = expectedAppend(roots, length, blocks)
        expect(ours.nodes.map(plain)).toEqual(want.nodes.map(plain))
        expect(ours.roots.map(plain)).toEqual(want.roots.map(plain))
      }
    })

    it('hash equals hypercore-crypto for bytes and lists (seed 9)', () => {
      const r = rng(9)
      for (let i = 0; i < N; i++) {
        const input =
          r.int(2) === 0
            ? r.bytes(r.length(400))
            : Array.from({ length: r.int(5) }, () => r.bytes(r.length(200)))
        const oracle = Array.isArray(input) ? hc.hash(input.map(buf)) : hc.hash(buf(input))
        expect(hex(c.hash(input))).toBe(oracle.toString('hex'))
      }
    })

    it('namespace equals hypercore-crypto for names, counts and id lists (seed 10)', () => {
      const r = rng(10)
      for (let i = 0; i < N; i++) {
        const name = r.int(2) === 0 ? hex(r.bytes(r.int(20))) : r.bytes(r.int(40))
        const count = r.int(2) === 0 ? r.int(8) : Array.from({ length: r.int(8) }, () => r.int(256))
        const oracle = hc.namespace(typeof name === 'string' ? name : buf(name), count) as Buffer[]
        expect(c.namespace(name, count).map(hex)).toEqual(oracle.map((b) => b.toString('hex')))
      }
    })

    it('discoveryKey equals hypercore-crypto (seed 11)', () => {
      const r = rng(11)
      for (let i = 0; i < N; i++) {
        const key = r.bytes(32)
        expect(hex(c.discoveryKey(key))).toBe(hc.discoveryKey(buf(key)).toString('hex'))
      }
    })

    it("hmacBlake2b512 equals noise-handshake's hmac, keys shorter and longer than a block (seed 12)", () => {
      const r = rng(12)
      for (let i = 0; i < N; i++) {
        const key = r.bytes(r.int(300))
        const parts = Array.from({ length: 1 + r.int(3) }, () => r.bytes(r.length(200)))
        const out = Buffer.alloc(64)
        noiseHmac(out, parts.map(buf), buf(key))
        const ours =
          parts.length === 1 && r.int(2) === 0
            ? c.hmacBlake2b512(key, parts[0]!)
            : c.hmacBlake2b512(key, parts)
        expect(hex(ours)).toBe(out.toString('hex'))
      }
    })
  })
}
