/**
 * Test harness for proofs: a writer (our Hypercore in memory) and a reader that is nothing but a
 * Merkle tree over a Map of trusted nodes, updated only from verified proofs — a replicating peer
 * without the protocol around it.
 */
import { ready, type TreeNode } from '@orchard/crypto'
import { openMemoryStorage } from '@orchard/storage'
import { Hypercore, InvalidSignatureError } from '../../src/index.ts'
import { MerkleTree, type Proof, type ProofRequest, type TreeBatch } from '../../src/merkle/index.ts'
import { Verifier } from '../../src/verifier.ts'

export class MapReader {
  readonly nodes = new Map<number, TreeNode>()
  async getNode(index: number) {
    return this.nodes.get(index) ?? null
  }
  async getNodes(indexes: number[]) {
    return indexes.map((i) => this.nodes.get(i) ?? null)
  }
}

export async function writerWith(lengths: number[], seed = 1): Promise<Hypercore> {
  await ready()
  const core = new Hypercore(openMemoryStorage())
  await core.ready()
  for (const len of lengths) await appendBlocks(core, len, seed)
  return core
}

/** Appends `count` blocks of varied sizes (deterministic in their index) as one batch. */
export async function appendBlocks(core: Hypercore, count: number, seed = 1): Promise<void> {
  const batch: Uint8Array[] = []
  for (let i = 0, n = core.length; i < count; i++, n++)
    batch.push(new Uint8Array(1 + ((n * 7 + seed) % 50)).fill(n & 0xff))
  await core.append(batch)
}

export async function proofFrom(writer: Hypercore, req: ProofRequest): Promise<Proof> {
  const value = req.block ? await writer.core.getStoredBlock(req.block.index) : null
  return writer.core.tree.proof(req, value)
}

/** A reader of `writer`'s core: trusted nodes in a map, head moved only by verified upgrades. */
export class Reader {
  readonly map = new MapReader()
  tree!: MerkleTree
  readonly verifier: Verifier

  constructor(writer: Hypercore) {
    this.verifier = new Verifier(writer.key!, writer.manifest!)
  }

  async open(): Promise<this> {
    this.tree = await MerkleTree.open(this.map, { length: 0, fork: 0, signature: null })
    return this
  }

  /** Verifies fully (tree + signature); commits on success; returns the batch. */
  async apply(proof: Proof): Promise<TreeBatch> {
    const batch = await this.tree.verify(proof)
    if (batch.upgraded && !this.verifier.verify(batch, batch.signature)) {
      throw new InvalidSignatureError('the upgrade signature does not verify')
    }
    for (const node of batch.nodes) this.map.nodes.set(node.index, node)
    if (batch.upgraded) this.tree.commit(batch, batch.signature)
    return batch
  }

  missingNodes(blockIndex: number): Promise<number> {
    return this.tree.missingNodes(2 * blockIndex)
  }
}
