/**
 * Proof generation, shaped exactly like hypercore 11's `data` message: for a request of a block
 * (or a hash), a byte seek and/or an upgrade, the sibling hashes and roots the requester needs to
 * verify it against a signed tree. The walk only decides *which* nodes to send; they are then read
 * from storage in one batch.
 */
import { InvalidOperationError } from '../errors.ts'
import { leftSpan, rightSpan, TreeIterator } from '../flat-tree.ts'
import type { Manifest } from '../manifest.ts'
import type { TreeNode, TreeNodeReader } from './nodes.ts'
import { byteOffset, nodeOrError, seekFromHead, seekTrustedTree, unpaddedSize } from './seek.ts'

export interface ProofRequest {
  block?: { index: number; nodes: number } | null
  hash?: { index: number; nodes: number } | null
  seek?: { bytes: number; padding: number } | null
  upgrade?: { start: number; length: number } | null
}

/**
 * A proof: the body of hypercore 11's `data` message minus its request id. The generator leaves
 * `manifest` out (the core adds it when the requester asked for it); verification ignores it,
 * as the core checks a received manifest against the key itself.
 */
export interface Proof {
  fork: number
  block: { index: number; value: Uint8Array; nodes: TreeNode[] } | null
  hash: { index: number; nodes: TreeNode[] } | null
  seek: { bytes: number; nodes: TreeNode[] } | null
  upgrade: {
    start: number
    length: number
    nodes: TreeNode[]
    additionalNodes: TreeNode[]
    signature: Uint8Array | null
  } | null
  manifest?: Manifest | null
}

/** What the generator needs of the tree. */
export interface ProvableTree {
  readonly length: number
  readonly byteLength: number
  readonly fork: number
  readonly roots: readonly TreeNode[]
  readonly signature: Uint8Array | null
  readonly prologue: { hash: Uint8Array; length: number } | null
  readonly reader: TreeNodeReader
}

interface Indexed {
  /** True for a block request (the value travels instead of the leaf hash). */
  value: boolean
  index: number
  nodes: number
  lastIndex: number
}

/** Node indexes to send, per part of the proof. */
interface Plan {
  node: number[] | null
  seek: number[] | null
  upgrade: number[] | null
  additional: number[] | null
}

function normalize(req: ProofRequest): Indexed | null {
  if (req.block)
    return { value: true, index: 2 * req.block.index, nodes: req.block.nodes, lastIndex: req.block.index }
  if (req.hash)
    return {
      value: false,
      index: req.hash.index,
      nodes: req.hash.nodes,
      lastIndex: rightSpan(req.hash.index) / 2
    }
  return null
}

/** The ancestor `nodes` levels above `index`, which must lie inside a tree ending at `head`. */
function nodesToRoot(index: number, nodes: number, head: number): number {
  const ite = new TreeIterator(index)
  for (let i = 0; i < nodes; i++) {
    ite.parent()
    if (ite.contains(head)) throw new InvalidOperationError('the requested proof reaches past the tree')
  }
  return ite.index
}

function seekProof(seekRoot: number, root: number, p: Plan): void {
  const ite = new TreeIterator(seekRoot)
  p.seek = [ite.index]
  while (ite.index !== root) {
    p.seek.push(ite.sibling())
    ite.parent()
  }
}

function blockAndSeekProof(
  node: Indexed | null,
  seeking: boolean,
  seekRoot: number,
  root: number,
  p: Plan
): void {
  if (node === null) {
    seekProof(seekRoot, root, p)
    return
  }
  const ite = new TreeIterator(node.index)
  p.node = []
  if (!node.value) p.node.push(ite.index)
  while (ite.index !== root) {
    ite.sibling()
    if (seeking && ite.contains(seekRoot) && ite.index !== seekRoot) seekProof(seekRoot, ite.index, p)
    else p.node.push(ite.index)
    ite.parent()
  }
}

function upgradeProof(
  node: Indexed | null,
  seeking: boolean,
  from: number,
  to: number,
  subTree: number,
  p: Plan
): void {
  if (from === 0) p.upgrade = []
  for (const ite = new TreeIterator(0); ite.fullRoot(to); ite.nextTree()) {
    if (ite.index + ite.factor / 2 < from) continue // the requester has this root already
    if (p.upgrade === null && ite.contains(from - 2)) {
      // connect the requester's last root to this one
      p.upgrade = []
      const root = ite.index
      const target = from - 2
      ite.seek(target)
      while (ite.index !== root) {
        ite.sibling()
        if (ite.index > target) {
          if (p.node === null && p.seek === null && ite.contains(subTree)) {
            blockAndSeekProof(node, seeking, subTree, ite.index, p)
          } else {
            p.upgrade.push(ite.index)
          }
        }
        ite.parent()
      }
      continue
    }
    if (p.upgrade === null) p.upgrade = []
    // a requested block inside this root travels as its proof instead of a duplicate root
    if (p.node === null && p.seek === null && ite.contains(subTree)) {
      blockAndSeekProof(node, seeking, subTree, ite.index, p)
      continue
    }
    p.upgrade.push(ite.index)
  }
}

/**
 * Tree indexes of a bare upgrade proof from `fromLength` to `toLength` blocks, in the order a
 * verifier consumes them: the siblings connecting its last root, then the newer roots whole.
 * Used for `additionalNodes` and for the patch nodes of multisig signatures.
 */
export function upgradeIndexes(fromLength: number, toLength: number): number[] {
  const from = 2 * fromLength
  const out: number[] = []
  let connected = from === 0
  for (const ite = new TreeIterator(0); ite.fullRoot(2 * toLength); ite.nextTree()) {
    if (ite.index + ite.factor / 2 < from) continue // the verifier has this root already
    if (!connected && ite.contains(from - 2)) {
      connected = true
      const root = ite.index
      const target = from - 2
      ite.seek(target)
      while (ite.index !== root) {
        ite.sibling()
        if (ite.index > target) out.push(ite.index)
        ite.parent()
      }
      continue
    }
    connected = true
    out.push(ite.index)
  }
  return out
}

async function seekUntrustedTree(
  tree: ProvableTree,
  root: number,
  bytes: number,
  padding: number
): Promise<number> {
  // the padded offset of the subtree, minus the padding of the blocks before it
  const offset =
    (await byteOffset(tree.reader, tree.roots, tree.length, tree.byteLength, root)) -
    (padding * leftSpan(root)) / 2
  if (offset > bytes) throw new InvalidOperationError('invalid seek')
  if (offset === bytes) return root
  bytes -= offset
  const node = await nodeOrError(tree.reader, root)
  if (unpaddedSize(node, padding) <= bytes) throw new InvalidOperationError('invalid seek')
  return seekTrustedTree(tree.reader, root, bytes, padding)
}

/**
 * The proof of a lone block request (no hash, seek or upgrade) when the node cache holds every
 * sibling it needs: built without a storage read or a promise, as a download's requests are
 * answered by the hundred. Null when a node is not cached or the request is not plainly valid;
 * {@link generateProof} then answers it (or says why it cannot).
 */
export function cachedBlockProof(
  tree: ProvableTree & { readonly reader: { peek(index: number): TreeNode | undefined } },
  block: { index: number; nodes: number },
  value: Uint8Array
): Proof | null {
  const head = 2 * tree.length
  if (block.index >= tree.length || block.nodes > 64) return null
  const ite = new TreeIterator(2 * block.index)
  const nodes: TreeNode[] = new Array(block.nodes)
  for (let level = 0; level < block.nodes; level++) {
    const sibling = tree.reader.peek(ite.sibling())
    if (sibling === undefined) return null
    nodes[level] = sibling
    ite.parent()
    if (ite.contains(head)) return null // past the tree
  }
  return {
    fork: tree.fork,
    block: { index: block.index, value, nodes },
    hash: null,
    seek: null,
    upgrade: null
  }
}

/**
 * Builds the proof for `req` from `tree`. `value` is the stored block for a block request. Throws
 * `InvalidOperationError` for requests that cannot be answered (out of range, inconsistent).
 */
export async function generateProof(
  live: ProvableTree,
  req: ProofRequest,
  value: Uint8Array | null = null
): Promise<Proof> {
  // a snapshot of the head: appends may land while we read nodes (stored nodes never change, so
  // reading them later is fine), but the proof must describe one signed length
  const tree: ProvableTree = {
    length: live.length,
    byteLength: live.byteLength,
    fork: live.fork,
    roots: live.roots,
    signature: live.signature,
    prologue: live.prologue,
    reader: live.reader
  }
  let upgrade = req.upgrade ? { ...req.upgrade } : null
  const prologue = tree.prologue
  if (prologue && upgrade && upgrade.start < prologue.length) {
    upgrade = { start: 0, length: prologue.length }
  }
  const proof: Proof = { fork: tree.fork, block: null, hash: null, seek: null, upgrade: null }
  const head = 2 * tree.length
  if (head === 0) return proof
  const from = upgrade ? upgrade.start * 2 : 0
  const to = upgrade ? from + upgrade.length * 2 : head
  const node = normalize(req)
  const seek = req.seek ?? null
  if (from >= to || to > head) throw new InvalidOperationError('invalid upgrade request')
  if (seek && upgrade && node !== null && node.index >= from) {
    throw new InvalidOperationError('cannot seek and request a block past the upgrade start at once')
  }

  const p: Plan = { node: null, seek: null, upgrade: null, additional: null }
  let subTree = head
  if (node !== null && (!upgrade || node.lastIndex < upgrade.start)) {
    subTree = nodesToRoot(node.index, node.nodes, to)
    const seekRoot = seek ? await seekUntrustedTree(tree, subTree, seek.bytes, seek.padding) : head
    blockAndSeekProof(node, seek !== null, seekRoot, subTree, p)
  } else if ((node || seek) && upgrade) {
    subTree = seek ? await seekFromHead(tree.reader, to, seek.bytes, seek.padding) : node!.index
  }
  if (upgrade) {
    upgradeProof(node, seek !== null, from, to, subTree, p)
    if (head > to) p.additional = upgradeIndexes(to / 2, head / 2)
  }

  // one storage round-trip for every node of the proof
  const parts = [p.node ?? [], p.seek ?? [], p.upgrade ?? [], p.additional ?? []]
  const all = await tree.reader.getNodes(parts.flat())
  let at = 0
  const take = (list: number[] | null): TreeNode[] | null => {
    if (list === null) return null
    const out: TreeNode[] = []
    for (const index of list) {
      const n = all[at++]
      if (!n) throw new InvalidOperationError(`tree node ${index} is not stored`)
      out.push(n)
    }
    return out
  }
  const nodes = take(p.node)
  const seekNodes = take(p.seek)
  const upgradeNodes = take(p.upgrade)
  const additional = take(p.additional)

  if (req.block) {
    if (nodes === null) throw new InvalidOperationError('invalid block request')
    if (value === null) throw new InvalidOperationError('a block proof needs the block value')
    proof.block = { index: req.block.index, value, nodes }
  } else if (req.hash) {
    if (nodes === null) throw new InvalidOperationError('invalid hash request')
    proof.hash = { index: req.hash.index, nodes }
  }
  if (seek && seekNodes !== null) proof.seek = { bytes: seek.bytes, nodes: seekNodes }
  if (upgrade) {
    proof.upgrade = {
      start: upgrade.start,
      length: upgrade.length,
      nodes: upgradeNodes ?? [],
      additionalNodes: additional ?? [],
      // a copy: the head's signature must not be reachable (and mutable) through a proof
      signature: tree.signature === null ? null : tree.signature.slice()
    }
  }
  return proof
}
