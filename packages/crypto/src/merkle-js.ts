/**
 * The pure-JS hasher: BLAKE2b from @noble/hashes, hypercore's Merkle hashes built from it. It is the
 * fallback where WebAssembly cannot run (e.g. a CSP without 'wasm-unsafe-eval') and the second
 * oracle the kernel is tested against.
 */
import { blake2b } from '@noble/hashes/blake2.js'
import { depthOf, writeU64 } from './flat.ts'
import type { AppendResult, Hasher, TreeNode } from './types.ts'

const LEAF_TYPE = 0
const PARENT_TYPE = 1
const ROOT_TYPE = 2

// Scratch for the fixed-size inputs; every call overwrites what it reads.
const prefix = new Uint8Array(9)
const parentInput = new Uint8Array(73)

/** Copies `digest` into `out` when the caller gave one. */
function emit(digest: Uint8Array, out: Uint8Array | undefined): Uint8Array {
  if (!out) return digest
  out.set(digest)
  return out
}

function leafHash(block: Uint8Array, out?: Uint8Array): Uint8Array {
  prefix[0] = LEAF_TYPE
  writeU64(prefix, 1, block.byteLength)
  return emit(blake2b.create({ dkLen: 32 }).update(prefix).update(block).digest(), out)
}

function parentHash(a: TreeNode, b: TreeNode, out?: Uint8Array): Uint8Array {
  parentInput[0] = PARENT_TYPE
  writeU64(parentInput, 1, a.size + b.size)
  parentInput.set(a.hash, 9)
  parentInput.set(b.hash, 41)
  return emit(blake2b(parentInput, { dkLen: 32 }), out)
}

/**
 * hypercore's append: each new leaf goes on the roots stack; while the two top roots have the same
 * depth they are siblings and merge into their parent. Shared by both hashers' reference paths.
 */
export function appendWith(
  roots: readonly TreeNode[],
  length: number,
  blocks: readonly Uint8Array[],
  leaf: (block: Uint8Array) => Uint8Array,
  parent: (a: TreeNode, b: TreeNode) => Uint8Array
): AppendResult {
  const stack: TreeNode[] = roots.slice()
  const depths = roots.map((r) => depthOf(r.index))
  const nodes: TreeNode[] = []
  for (let i = 0; i < blocks.length; i++) {
    const block = blocks[i]!
    let node: TreeNode = { index: 2 * (length + i), size: block.byteLength, hash: leaf(block) }
    let depth = 0
    nodes.push(node)
    while (stack.length > 0 && depths[depths.length - 1] === depth) {
      const left = stack.pop()!
      depths.pop()
      node = { index: left.index + 2 ** depth, size: left.size + node.size, hash: parent(left, node) }
      depth++
      nodes.push(node)
    }
    stack.push(node)
    depths.push(depth)
  }
  return { nodes, roots: stack }
}

export const jsHasher: Hasher = {
  name: 'js',

  blake2b(data, outLen, key, out) {
    return emit(blake2b(data, { dkLen: outLen, key }), out)
  },

  blake2bBatch(parts, outLen, key, out) {
    const h = blake2b.create({ dkLen: outLen, key })
    for (const part of parts) h.update(part)
    return emit(h.digest(), out)
  },

  data: leafHash,
  parent: parentHash,

  tree(roots, out) {
    const buf = new Uint8Array(1 + 48 * roots.length)
    buf[0] = ROOT_TYPE
    for (let i = 0; i < roots.length; i++) {
      const r = roots[i]!
      const off = 1 + 48 * i
      buf.set(r.hash, off)
      writeU64(buf, off + 32, r.index)
      writeU64(buf, off + 40, r.size)
    }
    return emit(blake2b(buf, { dkLen: 32 }), out)
  },

  hashLeaves(blocks) {
    return blocks.map((block) => leafHash(block))
  },

  hashParents(pairs) {
    return pairs.map(([a, b]) => (a.index > b.index ? parentHash(b, a) : parentHash(a, b)))
  },

  appendTree(roots, length, blocks) {
    return appendWith(
      roots,
      length,
      blocks,
      (x) => leafHash(x),
      (x, y) => parentHash(x, y)
    )
  }
}
