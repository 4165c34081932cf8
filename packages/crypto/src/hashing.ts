/**
 * BLAKE2b and everything hypercore-crypto builds on it: the Merkle leaf/parent/roots hashes (single
 * and batched), discovery keys, namespaces, `hash`, and noise-handshake's HMAC-BLAKE2b-512.
 */
import { InvalidArgumentError } from './errors.ts'
import { assertNode, lengthOfRoots } from './flat.ts'
import { activeHasher } from './state.ts'
import type { AppendResult, TreeNode } from './types.ts'
import { assertBytes, assertBytesList, assertOutLen, assertSize, normaliseKey } from './validate.ts'

const encoder = new TextEncoder()
const HYPERCORE = encoder.encode('hypercore')
const HMAC_BLOCK = 128

/** Checks an optional output buffer: exactly `len` bytes. */
function assertOut(out: Uint8Array | undefined, len: number): void {
  if (out !== undefined) assertSize(out, len, 'out')
}

/**
 * BLAKE2b (RFC 7693) of `data`: `outputLength` 1..64 bytes (default 32), optional key ≤ 64 bytes.
 * Like every hashing function here, an optional `out` of the output length receives the digest.
 */
export function blake2b(data: Uint8Array, outputLength = 32, key?: Uint8Array, out?: Uint8Array): Uint8Array {
  assertBytes(data, 'data')
  assertOutLen(outputLength)
  assertOut(out, outputLength)
  return activeHasher().blake2b(data, outputLength, normaliseKey(key), out)
}

/** BLAKE2b of the concatenation of `parts` (libsodium's `crypto_generichash_batch`). */
export function blake2bBatch(
  parts: Uint8Array[],
  outputLength = 32,
  key?: Uint8Array,
  out?: Uint8Array
): Uint8Array {
  assertBytesList(parts, 'parts')
  assertOutLen(outputLength)
  assertOut(out, outputLength)
  return activeHasher().blake2bBatch(parts, outputLength, normaliseKey(key), out)
}

/** Leaf hash of a block: BLAKE2b-256(0x00 ‖ u64le(length) ‖ block). */
export function data(block: Uint8Array, out?: Uint8Array): Uint8Array {
  assertBytes(block, 'block')
  assertOut(out, 32)
  return activeHasher().data(block, out)
}

/**
 * Parent hash: BLAKE2b-256(0x01 ‖ u64le(a.size + b.size) ‖ left.hash ‖ right.hash), where left is
 * the node with the lower index (the arguments may come in either order, as in hypercore-crypto).
 */
export function parent(a: TreeNode, b: TreeNode, out?: Uint8Array): Uint8Array {
  assertNode(a, 'a')
  assertNode(b, 'b')
  assertOut(out, 32)
  return a.index > b.index ? activeHasher().parent(b, a, out) : activeHasher().parent(a, b, out)
}

/** Tree (roots) hash: BLAKE2b-256(0x02 ‖ (hash ‖ u64le(index) ‖ u64le(size)) for each root). */
export function tree(roots: TreeNode[], out?: Uint8Array): Uint8Array {
  if (!Array.isArray(roots)) throw new InvalidArgumentError('roots must be an array of tree nodes')
  for (let i = 0; i < roots.length; i++) assertNode(roots[i]!, 'roots', i)
  assertOut(out, 32)
  return activeHasher().tree(roots, out)
}

/** Leaf hashes of many blocks in one call (one call into WebAssembly on the wasm backend). */
export function hashLeaves(blocks: Uint8Array[]): Uint8Array[] {
  assertBytesList(blocks, 'blocks')
  return activeHasher().hashLeaves(blocks)
}

/** Parent hashes of many pairs in one call; each pair may come in either order. */
export function hashParents(pairs: [TreeNode, TreeNode][]): Uint8Array[] {
  if (!Array.isArray(pairs)) throw new InvalidArgumentError('pairs must be an array of node pairs')
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i]
    if (!Array.isArray(pair) || pair.length !== 2)
      throw new InvalidArgumentError(`pairs[${i}] must be [a, b]`)
    assertNode(pair[0], 'pairs', i, 0)
    assertNode(pair[1], 'pairs', i, 1)
  }
  return activeHasher().hashParents(pairs)
}

/**
 * Appends `blocks` to a tree whose full roots are `roots` (left to right, as hypercore keeps them):
 * returns every new node — each leaf (index 2·length, 2·length+2, …) followed by the parents it
 * completes, in hypercore's order — and the new roots. Throws `InvalidArgumentError` if `roots` is
 * not a valid roots list.
 */
export function appendTree(roots: TreeNode[], blocks: Uint8Array[]): AppendResult {
  if (!Array.isArray(roots)) throw new InvalidArgumentError('roots must be an array of tree nodes')
  const length = lengthOfRoots(roots)
  assertBytesList(blocks, 'blocks')
  return activeHasher().appendTree(roots, length, blocks)
}

/** BLAKE2b-256 of `data`, or of the concatenation of a list of parts (hypercore-crypto's `hash`). */
export function hash(data: Uint8Array | Uint8Array[], out?: Uint8Array): Uint8Array {
  if (Array.isArray(data)) return blake2bBatch(data, 32, undefined, out)
  return blake2b(data, 32, undefined, out)
}

/**
 * hypercore-crypto's `namespace`: `ns = BLAKE2b-256(name)`, entry i = BLAKE2b-256(ns ‖ byte(id_i)),
 * ids `0..count-1` or the given list (each id is one byte).
 */
export function namespace(name: string | Uint8Array, count: number | number[]): Uint8Array[] {
  const nameBytes = typeof name === 'string' ? encoder.encode(name) : name
  assertBytes(nameBytes, 'name')
  let ids: number[]
  if (typeof count === 'number') {
    if (!Number.isInteger(count) || count < 0)
      throw new InvalidArgumentError('count must be a non-negative integer')
    ids = Array.from({ length: count }, (_, i) => i)
  } else if (Array.isArray(count)) {
    ids = count
  } else {
    throw new InvalidArgumentError('count must be a number or an array of ids')
  }
  const h = activeHasher()
  const input = new Uint8Array(33)
  input.set(h.blake2b(nameBytes, 32, undefined))
  const out = new Uint8Array(32 * ids.length)
  const list: Uint8Array[] = new Array(ids.length)
  for (let i = 0; i < ids.length; i++) {
    input[32] = ids[i]!
    list[i] = h.blake2b(input, 32, undefined, out.subarray(32 * i, 32 * i + 32))
  }
  return list
}

/** Discovery key of a 32-byte core key: BLAKE2b-256 keyed with the core key, of "hypercore". */
export function discoveryKey(publicKey: Uint8Array): Uint8Array {
  assertSize(publicKey, 32, 'publicKey')
  return activeHasher().blake2b(HYPERCORE, 32, publicKey)
}

/**
 * HMAC-BLAKE2b-512 as noise-handshake computes it (block 128 bytes; longer keys are first hashed
 * to 64 bytes). `data` may be a list of parts, hashed as their concatenation.
 */
export function hmacBlake2b512(key: Uint8Array, data: Uint8Array | Uint8Array[]): Uint8Array {
  assertBytes(key, 'key')
  const parts = Array.isArray(data) ? data : [data]
  assertBytesList(parts, 'data')
  const h = activeHasher()
  const k = key.byteLength > HMAC_BLOCK ? h.blake2b(key, 64, undefined) : key
  const inner = new Uint8Array(HMAC_BLOCK)
  const outer = new Uint8Array(HMAC_BLOCK)
  for (let i = 0; i < HMAC_BLOCK; i++) {
    const b = i < k.byteLength ? k[i]! : 0
    inner[i] = b ^ 0x36
    outer[i] = b ^ 0x5c
  }
  const innerHash = h.blake2bBatch([inner, ...parts], 64, undefined)
  return h.blake2bBatch([outer, innerHash], 64, undefined)
}
