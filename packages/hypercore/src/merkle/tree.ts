/**
 * A core's Merkle tree: its signed head (length, byte length, fork, roots, signature) in memory,
 * every node in storage. Mutations produce a {@link TreeBatch} — nodes to store, the next head —
 * which the core writes atomically and then {@link MerkleTree.commit}s.
 */
import { appendTree, tree as treeHash } from '@orchard/crypto'
import { pushAll } from '../bytes.ts'
import { treeSignable, treeSignableCompat } from '../caps.ts'
import { BadArgumentError, InvalidOperationError } from '../errors.ts'
import { fullRoots, TreeIterator } from '../flat-tree.ts'
import { TreeBatch, type TreeState } from './batch.ts'
import { CachedNodes } from './cache.ts'
import { type TreeNode, type TreeNodeReader, totalSize } from './nodes.ts'
import { generateProof, type Proof, type ProofRequest } from './proof.ts'
import { byteOffset, nodeOrError, seekBlock, seekOrNarrow } from './seek.ts'
import { type Known, verifyProof } from './verify.ts'

export interface TreeHead {
  length: number
  fork: number
  signature: Uint8Array | null
}

export class MerkleTree implements TreeState {
  /** Stored nodes, through a cache of recent ones. */
  readonly reader: CachedNodes
  length: number
  byteLength: number
  fork: number
  roots: TreeNode[]
  signature: Uint8Array | null
  /** The manifest's prologue: a length below which the tree is fixed by hash, not signature. */
  prologue: { hash: Uint8Array; length: number } | null = null
  #hash: Uint8Array | null = null

  private constructor(reader: TreeNodeReader, head: TreeHead, roots: TreeNode[]) {
    this.reader = reader instanceof CachedNodes ? reader : new CachedNodes(reader)
    this.length = head.length
    this.fork = head.fork
    this.signature = head.signature
    this.roots = roots
    this.byteLength = totalSize(roots)
  }

  /** Opens the tree of a stored head by reading its roots. */
  static async open(reader: TreeNodeReader, head: TreeHead): Promise<MerkleTree> {
    return new MerkleTree(reader, head, await readRoots(reader, head.length))
  }

  /** The tree hash of the current roots. */
  hash(): Uint8Array {
    if (this.#hash === null) this.#hash = treeHash(this.roots)
    return this.#hash
  }

  /** The 112-byte signable of the head (context = manifest hash, or a v0 signer's namespace). */
  signable(context: Uint8Array): Uint8Array {
    return treeSignable(context, this.hash(), this.length, this.fork)
  }

  /** The compat signable of the head (80 bytes, 48 with `noHeader`). */
  signableCompat(noHeader = false): Uint8Array {
    return treeSignableCompat(this.hash(), this.length, this.fork, noHeader)
  }

  /** The tree hash at an earlier `length`, from stored nodes. */
  async hashAt(length: number): Promise<Uint8Array> {
    checkLength(length, this.length)
    if (length === this.length) return this.hash()
    return treeHash(await readRoots(this.reader, length))
  }

  /** The roots at `length`, from stored nodes. */
  rootsAt(length: number): Promise<TreeNode[]> {
    checkLength(length, this.length)
    return readRoots(this.reader, length)
  }

  /** A batch appending `blocks` (as stored: ciphertext when encrypted), hashed in one kernel call. */
  append(blocks: Uint8Array[]): TreeBatch {
    const batch = new TreeBatch(this)
    const { nodes, roots } = appendTree(this.roots, blocks)
    let added = 0
    for (const b of blocks) added += b.byteLength
    pushAll(batch.nodes, nodes)
    batch.setRoots(roots, this.length + blocks.length, this.byteLength + added)
    return batch
  }

  /**
   * A batch truncating to `length` on `fork`: the roots at `length` come from storage; every node
   * whose span crosses the cut is listed for deletion so it can never be trusted again.
   */
  async truncate(length: number, fork: number): Promise<TreeBatch> {
    if (!Number.isSafeInteger(fork) || fork < 0) throw new BadArgumentError(`invalid fork ${fork}`)
    if (!Number.isSafeInteger(length) || length < 0) throw new BadArgumentError(`invalid length ${length}`)
    if (length > this.length)
      throw new InvalidOperationError(`cannot truncate a tree of ${this.length} to ${length}`)
    const batch = new TreeBatch(this)
    const roots = await readRoots(this.reader, length)
    batch.setRoots(roots, length, totalSize(roots))
    batch.fork = fork
    batch.ancestors = length
    if (length > 0) {
      // parents left of the cut whose span reaches past it (ancestors of the last kept leaf)
      const head = 2 * length
      const ite = new TreeIterator(head - 2)
      for (;;) {
        if (ite.contains(head) && ite.index < head) batch.deletedNodes.push(ite.index)
        if (ite.offset === 0) break
        ite.parent()
      }
    }
    return batch
  }

  /** Adopts a batch the core has stored. Refuses one built on a different tree. */
  commit(batch: TreeBatch, signature: Uint8Array | null): void {
    if (batch.baseFork !== this.fork || batch.baseLength !== this.length) {
      throw new InvalidOperationError('the tree changed since this batch was made')
    }
    this.reader.add(batch.nodes)
    if (!batch.upgraded) return
    this.length = batch.length
    this.byteLength = batch.byteLength
    this.fork = batch.fork
    this.roots = batch.roots
    this.signature = signature
    this.#hash = null
  }

  /** Adopts `batch` as the head regardless of its base (truncations and reorgs, under the core's lock). */
  reset(batch: TreeBatch, signature: Uint8Array | null): void {
    // nodes past the cut are gone from storage: forget what we cached
    this.reader.clear()
    this.reader.add(batch.nodes)
    this.length = batch.length
    this.byteLength = batch.byteLength
    this.fork = batch.fork
    this.roots = batch.roots
    this.signature = signature
    this.#hash = null
  }

  /** Whether `batch` can still be committed on top of the current tree. */
  commitable(batch: TreeBatch): boolean {
    return (
      batch.baseFork === this.fork &&
      (batch.upgraded ? batch.baseLength === this.length : batch.baseLength <= this.length)
    )
  }

  /** Byte offset (padded) where block `blockIndex` starts. */
  byteOffset(blockIndex: number): Promise<number> {
    checkLength(blockIndex, this.length)
    return byteOffset(this.reader, this.roots, this.length, this.byteLength, 2 * blockIndex)
  }

  /** `[offset, size]` of block `blockIndex` (padded). */
  async byteRange(blockIndex: number): Promise<[number, number]> {
    checkIndex(blockIndex, 'block index')
    if (blockIndex >= this.length) throw new InvalidOperationError(`block ${blockIndex} is past the tree`)
    const [offset, node] = await Promise.all([
      this.byteOffset(blockIndex),
      nodeOrError(this.reader, 2 * blockIndex)
    ])
    return [offset, node.size]
  }

  /** `[blockIndex, offset]` holding unpadded byte `bytes`, or null when nodes are missing locally. */
  seek(bytes: number, padding = 0): Promise<[number, number] | null> {
    checkIndex(bytes, 'byte offset')
    checkIndex(padding, 'padding')
    return seekBlock(this.reader, this.roots, bytes, padding)
  }

  /** Like {@link seek}, or the inclusive block range the byte lies in when nodes are missing. */
  seekOrNarrow(bytes: number, padding = 0) {
    checkIndex(bytes, 'byte offset')
    checkIndex(padding, 'padding')
    return seekOrNarrow(this.reader, this.roots, bytes, padding)
  }

  /**
   * How many sibling levels above tree index `index` a requester lacks, up to the first stored
   * node (hypercore's `missingNodes`): the `nodes` count of a block/hash request.
   */
  async missingNodes(index: number, length = this.length): Promise<number> {
    checkIndex(index, 'tree index')
    checkIndex(length, 'length')
    const head = 2 * length
    const ite = new TreeIterator(index)
    if (ite.rightSpan() >= head) return 0
    const path: number[] = []
    while (!ite.contains(head)) {
      path.push(ite.index)
      ite.parent()
    }
    const stored = await this.reader.getNodes(path)
    const firstStored = stored.findIndex((n) => n !== null)
    return firstStored === -1 ? path.length : firstStored
  }

  /** The proof answering `req` (`value` = the stored block for block requests). */
  proof(req: ProofRequest, value: Uint8Array | null = null): Promise<Proof> {
    return generateProof(this, req, value)
  }

  /** Verifies a peer's proof against this tree; see {@link verifyProof}. */
  verify(proof: Proof, known?: Known): TreeBatch | Promise<TreeBatch> {
    return verifyProof(this, this.reader, proof, this.prologue, known ?? this.reader)
  }

  /**
   * `missingNodes` answered from the node cache alone, or null when that needs storage: the
   * common case while downloading (siblings arrive with the previous blocks) stays synchronous.
   */
  missingNodesCached(index: number, length = this.length): number | null {
    const head = 2 * length
    const ite = new TreeIterator(index)
    if (ite.rightSpan() >= head) return 0
    let count = 0
    while (!ite.contains(head)) {
      if (this.reader.peek(ite.index)) return count
      count++
      ite.parent()
      if (count > 64) return null
    }
    return null
  }
}

function checkIndex(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new BadArgumentError(`invalid ${what}: ${n}`)
}

function checkLength(length: number, max: number): void {
  checkIndex(length, 'length')
  if (length > max) throw new InvalidOperationError(`length ${length} is past the tree (${max})`)
}

async function readRoots(reader: TreeNodeReader, length: number): Promise<TreeNode[]> {
  const indexes = fullRoots(2 * length)
  const nodes = await reader.getNodes(indexes)
  return nodes.map((n, i) => {
    if (n === null) throw new InvalidOperationError(`root ${indexes[i]} of length ${length} is not stored`)
    return n
  })
}
