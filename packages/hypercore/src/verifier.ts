/**
 * Signature verification for a core's tree heads, as hypercore 11's `Verifier`: compat cores sign
 * raw (80- or 48-byte signables), version-0 single-signer manifests sign raw over their namespace,
 * every other manifest stores a multisig container even for one signer; quorum, distinct signers
 * and the prologue rule are enforced. A signer whose tree is ahead (`allowPatch`) is verified by
 * extending the tree with the patch nodes of the container. Signing produces the bytes hypercore
 * stores.
 */
import { type KeyPair, sign, signAsync, verify as verifyEd25519 } from '@orchard/crypto'
import { equal } from './bytes.ts'
import { BadArgumentError, HypercoreError, InvalidSignatureError } from './errors.ts'
import { isCompat, type Manifest, type Prologue } from './manifest.ts'
import type { TreeState } from './merkle/batch.ts'
import type { TreeNode } from './merkle/nodes.ts'
import { assembleSignature, inflateSignature, type MultisigInput, patchedTree } from './multisig.ts'

/** A tree head a signature covers (a `TreeBatch` or the `MerkleTree` itself). */
export interface Signable extends TreeState {
  hash(): Uint8Array
  /** The 112-byte signable with `context` (manifest hash, or a v0 signer's namespace). */
  signable(context: Uint8Array): Uint8Array
  /** The compat signable: 80 bytes, or 48 without the TREE prefix (`legacy`). */
  signableCompat(noHeader?: boolean): Uint8Array
}

export interface VerifierOptions {
  /** Verify as a compat core (key = public key, raw signatures). Default: `isCompat(key, manifest)`. */
  compat?: boolean
  /** Compat signables without the TREE prefix (hypercore ≤ 9 cores). */
  legacy?: boolean
}

export class Verifier {
  readonly key: Uint8Array
  readonly manifest: Manifest
  readonly compat: boolean
  /** 0 for compat cores, else the manifest's version. */
  readonly version: number
  readonly quorum: number
  readonly allowPatch: boolean
  readonly prologue: Prologue | null
  readonly #legacy: boolean

  constructor(key: Uint8Array, manifest: Manifest, opts: VerifierOptions = {}) {
    this.key = key
    this.manifest = manifest
    this.compat = opts.compat ?? isCompat(key, manifest)
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

  /** Whether `signature` is a valid signature of `batch`'s head. Never throws on bad input. */
  verify(batch: Signable, signature: Uint8Array | null): boolean {
    return this.#failure(batch, signature) === null
  }

  /**
   * Throws `InvalidSignatureError` saying why, unless `signature` is a valid signature of
   * `batch`'s head (for callers that drop a peer and want the reason).
   */
  assertValid(batch: Signable, signature: Uint8Array | null): void {
    const failure = this.#failure(batch, signature)
    if (failure !== null) throw failure
  }

  #failure(batch: Signable, signature: Uint8Array | null): HypercoreError | null {
    const fail = (why: string) => new InvalidSignatureError(`${why} (length ${batch.length})`)
    if (this.version === 0) {
      if (!signature) return fail('no signature')
      if (this.compat || (!this.allowPatch && this.manifest.signers.length === 1)) {
        return this.#verifyRaw(batch, 0, signature) ? null : fail('the signature does not verify')
      }
      return this.#verifyMulti(batch, signature, fail)
    }
    if (this.prologue !== null && batch.length <= this.prologue.length) {
      if (batch.length === this.prologue.length && equal(batch.hash(), this.prologue.hash)) return null
      return fail('the tree does not match the manifest prologue')
    }
    if (!signature) return fail('no signature')
    return this.#verifyMulti(batch, signature, fail)
  }

  #verifyMulti(
    batch: Signable,
    signature: Uint8Array,
    fail: (why: string) => HypercoreError
  ): HypercoreError | null {
    if (this.quorum === 0) return fail('the manifest has no quorum to sign with')
    let container: ReturnType<typeof inflateSignature>
    try {
      container = inflateSignature(signature, this.version)
    } catch (err) {
      return asTyped(err)
    }
    const { proofs, patch } = container
    if (proofs.length < this.quorum)
      return fail(`${proofs.length} signature(s) for a quorum of ${this.quorum}`)
    const signers = this.manifest.signers
    const tried = new Set<number>()
    let patchNodes: Map<number, TreeNode> | null = null
    for (let i = 0; i < this.quorum; i++) {
      const p = proofs[i]!
      if (p.signer >= signers.length) return fail(`signer ${p.signer} is not in the manifest`)
      if (tried.has(p.signer)) return fail(`signer ${p.signer} signed twice`)
      tried.add(p.signer)
      let tree: Signable = batch
      // hypercore ignores a patch the manifest does not allow; we refuse it, so a signature's
      // bytes cannot be varied (no honest signer writes one)
      if (p.patch && !this.allowPatch)
        return fail(`signer ${p.signer} sent a patch the manifest does not allow`)
      if (p.patch) {
        patchNodes ??= new Map(patch.map((n) => [n.index, n]))
        try {
          tree = patchedTree(batch, p.patch, patchNodes)
        } catch (err) {
          return asTyped(err)
        }
      }
      if (!this.#verifyRaw(tree, p.signer, p.signature)) {
        return fail(`the signature of signer ${p.signer} does not verify`)
      }
    }
    return null
  }

  #signable(batch: Signable, signerIndex: number): Uint8Array {
    if (this.compat) return batch.signableCompat(this.#legacy)
    return batch.signable(this.version === 0 ? this.manifest.signers[signerIndex]!.namespace : this.key)
  }

  #verifyRaw(batch: Signable, signerIndex: number, signature: Uint8Array): boolean {
    return verifyEd25519(
      this.#signable(batch, signerIndex),
      signature,
      this.manifest.signers[signerIndex]!.publicKey
    )
  }

  /**
   * Signs `batch`'s head with `keyPair`, in the form hypercore stores: the 68-byte container for
   * a single signer of a v1+ manifest, else the raw signature (compat, version 0, or one of several
   * signers — whose raw signatures {@link Verifier.assemble} combines).
   */
  sign(batch: Signable, keyPair: KeyPair): Uint8Array {
    const index = this.#signerIndex(keyPair)
    return this.#container(sign(this.#signable(batch, index), keyPair.secretKey))
  }

  /**
   * {@link sign}, through the platform's native Ed25519 where it has one (WebCrypto in browsers;
   * the same bytes — Ed25519 is deterministic). Appends sign this way.
   */
  async signAsync(batch: Signable, keyPair: KeyPair): Promise<Uint8Array> {
    const index = this.#signerIndex(keyPair)
    return this.#container(await signAsync(this.#signable(batch, index), keyPair.secretKey))
  }

  #signerIndex(keyPair: KeyPair): number {
    if (!keyPair?.secretKey) throw new BadArgumentError('signing needs a key pair with a secret key')
    const index = this.manifest.signers.findIndex((s) => equal(s.publicKey, keyPair.publicKey))
    if (index === -1) throw new BadArgumentError('the public key is not a signer of this core')
    return index
  }

  #container(signature: Uint8Array): Uint8Array {
    if (this.version === 0 || this.manifest.signers.length !== 1) return signature
    return assembleSignature([{ signer: 0, signature, patch: 0 }])
  }

  /** Combines signers' raw signatures (and patches) into this manifest's container. */
  assemble(inputs: readonly MultisigInput[]): Uint8Array {
    if (this.version === 0) throw new BadArgumentError('version-0 containers are only read, not assembled')
    return assembleSignature(inputs)
  }
}

/** Typed failures become the verdict; anything else is a bug and propagates. */
function asTyped(err: unknown): HypercoreError {
  if (err instanceof HypercoreError) return err
  throw err
}
