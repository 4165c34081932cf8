/**
 * Block encryption, byte-identical to hypercore 11's `DefaultEncryption`.
 *
 * A stored block is `padding(8) ‖ ciphertext`. The padding is the core's fork blinded with
 * XSalsa20(blindingKey, index ‖ 0^16); the ciphertext is the block XOR XSalsa20(blockKey,
 * index ‖ padding ‖ 0^8). (fork, index) is unique per core, so the nonce is never reused for
 * different content on one fork. Merkle hashes cover the stored (encrypted) bytes, so peers
 * without the key can still verify and relay blocks.
 */
import { blake2b, blake2bBatch, xsalsa20Xor } from '@orchard/crypto'
import { DEFAULT_ENCRYPTION } from './caps.ts'
import { BadArgumentError } from './errors.ts'

/** What a core needs from a block cipher. Custom ciphers implement this too. */
export interface BlockEncryption {
  /** Bytes the cipher prepends to every block. */
  readonly padding: number
  /**
   * Encrypts `block` for `index` on `fork`, returning `padding + block.byteLength` bytes.
   */
  encrypt(index: number, block: Uint8Array, fork: number): Uint8Array | Promise<Uint8Array>
  /** Decrypts a stored block (padding included) for `index`; returns the plaintext. */
  decrypt(index: number, stored: Uint8Array): Uint8Array | Promise<Uint8Array>
}

/**
 * hypercore 11's encryption provider shape: `padding(core, index)` bytes are reserved at the
 * start of each block, and `encrypt`/`decrypt` work in place on the whole (padded) block.
 */
export interface HypercoreEncryptionProvider {
  /** Bytes reserved at the start of block `index`. */
  padding(core: unknown, index: number): number
  /** Encrypts the padded `block` in place. */
  encrypt(index: number, block: Uint8Array, fork: number, core: unknown): void | Promise<void>
  /** Decrypts the stored `block` in place. */
  decrypt(index: number, block: Uint8Array, core: unknown): void | Promise<void>
}

/** Whether `x` is a cipher (ours or hypercore's provider shape) rather than a key. */
export function isCipher(x: unknown): x is BlockEncryption | HypercoreEncryptionProvider {
  const e = x as BlockEncryption | null
  return (
    typeof e === 'object' && e !== null && typeof e.encrypt === 'function' && typeof e.decrypt === 'function'
  )
}

/** Our cipher interface over a hypercore-shaped provider (fixed padding, read at index 0). */
export function fromProvider(
  provider: BlockEncryption | HypercoreEncryptionProvider,
  core: unknown
): BlockEncryption {
  if (typeof provider.padding === 'number') return provider as BlockEncryption
  const p = provider as HypercoreEncryptionProvider
  const padding = p.padding(core, 0)
  return {
    padding,
    async encrypt(index, block, fork) {
      const out = new Uint8Array(padding + block.byteLength)
      out.set(block, padding)
      await p.encrypt(index, out, fork, core)
      return out
    },
    async decrypt(index, stored) {
      const copy = stored.slice()
      await p.decrypt(index, copy, core)
      return copy.subarray(padding)
    }
  }
}

/** Options of {@link DefaultEncryption}. */
export interface DefaultEncryptionOptions {
  /** The key is already the block key (hypercore's `isBlockKey`). */
  isBlockKey?: boolean
  /** Derive the block key the way compat (key = public key) cores do. */
  compat?: boolean
}

const PADDING = 8

/** hypercore 11's default XSalsa20 block encryption. */
export class DefaultEncryption implements BlockEncryption {
  /** Bytes prepended to every block: the nonce's part that is stored with it. */
  static readonly PADDING = PADDING
  readonly padding = PADDING
  /** The key blocks are encrypted with (derived from the encryption key and the core key). */
  readonly blockKey: Uint8Array
  /** The key that hides the stored nonce part (BLAKE2b of the block key). */
  readonly blindingKey: Uint8Array
  readonly #nonce = new Uint8Array(24)

  /** The cipher for core `coreKey` under the 32-byte `encryptionKey`. */
  constructor(encryptionKey: Uint8Array, coreKey: Uint8Array, opts: DefaultEncryptionOptions = {}) {
    if (!(encryptionKey instanceof Uint8Array) || encryptionKey.byteLength !== 32) {
      throw new BadArgumentError('encryptionKey must be 32 bytes')
    }
    this.blockKey = DefaultEncryption.blockKey(encryptionKey, coreKey, opts)
    this.blindingKey = blake2b(this.blockKey, 32)
  }

  /** The XSalsa20 key blocks are encrypted with. */
  static blockKey(
    encryptionKey: Uint8Array,
    coreKey: Uint8Array,
    opts: DefaultEncryptionOptions = {}
  ): Uint8Array {
    if (opts.isBlockKey) return encryptionKey.slice()
    if (opts.compat) return blake2b(encryptionKey, 32, coreKey)
    return blake2bBatch([DEFAULT_ENCRYPTION, coreKey, encryptionKey], 32)
  }

  encrypt(index: number, block: Uint8Array, fork: number): Uint8Array {
    const out = new Uint8Array(PADDING + block.byteLength)
    const nonce = this.#nonce
    writeUint64LE(out, 0, fork)
    nonce.fill(0)
    writeUint64LE(nonce, 0, index)
    const padding = out.subarray(0, PADDING)
    xsalsa20Xor(padding, nonce, this.blindingKey, padding)
    nonce.set(padding, 8)
    xsalsa20Xor(block, nonce, this.blockKey, out.subarray(PADDING))
    return out
  }

  decrypt(index: number, stored: Uint8Array): Uint8Array {
    if (stored.byteLength < PADDING) throw new BadArgumentError('encrypted block is shorter than its padding')
    const nonce = this.#nonce
    nonce.fill(0)
    writeUint64LE(nonce, 0, index)
    nonce.set(stored.subarray(0, PADDING), 8)
    return xsalsa20Xor(stored.subarray(PADDING), nonce, this.blockKey)
  }
}

function writeUint64LE(buf: Uint8Array, offset: number, n: number): void {
  const lo = n >>> 0
  const hi = Math.floor(n / 0x100000000)
  buf[offset] = lo
  buf[offset + 1] = lo >>> 8
  buf[offset + 2] = lo >>> 16
  buf[offset + 3] = lo >>> 24
  buf[offset + 4] = hi
  buf[offset + 5] = hi >>> 8
  buf[offset + 6] = hi >>> 16
  buf[offset + 7] = hi >>> 24
}

/** Encrypts `blocks` appended at `start` on `fork` (awaiting only ciphers that are async). */
export async function encryptAll(
  encryption: BlockEncryption,
  start: number,
  fork: number,
  blocks: Uint8Array[]
): Promise<Uint8Array[]> {
  const out = new Array<Uint8Array>(blocks.length)
  let pending: Promise<void>[] | null = null
  for (let i = 0; i < blocks.length; i++) {
    const r = encryption.encrypt(start + i, blocks[i]!, fork)
    if (r instanceof Promise) {
      pending ??= []
      pending.push(
        r.then((b) => {
          out[i] = b
        })
      )
    } else out[i] = r
  }
  if (pending) await Promise.all(pending)
  return out
}
