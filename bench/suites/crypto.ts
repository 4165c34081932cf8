/**
 * `pnpm bench crypto`: hypercore's hot crypto — parent hashes (one per call and batched), 1 KiB
 * leaf hashes, 1 MiB bulk BLAKE2b, Ed25519 sign/verify — for @orchard/crypto on the WASM backend
 * (`ours`), hypercore-crypto on sodium-native (`real`, the native Holepunch figure), and beside
 * them @orchard/crypto's pure-JS fallback (`js`) and libsodium-wrappers called directly (`libsodium`).
 */
import * as orchard from '@orchard/crypto'
import hc from 'hypercore-crypto'
import sodiumWrappers from 'libsodium-wrappers-sumo'
import na from 'sodium-native'
import { type BenchContext, measure } from '../harness.ts'

const BATCH = 1024
const MiB = 1024 * 1024

interface Node {
  index: number
  size: number
  hash: Uint8Array
}

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n)
  let x = seed || 1
  for (let i = 0; i < n; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

const nodes: Node[] = Array.from({ length: 2 * BATCH }, (_, i) => ({
  index: i,
  size: 4096,
  hash: bytes(32, i + 1)
}))
const pairs = Array.from({ length: BATCH }, (_, i) => [nodes[2 * i]!, nodes[2 * i + 1]!] as [Node, Node])
const block = bytes(1024, 7)
const blocks = Array.from({ length: 256 }, (_, i) => bytes(1024, i + 11))
const bulk = bytes(MiB, 9)
const message = bytes(112, 3) // a tree signable is 112 bytes
const seed = bytes(32, 5)

/** libsodium-wrappers doing what hypercore-crypto does, with buffers reused across calls. */
function libsodiumOps(s: typeof sodiumWrappers) {
  const parentIn = new Uint8Array(73)
  const leafIn = new Uint8Array(9 + 1024)
  const view = new DataView(parentIn.buffer)
  const leafView = new DataView(leafIn.buffer)
  return {
    parent(a: Node, b: Node) {
      parentIn[0] = 1
      view.setUint32(1, a.size + b.size, true)
      parentIn.set(a.hash, 9)
      parentIn.set(b.hash, 41)
      return s.crypto_generichash(32, parentIn, null)
    },
    leaf(data: Uint8Array) {
      leafView.setUint32(1, data.byteLength, true)
      leafIn.set(data, 9)
      return s.crypto_generichash(32, leafIn, null)
    }
  }
}

type Rates = { wasm: number; js: number; libsodium: number; native: number }

async function rates(run: {
  ours: () => unknown
  libsodium: () => unknown
  native: () => unknown
  opsPerCall?: number
  ms?: number
}): Promise<Rates> {
  const opts = { opsPerCall: run.opsPerCall ?? 1, ms: run.ms ?? 800 }
  await orchard.ready({ backend: 'wasm' })
  const wasm = (await measure(run.ours, opts)).opsPerSec
  await orchard.ready({ backend: 'js' })
  const js = (await measure(run.ours, { ...opts, ms: Math.min(opts.ms, 500) })).opsPerSec
  await orchard.ready({ backend: 'wasm' })
  const libsodium = (await measure(run.libsodium, opts)).opsPerSec
  const native = (await measure(run.native, opts)).opsPerSec
  return { wasm, js, libsodium, native }
}

function row(ctx: BenchContext, metric: string, unit: string, r: Rates, scale = 1) {
  ctx.report({
    metric,
    unit,
    ours: r.wasm * scale,
    real: r.native * scale,
    extra: { js: r.js * scale, libsodium: r.libsodium * scale }
  })
}

export default async function crypto(ctx: BenchContext): Promise<void> {
  await sodiumWrappers.ready
  await orchard.ready({ backend: 'wasm' })
  const ls = libsodiumOps(sodiumWrappers)
  const kp = hc.keyPair(Buffer.from(seed))
  const sig = hc.sign(Buffer.from(message), kp.secretKey)
  const lsKeys = sodiumWrappers.crypto_sign_seed_keypair(seed)
  const [a, b] = pairs[0]!
  const out = Buffer.alloc(32)

  row(
    ctx,
    'parent hash, 64 B of hashes, one per call',
    'ops/s',
    await rates({
      ours: () => orchard.parent(a, b),
      libsodium: () => ls.parent(a, b),
      native: () => hc.parent(a, b)
    })
  )
  row(
    ctx,
    `parent hash, batched ×${BATCH} (native: per call)`,
    'ops/s',
    await rates({
      ours: () => orchard.hashParents(pairs),
      libsodium: () => {
        for (const [x, y] of pairs) ls.parent(x, y)
      },
      native: () => {
        for (const [x, y] of pairs) hc.parent(x, y)
      },
      opsPerCall: BATCH
    })
  )
  row(
    ctx,
    'leaf hash, 1 KiB block, one per call',
    'ops/s',
    await rates({
      ours: () => orchard.data(block),
      libsodium: () => ls.leaf(block),
      native: () => hc.data(block)
    })
  )
  row(
    ctx,
    'leaf hash, 1 KiB blocks, batched ×256',
    'ops/s',
    await rates({
      ours: () => orchard.hashLeaves(blocks),
      libsodium: () => {
        for (const x of blocks) ls.leaf(x)
      },
      native: () => {
        for (const x of blocks) hc.data(x)
      },
      opsPerCall: blocks.length
    })
  )
  row(
    ctx,
    'appendTree, 256 × 1 KiB blocks (leaves + parents + roots)',
    'blocks/s',
    await rates({
      ours: () => orchard.appendTree([], blocks),
      libsodium: () => appendWith(blocks, ls.leaf, ls.parent),
      native: () =>
        appendWith(
          blocks,
          (x) => hc.data(x),
          (x, y) => hc.parent(x, y)
        ),
      opsPerCall: blocks.length
    })
  )
  row(
    ctx,
    'BLAKE2b-256, 1 MiB bulk',
    'MiB/s',
    await rates({
      ours: () => orchard.blake2b(bulk),
      libsodium: () => sodiumWrappers.crypto_generichash(32, bulk, null),
      native: () => na.crypto_generichash(out, bulk),
      ms: 1500
    })
  )
  row(
    ctx,
    'Ed25519 sign, 112 B',
    'ops/s',
    await rates({
      ours: () => orchard.sign(message, kp.secretKey),
      libsodium: () => sodiumWrappers.crypto_sign_detached(message, lsKeys.privateKey),
      native: () => hc.sign(message, kp.secretKey)
    })
  )
  row(
    ctx,
    'Ed25519 verify, 112 B',
    'ops/s',
    await rates({
      ours: () => orchard.verify(message, sig, kp.publicKey),
      libsodium: () => sodiumWrappers.crypto_sign_verify_detached(sig, message, lsKeys.publicKey),
      native: () => hc.verify(message, sig, kp.publicKey)
    })
  )
}

/** What a caller of per-call hashing does for an append: hash each leaf, merge equal roots. */
function appendWith(
  list: Uint8Array[],
  leaf: (x: Uint8Array) => Uint8Array,
  parent: (x: Node, y: Node) => Uint8Array
): Node[] {
  const stack: Node[] = []
  for (let i = 0; i < list.length; i++) {
    let node: Node = { index: 2 * i, size: list[i]!.byteLength, hash: leaf(list[i]!) }
    let depth = 0
    while (stack.length > 0 && depthOf(stack[stack.length - 1]!.index) === depth) {
      const left = stack.pop()!
      node = { index: left.index + 2 ** depth, size: left.size + node.size, hash: parent(left, node) }
      depth++
    }
    stack.push(node)
  }
  return stack
}

function depthOf(index: number): number {
  let d = 0
  while (index % 2 === 1) {
    index = (index - 1) / 2
    d++
  }
  return d
}
