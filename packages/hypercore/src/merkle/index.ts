/**
 * The Merkle tree of a core: its head and batches ({@link MerkleTree}, {@link TreeBatch}), proofs
 * as hypercore 11 shapes them ({@link generateProof}) and their verification ({@link verifyProof}).
 */
export { TreeBatch, type TreeState } from './batch.ts'
export { blockNode, parentNode, type TreeNode, type TreeNodeReader, totalSize } from './nodes.ts'
export { generateProof, type Proof, type ProofRequest } from './proof.ts'
export { MerkleTree, type TreeHead } from './tree.ts'
export { MAX_BLOCKS, verifyProof, verifyTree, verifyUpgrade } from './verify.ts'
