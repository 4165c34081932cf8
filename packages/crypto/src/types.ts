/**
 * The shapes shared by the public API and the backends. A backend is two halves: a `Hasher`
 * (BLAKE2b and Merkle hashing: the WASM kernel or @noble/hashes) and `Primitives` (everything
 * else: libsodium; the kernel's ciphers + @noble/curves; or @noble/curves + @noble/ciphers). The public functions validate sizes once and
 * then call the active halves, so every backend sees only well-formed input.
 */

/** A Merkle tree node as hypercore stores it: flat-tree index, byte size of the span, 32-byte hash. */
export interface TreeNode {
  /** The node's flat-tree index (leaves even, parents odd). */
  index: number
  /** The byte length of the blocks under the node. */
  size: number
  /** The node's 32-byte BLAKE2b hash. */
  hash: Uint8Array
}

/** An Ed25519 key pair in libsodium's layout: `secretKey` = seed(32) ‖ publicKey(32). */
export interface KeyPair {
  /** The 32-byte Ed25519 public key. */
  publicKey: Uint8Array
  /** The 64-byte secret key: seed followed by the public key. */
  secretKey: Uint8Array
}

/** What `appendTree` returns: every node it created (in creation order) and the new roots. */
export interface AppendResult {
  /** Each new leaf followed by the parents it completed, in the order hypercore creates them. */
  nodes: TreeNode[]
  /** The full roots of the tree after the append, left to right. */
  roots: TreeNode[]
}

/** One decrypted secretstream message. */
export interface PullResult {
  /** The plaintext. */
  message: Uint8Array
  /** The tag the sender attached (`TAG_MESSAGE`, `TAG_PUSH`, `TAG_REKEY` or `TAG_FINAL`). */
  tag: number
}

/**
 * BLAKE2b and hypercore's Merkle hashing. Arguments are already validated; `out`, when given, has
 * exactly the output length and receives the digest (which is then returned).
 */
export interface Hasher {
  readonly name: 'wasm' | 'js'
  blake2b(data: Uint8Array, outLen: number, key: Uint8Array | undefined, out?: Uint8Array): Uint8Array
  /** BLAKE2b of the concatenation of `parts` (crypto_generichash_batch). */
  blake2bBatch(
    parts: readonly Uint8Array[],
    outLen: number,
    key: Uint8Array | undefined,
    out?: Uint8Array
  ): Uint8Array
  data(block: Uint8Array, out?: Uint8Array): Uint8Array
  /** `a` is the node with the lower index. */
  parent(a: TreeNode, b: TreeNode, out?: Uint8Array): Uint8Array
  tree(roots: readonly TreeNode[], out?: Uint8Array): Uint8Array
  hashLeaves(blocks: readonly Uint8Array[]): Uint8Array[]
  /** Each pair in either order: the node with the lower index is the left child. */
  hashParents(pairs: readonly (readonly [TreeNode, TreeNode])[]): Uint8Array[]
  /** `roots` are a valid roots list ordered left to right; `length` is the leaf count they cover. */
  appendTree(roots: readonly TreeNode[], length: number, blocks: readonly Uint8Array[]): AppendResult
}

/** The state of one direction of a secretstream. */
export interface SecretStreamState {
  push(message: Uint8Array, tag: number, out: Uint8Array | undefined): Uint8Array
  /** `out`, if given, gets the message (it may be the ciphertext's own bytes 1…−16: in place). */
  pull(ciphertext: Uint8Array, out?: Uint8Array): PullResult
}

/** Signatures, Noise DH and AEADs. Arguments are already validated. */
export interface Primitives {
  /** libsodium; our kernel's ciphers with @noble/curves; or all @noble. */
  readonly name: 'libsodium' | 'kernel' | 'noble'
  randomBytes(n: number): Uint8Array
  keyPair(seed: Uint8Array | undefined): KeyPair
  sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array
  verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean
  /** Where a faster asynchronous path exists (WebCrypto): the same results as `sign`. */
  signAsync?(message: Uint8Array, secretKey: Uint8Array): Promise<Uint8Array>
  /** Where a faster asynchronous path exists (WebCrypto): the same decisions as `verify`. */
  verifyAsync?(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): Promise<boolean>
  ed25519Dh(publicKey: Uint8Array, secretKey: Uint8Array): Uint8Array
  chacha20poly1305Encrypt(
    key: Uint8Array,
    nonce: Uint8Array,
    ad: Uint8Array,
    plaintext: Uint8Array
  ): Uint8Array
  chacha20poly1305Decrypt(
    key: Uint8Array,
    nonce: Uint8Array,
    ad: Uint8Array,
    ciphertext: Uint8Array
  ): Uint8Array
  /** A push state keyed by `key`, for the given 24-byte header. */
  secretStream(key: Uint8Array, header: Uint8Array): SecretStreamState
  xsalsa20Xor(data: Uint8Array, nonce: Uint8Array, key: Uint8Array, out: Uint8Array): Uint8Array
  secretboxEasy(message: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array
  secretboxOpenEasy(box: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array
}

/** The names of the cipher functions of {@link Primitives}. @internal */
export type CipherName =
  | 'chacha20poly1305Encrypt'
  | 'chacha20poly1305Decrypt'
  | 'secretStream'
  | 'xsalsa20Xor'
  | 'secretboxEasy'
  | 'secretboxOpenEasy'

/** Primitives without the ciphers (libsodium's part under Node). @internal */
export type SignaturePrimitives = Omit<Primitives, CipherName>
