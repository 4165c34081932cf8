/**
 * Proof verification. Everything in a proof is untrusted: the block value is hashed into its leaf,
 * sibling nodes are folded up to a root, and that root must either be consumed by an upgrade proof
 * (whose resulting tree hash the caller then checks against the signature) or equal a node we
 * already trust in storage. Indexes, counts and sizes are bounds-checked before any arithmetic.
 */
import { equal } from '../bytes.ts'
import { InvalidChecksumError, InvalidProofError } from '../errors.ts'
import { depth, TreeIterator } from '../flat-tree.ts'
import { TreeBatch, type TreeState } from './batch.ts'
import { blockNode, NodeQueue, parentNode, type TreeNode, type TreeNodeReader } from './nodes.ts'
import type { Proof } from './proof.ts'

/** Largest block count we accept from a peer (tree indexes stay exact below 2^53). */
export const MAX_BLOCKS = 2 ** 51
/** A proof never needs more nodes than this per part (two paths of ≤ 52 levels plus roots). */
const MAX_PROOF_NODES = 160

function checkNodes(nodes: readonly TreeNode[], what: string): void {
  if (nodes.length > MAX_PROOF_NODES)
    throw new InvalidProofError(`${what}: ${nodes.length} nodes is more than any proof needs`)
  for (const n of nodes) {
    if (n.index >= 2 * MAX_BLOCKS || depth(n.index) > 52)
      throw new InvalidProofError(`${what}: node index ${n.index} is out of range`)
    if (!Number.isSafeInteger(n.size) || n.size < 0)
      throw new InvalidProofError(`${what}: node size ${n.size} is out of range`)
    if (n.hash.byteLength !== 32) throw new InvalidProofError(`${what}: node hash must be 32 bytes`)
  }
}

function checkShape(proof: Proof): void {
  const { block, hash, seek, upgrade } = proof
  if (block) {
    if (block.index >= MAX_BLOCKS) throw new InvalidProofError(`block index ${block.index} is out of range`)
    checkNodes(block.nodes, 'block proof')
  }
  if (hash) {
    if (hash.index >= 2 * MAX_BLOCKS) throw new InvalidProofError(`hash index ${hash.index} is out of range`)
    checkNodes(hash.nodes, 'hash proof')
  }
  if (seek) checkNodes(seek.nodes, 'seek proof')
  if (upgrade) {
    if (upgrade.length === 0 || upgrade.start + upgrade.length > MAX_BLOCKS) {
      throw new InvalidProofError(`upgrade ${upgrade.start}+${upgrade.length} is out of range`)
    }
    checkNodes(upgrade.nodes, 'upgrade proof')
    checkNodes(upgrade.additionalNodes, 'upgrade proof (additional nodes)')
  }
}

/** Trusted nodes at hand without a storage read (the node cache, and verified nodes not yet stored). */
export interface Known {
  peek(index: number): TreeNode | undefined
}

function foldUp(ite: TreeIterator, first: TreeNode, q: NodeQueue, out: TreeNode[], known?: Known): TreeNode {
  let root = first
  out.push(root)
  while (q.length > 0) {
    const sibling = q.shift(ite.sibling())
    root = parentNode(ite.parent(), root, sibling)
    if (!Number.isSafeInteger(root.size)) throw new InvalidProofError('node sizes overflow')
    out.push(sibling, root)
    // Pipelined requests ask for the siblings they lacked when sent; by the time an answer
    // arrives, earlier answers have usually brought the upper path. Once the computed node
    // is one we trust, the rest of the path proves nothing more: stop hashing there (the caller
    // compares the two and keeps none of the unused, unverified siblings).
    if (known !== undefined && known.peek(root.index) !== undefined) return root
  }
  return root
}

/**
 * Folds the block/hash/seek parts of a proof into the root of the subtree they cover, collecting
 * every node they imply into `out`. Returns null when the proof has none of them.
 */
export function verifyTree(proof: Proof, out: TreeNode[], known?: Known): TreeNode | null {
  const { block, hash, seek } = proof
  const untrusted = block
    ? { index: 2 * block.index, value: block.value, nodes: block.nodes }
    : hash
      ? { index: hash.index, value: null, nodes: hash.nodes }
      : null
  if (untrusted === null && (!seek || seek.nodes.length === 0)) return null

  let root: TreeNode | null = null
  if (seek && seek.nodes.length > 0) {
    const ite = new TreeIterator(seek.nodes[0]!.index)
    const q = new NodeQueue(seek.nodes)
    root = foldUp(ite, q.shift(ite.index), q, out)
  }
  if (untrusted === null) return root

  const ite = new TreeIterator(untrusted.index)
  const q = new NodeQueue(untrusted.nodes, root)
  const first = untrusted.value ? blockNode(ite.index, untrusted.value) : q.shift(ite.index)
  // only a lone block or hash proof may stop early: an upgrade or seek consumes the whole path
  const top = foldUp(ite, first, q, out, proof.upgrade || seek ? undefined : known)
  if (q.extra !== null) throw new InvalidProofError('the seek proof does not connect to the block proof')
  return top
}

/**
 * Applies an upgrade proof to `batch` (which starts as the local tree): new roots from
 * `upgrade.nodes` (with `blockRoot` standing in where the block proof covers one), then the
 * responder's `additionalNodes` up to its signed length. Returns whether `blockRoot` was consumed.
 */
export function verifyUpgrade(
  proof: Proof,
  blockRoot: TreeNode | null,
  batch: TreeBatch,
  prologue: { hash: Uint8Array; length: number } | null
): boolean {
  const upgrade = proof.upgrade!
  if (prologue) {
    const { start, length } = upgrade
    if (start < prologue.length && (start !== 0 || length < prologue.length)) {
      throw new InvalidProofError('the upgrade does not satisfy the prologue')
    }
  }
  const q = new NodeQueue(upgrade.nodes, blockRoot)
  let grow = batch.roots.length > 0
  let i = 0
  const to = 2 * (upgrade.start + upgrade.length)
  const ite = new TreeIterator(0)
  for (; ite.fullRoot(to); ite.nextTree()) {
    if (i < batch.roots.length && batch.roots[i]!.index === ite.index) {
      i++
      continue
    }
    if (grow) {
      grow = false
      const root = ite.index
      if (i < batch.roots.length) {
        ite.seek(batch.roots[batch.roots.length - 1]!.index)
        while (ite.index !== root) batch.appendRoot(q.shift(ite.sibling()), ite)
        continue
      }
    }
    batch.appendRoot(q.shift(ite.index), ite)
  }
  if (q.remaining !== 0) throw new InvalidProofError(`the upgrade proof has ${q.remaining} unused node(s)`)
  if (batch.length !== to / 2)
    throw new InvalidProofError('the upgrade proof does not reach its declared length')
  if (prologue && batch.length === prologue.length && !equal(prologue.hash, batch.hash())) {
    throw new InvalidProofError('the upgrade does not match the prologue hash')
  }

  const extra = upgrade.additionalNodes
  if (extra.length > 0) {
    ite.seek(batch.roots[batch.roots.length - 1]!.index)
    let j = 0
    while (j < extra.length && extra[j]!.index === ite.sibling()) batch.appendRoot(extra[j++]!, ite)
    while (j < extra.length) {
      const node = extra[j++]!
      while (node.index !== ite.index) {
        if (ite.factor === 2) throw new InvalidProofError(`unexpected additional node ${node.index}`)
        ite.leftChild()
      }
      batch.appendRoot(node, ite)
      ite.sibling()
    }
  }
  if (batch.length > MAX_BLOCKS || !Number.isSafeInteger(batch.byteLength)) {
    throw new InvalidProofError('the upgraded tree is out of range')
  }
  batch.signature = upgrade.signature
  batch.fork = proof.fork
  return q.extra === null
}

/**
 * Verifies `proof` against the local tree `state`. Returns the batch to commit: its `nodes` are
 * verified; if `upgraded`, its roots/length/signature are the new head — the caller must still
 * check the signature. Throws a typed error for any inconsistency. Synchronous when the node the
 * proof connects to is cached (the common case while downloading), so callers can batch.
 */
export function verifyProof(
  state: TreeState,
  reader: TreeNodeReader & { peek?(index: number): TreeNode | undefined },
  proof: Proof,
  prologue: { hash: Uint8Array; length: number } | null,
  known: Known | undefined = reader.peek ? (reader as Known) : undefined
): TreeBatch | Promise<TreeBatch> {
  checkShape(proof)
  // a proof of another fork cannot extend or fill this tree (reorgs verify against an empty tree
  // of the new fork)
  if (proof.fork !== state.fork) {
    throw new InvalidProofError(`the proof is for fork ${proof.fork}, the tree is at fork ${state.fork}`)
  }
  const batch = new TreeBatch(state)
  let unverified = verifyTree(proof, batch.nodes, known)
  if (proof.upgrade && verifyUpgrade(proof, unverified, batch, prologue)) unverified = null
  if (unverified === null) return batch
  // the proof must connect to a node we already trust: from the cache when we can (no await)
  const root = unverified
  // the connecting node is already stored: it need not be written again
  if (batch.nodes[batch.nodes.length - 1] === root) batch.nodes.pop()
  batch.connectsTo = root.index
  const cached = known?.peek(root.index)
  if (cached) {
    checkTrusted(cached, root)
    return batch
  }
  return reader.getNode(root.index).then((trusted) => {
    if (trusted === null) {
      const err = new InvalidProofError(`the proof connects to node ${root.index}, which we do not have`)
      unconnected.add(err)
      throw err
    }
    checkTrusted(trusted, root)
    return batch
  })
}

const unconnected = new WeakSet<Error>()

/**
 * Whether `err` says only that a proof stopped short of every node we hold: a peer's fault, unless
 * we asked for that short proof ourselves (a request relying on an earlier one; see promised.ts).
 */
export function isUnconnectedProof(err: unknown): boolean {
  return err instanceof Error && unconnected.has(err)
}

function checkTrusted(trusted: TreeNode, computed: TreeNode): void {
  if (!equal(trusted.hash, computed.hash) || trusted.size !== computed.size) {
    throw new InvalidChecksumError(`the proof does not match our node ${computed.index}`)
  }
}
