/**
 * The signature container of multi-signer manifests (hypercore's `lib/multisig.js` and the
 * `multiSignature` codecs): which signers signed, their Ed25519 signatures, and — for signers whose
 * tree is ahead of the length being verified (`allowPatch`) — the nodes that extend the verified
 * tree to the length they signed.
 */
import {
  array,
  type Codec,
  CodecError,
  decode,
  encode,
  fixed32,
  fixed64,
  type State,
  struct,
  uint
} from '@orchard/codec'
import { InvalidSignatureError } from './errors.ts'
import { TreeBatch, type TreeState } from './merkle/batch.ts'
import type { TreeNode } from './merkle/nodes.ts'
import { upgradeIndexes } from './merkle/proof.ts'
import { MAX_BLOCKS, verifyUpgrade } from './merkle/verify.ts'

/** One signer's part of a container. `patch` = how many blocks its signed tree is ahead. */
export interface MultisigProof {
  signer: number
  signature: Uint8Array
  patch: number
}

/** A decoded container: the proofs, and the (deduplicated) nodes of every patch. */
export interface MultiSignature {
  proofs: MultisigProof[]
  patch: TreeNode[]
}

/** A signer's contribution before assembly: its patch nodes travel with it. */
export interface MultisigInput extends MultisigProof {
  /** The upgrade nodes from the verified length to the signed one (null without a patch). */
  nodes?: readonly TreeNode[] | null
}

const compactNode = struct({ index: uint, size: uint, hash: fixed32 })
const multisigProof = struct({ signer: uint, signature: fixed64, patch: uint })

/** `array(proof) ‖ array(node)`: the container of manifest versions ≥ 1. */
export const multiSignature: Codec<MultiSignature> = struct({
  proofs: array(multisigProof),
  patch: array(compactNode)
})

interface ProofV0 {
  signer: number
  signature: Uint8Array
  patch: { start: number; length: number; nodes: number[] } | null
}

const patchV0 = struct({ start: uint, length: uint, nodes: array(uint) })

/** A version-0 proof: `uint flags(bit0 patch) ‖ uint signer ‖ fixed64 sig ‖ [patch]`. */
const multisigProofV0: Codec<ProofV0> = {
  preencode(s, p) {
    s.end += 1
    uint.preencode(s, p.signer)
    fixed64.preencode(s, p.signature)
    if (p.patch) patchV0.preencode(s, p.patch)
  },
  encode(s, p) {
    uint.encode(s, p.patch ? 1 : 0)
    uint.encode(s, p.signer)
    fixed64.encode(s, p.signature)
    if (p.patch) patchV0.encode(s, p.patch)
  },
  decode(s: State) {
    const flags = uint.decode(s)
    const signer = uint.decode(s)
    const signature = fixed64.decode(s)
    return { signer, signature, patch: flags & 1 ? patchV0.decode(s) : null }
  }
}

/** The legacy container of version-0 manifests (read for verification). */
export const multiSignatureV0: Codec<{ proofs: ProofV0[]; patch: TreeNode[] }> = struct({
  proofs: array(multisigProofV0),
  patch: array(compactNode)
})

/**
 * Decodes a container of a manifest of `version`; v0 patches are reduced to their lengths, as
 * hypercore does. Malformed bytes raise `InvalidSignatureError`.
 */
export function inflateSignature(signature: Uint8Array, version: number): MultiSignature {
  try {
    if (version >= 1) return decode(multiSignature, signature)
    const { proofs, patch } = decode(multiSignatureV0, signature)
    return {
      proofs: proofs.map((p) => ({
        signer: p.signer,
        signature: p.signature,
        patch: p.patch ? p.patch.length : 0
      })),
      patch
    }
  } catch (err) {
    if (!(err instanceof CodecError)) throw err
    throw new InvalidSignatureError(`malformed signature container: ${err.message}`, { cause: err })
  }
}

/**
 * Assembles signers' contributions into a version ≥ 1 container, patch nodes deduplicated by
 * index (hypercore's `multisig.assemble`).
 */
export function assembleSignature(inputs: readonly MultisigInput[]): Uint8Array {
  const patch: TreeNode[] = []
  const seen = new Set<number>()
  const proofs = inputs.map((input) => {
    for (const node of input.nodes ?? []) {
      if (seen.has(node.index)) continue
      seen.add(node.index)
      patch.push(node)
    }
    return { signer: input.signer, signature: input.signature, patch: input.patch }
  })
  return encode(multiSignature, { proofs, patch })
}

/**
 * The tree a signer `patch` blocks ahead signed: `tree` extended with the upgrade nodes taken from
 * `nodes`. Throws `InvalidSignatureError` when the container lacks a node or they do not fit.
 */
export function patchedTree(tree: TreeState, patch: number, nodes: ReadonlyMap<number, TreeNode>): TreeBatch {
  const start = tree.length
  if (!Number.isSafeInteger(patch) || patch <= 0 || start + patch > MAX_BLOCKS) {
    throw new InvalidSignatureError(`a patch of ${patch} blocks is out of range`)
  }
  const upgradeNodes: TreeNode[] = []
  for (const index of upgradeIndexes(start, start + patch)) {
    const node = nodes.get(index)
    if (node === undefined) throw new InvalidSignatureError(`the signature lacks patch node ${index}`)
    upgradeNodes.push(node)
  }
  const batch = new TreeBatch(tree)
  const upgrade = { start, length: patch, nodes: upgradeNodes, additionalNodes: [], signature: null }
  try {
    verifyUpgrade({ fork: tree.fork, block: null, hash: null, seek: null, upgrade }, null, batch, null)
  } catch (err) {
    throw new InvalidSignatureError('the patch nodes do not extend the tree', { cause: err })
  }
  return batch
}
