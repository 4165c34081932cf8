/**
 * Byte math over the tree: where block `i` starts, and which block holds byte `b`. Sizes of
 * encrypted cores include `padding` bytes per block; seeks count plaintext bytes, so they subtract
 * it (hypercore's `getUnpaddedSize`).
 */
import { InvalidOperationError } from '../errors.ts'
import { countLeaves, fullRoots, leftSpan, TreeIterator } from '../flat-tree.ts'
import type { TreeNode, TreeNodeReader } from './nodes.ts'

export function unpaddedSize(node: TreeNode, padding: number, leaves = countLeaves(node.index)): number {
  return padding === 0 ? node.size : node.size - padding * leaves
}

export async function nodeOrError(reader: TreeNodeReader, index: number): Promise<TreeNode> {
  const node = await reader.getNode(index)
  if (node === null) throw new InvalidOperationError(`tree node ${index} is not stored`)
  return node
}

/** Byte offset (padded) of tree index `index` (a leaf, or the leftmost leaf of a parent). */
export async function byteOffset(
  reader: TreeNodeReader,
  roots: readonly TreeNode[],
  length: number,
  byteLength: number,
  index: number
): Promise<number> {
  if (index === 2 * length) return byteLength
  if (index % 2 === 1) index = leftSpan(index)
  let head = 0
  let offset = 0
  for (const root of roots) {
    head += 2 * (root.index - head + 1)
    if (index >= head) {
      offset += root.size
      continue
    }
    const ite = new TreeIterator(root.index)
    const lefts: number[] = []
    while (ite.index !== index) {
      if (index < ite.index) ite.leftChild()
      else {
        lefts.push(ite.leftChild())
        ite.sibling()
      }
    }
    for (const node of await reader.getNodes(lefts)) {
      if (node === null) throw new InvalidOperationError('a tree node on the byte-offset path is not stored')
      offset += node.size
    }
    return offset
  }
  throw new InvalidOperationError(`tree index ${index} is outside the tree`)
}

/**
 * Descends from `root` to the node holding unpadded byte `bytes` of it. Returns that node's index
 * (a leaf, or the deepest stored ancestor when a child is missing).
 */
export async function seekTrustedTree(
  reader: TreeNodeReader,
  root: number,
  bytes: number,
  padding: number
): Promise<number> {
  if (!bytes) return root
  const ite = new TreeIterator(root)
  while (ite.index % 2 === 1) {
    const left = await reader.getNode(ite.leftChild())
    if (left === null) {
      ite.parent()
      return ite.index
    }
    const size = unpaddedSize(left, padding, ite.countLeaves())
    if (size === bytes) return ite.index
    if (size > bytes) continue
    bytes -= size
    ite.sibling()
  }
  return ite.index
}

/** The node holding `bytes` within the roots of a tree ending at tree index `head`. */
export async function seekFromHead(
  reader: TreeNodeReader,
  head: number,
  bytes: number,
  padding: number
): Promise<number> {
  for (const root of fullRoots(head)) {
    const node = await nodeOrError(reader, root)
    const size = unpaddedSize(node, padding)
    if (bytes === size) return root
    if (bytes > size) {
      bytes -= size
      continue
    }
    return seekTrustedTree(reader, root, bytes, padding)
  }
  return head
}

/**
 * Local seek: `[blockIndex, offsetInBlock]` for unpadded byte `bytes`, or null when a node on the
 * path is not stored (a sparse core must ask a peer).
 */
export async function seekBlock(
  reader: TreeNodeReader,
  roots: readonly TreeNode[],
  bytes: number,
  padding: number
): Promise<[number, number] | null> {
  const found = await seekOrNarrow(reader, roots, bytes, padding)
  return found === null || 'range' in found ? null : found.at
}

/**
 * Like {@link seekBlock}, but when a node on the path is missing it says which blocks the byte
 * lies in (`range`, inclusive): fetching any of them brings the nodes that narrow it down, which
 * is how hypercore seeks on a sparse core. Null when the byte is past the roots.
 */
export async function seekOrNarrow(
  reader: TreeNodeReader,
  roots: readonly TreeNode[],
  bytes: number,
  padding: number
): Promise<{ at: [number, number] } | { range: [number, number] } | null> {
  const found = await walk(reader, roots, bytes, padding)
  if (found === null || 'range' in found) return found
  return { at: found }
}

async function walk(
  reader: TreeNodeReader,
  roots: readonly TreeNode[],
  bytes: number,
  padding: number
): Promise<[number, number] | { range: [number, number] } | null> {
  if (!bytes) return [0, 0]
  for (const root of roots) {
    const size = unpaddedSize(root, padding)
    if (bytes === size) return [(new TreeIterator(root.index).rightSpan() + 2) / 2, 0]
    if (bytes > size) {
      bytes -= size
      continue
    }
    const ite = new TreeIterator(root.index)
    while (ite.index % 2 === 1) {
      const left = await reader.getNode(ite.leftChild())
      if (left === null) {
        ite.parent()
        return { range: [ite.leftSpan() / 2, ite.rightSpan() / 2] }
      }
      const lsize = unpaddedSize(left, padding, ite.countLeaves())
      if (lsize === bytes) return [(ite.rightSpan() + 2) / 2, 0]
      if (lsize > bytes) continue
      bytes -= lsize
      ite.sibling()
    }
    return [ite.index / 2, bytes]
  }
  return null
}
