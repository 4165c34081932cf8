/**
 * Signature verification for a core's tree heads, as hypercore 11's `Verifier`: compat cores sign
 * raw (80- or 48-byte signables), manifest cores store a multisig container even for one signer;
 * quorum, distinct signers and the prologue rule are enforced. Signing produces the same bytes
 * hypercore stores. Patched signatures (`allowPatch`, a signer lagging behind) are verified by
 * rebuilding the signer's shorter tree from the patch nodes.
 */
import { array, decode, encode, fixed32, fixed64, type State, struct, uint } from '@orchard/codec'
import { type KeyPair, sign, verify as verifySignature } from '@orchard/crypto'
import { equal } from './bytes.ts'
import { BadArgumentError } from './errors.ts'
import type { Manifest } from './manifest.ts'
import type { TreeBatch } from './merkle/batch.ts'
import type { TreeNode } from './merkle/nodes.ts'

const compactNode = struct({ index: uint, size: uint, hash: fixed32 })
const multisigInput = struct({ signer: uint, signature: fixed64, patch: uint })
/** `array(proof) ‖ array(patch node)`: the signature container of v1+ manifests. */
export const multiSignature = struct({ proofs: array(multisigInput), patch: array(compactNode) })

const patchV0 = struct({ start: uint, length: uint, nodes: array(uint) })

/** The head a signature covers. */
export type Signable = Pick<TreeBatch, 'length' | 'fork' | 'hash' | 'signable' | 'signableCompat'>

/** Rebuilds a shorter tree (a lagging signer's) for patch verification; null if impossible. */
export type PatchTree = (length: number, nodes: Map<number, TreeNode>) => Signable | null

export class Verifier {
  readonly key: Uint8Array
  readonly manifest: Manifest
  readonly compat: boolean
  readonly version: number
  readonly quorum: number
  readonly allowPatch: boolean
  readonly prologue: { hash: Uint8Array; length: number } | null
  readonly #legacy: boolean

  constructor(key: Uint8Array, manifest: Manifest, opts: { compat?: boolean; legacy?: boolean } = {}) {
    this.key = key
    this.manifest = manifest
    this.compat = opts.compat ?? false
    this.#legacy = opts.legacy ?? false
    this.version = this.compat ? 0 : manifest.version
    this.allowPatch = !this.compat && manifest.allowPatch
    this.quorum = this.compat ? 1 : manifest.quorum
    this.prologue = this.compat ? null : manifest.prologue
  }

  /** Whether `publicKey` can sign alone: the single signer of the manifest. */
  canSign(publicKey: Uint8Array): boolean {
    return (
      this.manifest.signers.length === 1 &&
      this.quorum <= 1 &&
      equal(this.manifest.signers[0]!.publicKey, publicKey)
    )
  }

  #signable(batch: Signable, signerIndex: number): Uint8Array {
    if (this.compat) return batch.signableCompat(this.#legacy)
    return batch.signable(this.version === 0 ? this.manifest.signers[signerIndex]!.namespace : this.key)
  }

  /** Whether `signature` is a valid signature of `batch`'s head. */
  verify(batch: Signable, signature: Uint8Array | null, patchTree?: PatchTree): boolean {
    if (this.version !== 0 && this.prologue !== null && batch.length <= this.prologue.length) {
      return batch.length === this.prologue.length && equal(batch.hash(), this.prologue.hash)
    }
    if (!signature) return false
    if (this.compat || (this.version === 0 && !this.allowPatch && this.manifest.signers.length === 1)) {
      return verifySignature(this.#signable(batch, 0), signature, this.manifest.signers[0]!.publicKey)
    }
    if (this.quorum === 0) return false
    let inflated: ReturnType<typeof inflate>
    try {
      inflated = inflate(signature, this.version)
    } catch {
      return false
    }
    const { proofs, patch } = inflated
    if (proofs.length < this.quorum) return false
    const tried = new Set<number>()
    const patchNodes = this.allowPatch && patch.length ? new Map(patch.map((n) => [n.index, n])) : null
    for (let i = 0; i < this.quorum; i++) {
      const p = proofs[i]!
      if (p.signer >= this.manifest.signers.length || tried.has(p.signer)) return false
      tried.add(p.signer)
      let tree: Signable | null = batch
      if (p.patch && this.allowPatch) {
        if (!patchNodes || !patchTree || p.patch > batch.length) return false
        tree = patchTree(batch.length - p.patch, patchNodes)
        if (tree === null) return false
      } else if (p.patch) {
        return false
      }
      if (
        !verifySignature(
          this.#signable(tree, p.signer),
          p.signature,
          this.manifest.signers[p.signer]!.publicKey
        )
      ) {
        return false
      }
    }
    return true
  }

  /** Signs `batch`'s head with `keyPair`, in the form hypercore stores. */
  sign(batch: Signable, keyPair: KeyPair): Uint8Array {
    if (!keyPair?.secretKey) throw new BadArgumentError('signing needs a key pair with a secret key')
    const index = this.manifest.signers.findIndex((s) => equal(s.publicKey, keyPair.publicKey))
    if (index === -1) throw new BadArgumentError('the public key is not a signer of this core')
    const signature = sign(this.#signable(batch, index), keyPair.secretKey)
    // one of several signers only contributes its raw signature, to be assembled with the others
    if (this.version === 0 || this.manifest.signers.length !== 1) return signature
    return encode(multiSignature, { proofs: [{ signer: index, signature, patch: 0 }], patch: [] })
  }
}

/** Decodes a multisig container (v1 form; v0 proofs' patches flattened to their lengths). */
function inflate(signature: Uint8Array, version: number) {
  if (version >= 1) return decode(multiSignature, signature)
  return decode(multiSignatureV0, signature)
}

const multiSignatureV0 = {
  preencode() {
    throw new BadArgumentError('version-0 multisig containers are read-only here')
  },
  encode() {
    throw new BadArgumentError('version-0 multisig containers are read-only here')
  },
  decode(s: State) {
    const count = uint.decode(s)
    if (count > 0x100000) throw new BadArgumentError('too many signatures')
    const proofs: { signer: number; signature: Uint8Array; patch: number }[] = []
    for (let i = 0; i < count; i++) {
      const flags = uint.decode(s)
      const signer = uint.decode(s)
      const signature = fixed64.decode(s)
      const patch = flags & 1 ? patchV0.decode(s).length : 0
      proofs.push({ signer, signature, patch })
    }
    return { proofs, patch: array(compactNode).decode(s) }
  }
}
