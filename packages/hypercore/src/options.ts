/**
 * The options a `Hypercore` takes, and how hypercore 11's spellings map onto ours: keys as bytes,
 * hex or z-base-32; `encryption` as a key, `{ key, block }` or a cipher; a storage name instead of
 * a `Storage`.
 */
import { fromZBase32 } from '@orchard/codec'
import type { KeyPair } from '@orchard/crypto'
import type { Storage } from '@orchard/storage'
import { type BlockEncryption, type HypercoreEncryptionProvider, isCipher } from './encryption.ts'
import { AssertionError, BadArgumentError } from './errors.ts'
import { coreKey, type Manifest } from './manifest.ts'
import type { ValueEncoding } from './value-encoding.ts'

/** A key as hypercore takes one: 32 bytes, 64 hex characters, or 52 z-base-32 characters. */
export type KeyInput = Uint8Array | string

/** hypercore 11's `encryption` option: a 32-byte key, `{ key, block }`, or a cipher. */
export type EncryptionOption =
  | Uint8Array
  | {
      /** The 32-byte encryption key. */
      key: Uint8Array
      /** The key is already the block key (hypercore's `block: true`). */
      block?: boolean
    }
  | BlockEncryption
  | HypercoreEncryptionProvider

/**
 * Options of `new Hypercore(storage, key?, opts)` and of `session()`: hypercore 11's, with the same names and
 * defaults.
 */
export interface HypercoreOptions {
  /** The core's key, to open a core created elsewhere (bytes, hex or z-base-32). */
  key?: KeyInput
  /** Signing key pair: creates (or reopens) a writable core signed by it. */
  keyPair?: KeyPair
  /** A manifest for a core with non-default signers/prologue. */
  manifest?: Manifest
  /** Legacy cores whose key is the signer's public key. */
  compat?: boolean
  /** How blocks are encoded: 'binary' (default), 'utf-8', 'json', a codec or `{ encode, decode }`. */
  valueEncoding?: ValueEncoding
  /** Encodes a whole `append` batch at once (instead of the value encoding per block). */
  encodeBatch?: (blocks: unknown[]) => Uint8Array[]
  /** Encrypt blocks (hypercore 11's option): a key, `{ key, block }` or a cipher. */
  encryption?: EncryptionOption
  /** Encrypt blocks with hypercore's default cipher under this 32-byte key (older spelling). */
  encryptionKey?: Uint8Array
  /** With `encryptionKey`: it is already the block key. */
  isBlockKey?: boolean
  /** `false` opens a read-only session even when the key pair can sign. */
  writable?: boolean
  /** Download only what is asked for (default true); false replicates everything eagerly. */
  sparse?: boolean
  /**
   * Follow a peer's longer length as soon as it is announced (default true). With false, the
   * core upgrades only when something asks for it: `update()`, a `get` or `seek` past its length.
   */
  eagerUpgrade?: boolean
  /** Create the core if the storage is empty (default true). */
  createIfMissing?: boolean
  /** Replace the core in storage with a new one (with `key`/`keyPair`/`manifest`). */
  overwrite?: boolean
  /** Blocks larger than this are refused (default 15 MiB). */
  maxBlockSize?: number
  /** Wait for missing blocks to arrive from peers (default true). */
  wait?: boolean
  /** Milliseconds a `get` may wait (0 = no limit). */
  timeout?: number
  /** Freeze this session's view at its current length. */
  snapshot?: boolean
  /** Keep the storage open when the core closes (for stores shared by several cores). */
  closeStorage?: boolean
  /** User data written when the session opens. */
  userData?: Record<string, Uint8Array | string>
  /** Options resolved later (merged in before opening), as hypercore's `preload`. */
  preload?: Promise<HypercoreOptions> | (() => Promise<HypercoreOptions> | HypercoreOptions)
  /** Only one exclusive session of a core is open at a time; others wait for it to close. */
  exclusive?: boolean
  /** Called when a `get` starts waiting for a block from peers. */
  onwait?: (index: number, session: unknown) => void
  /** A named session: its own persisted, unsigned continuation of the core (see `commit`). */
  name?: string
  /** With `name`: start the named session from the core's first `checkout` blocks. */
  checkout?: number
  /** The storage, when the first argument is the options. */
  storage?: Storage | Promise<Storage> | string
}

/** Options of `get` (and of `seek`). */
export interface GetOptions {
  /** Wait for a missing block from peers (default: the session's `wait`, true). */
  wait?: boolean
  /** Milliseconds to wait before failing with `REQUEST_TIMEOUT` (default: the session's; 0 = none). */
  timeout?: number
  /** Decode with this encoding instead of the session's. */
  valueEncoding?: ValueEncoding
  /** Return the stored bytes (ciphertext for encrypted cores), undecoded. */
  raw?: boolean
  /** Decrypt (default true); false returns the stored bytes decoded as they are. */
  decrypt?: boolean
  /** Cancels the wait. */
  signal?: AbortSignal
  /** Called if the block has to be waited for. */
  onwait?: (index: number, session: unknown) => void
}

/** The events of a {@link Hypercore} session, name → listener arguments. */
export interface HypercoreEvents {
  /** The session opened. */
  ready: []
  /** The session closed. */
  close: []
  /** The core grew (a local append, or a verified upgrade from a peer). */
  append: []
  /** The core was truncated to `ancestors` blocks, now on `fork`. */
  truncate: [ancestors: number, fork: number]
  /** A verified block arrived; `request` says when it was asked for and how long it took. */
  download: [
    index: number,
    byteLength: number,
    from: unknown,
    request: {
      /** When the block was requested (ms since the epoch). */
      timestamp: number
      /** Milliseconds from request to arrival. */
      elapsed: number
    } | null
  ]
  /** A block was sent to peer `to`. */
  upload: [index: number, byteLength: number, to: unknown]
  /** A peer started replicating this core. */
  'peer-add': [peer: unknown]
  /** A peer stopped replicating this core. */
  'peer-remove': [peer: unknown]
  /** The manifest became known (learned from a peer). */
  manifest: []
  /** A peer holds the first `length` blocks in full. */
  'remote-contiguous-length': [length: number]
}

/** What `info()` reports about a core. */
export interface HypercoreInfo {
  /** The core's key. */
  key: Uint8Array
  /** The core's discovery key. */
  discoveryKey: Uint8Array
  /** The session's length. */
  length: number
  /** How many leading blocks are stored locally. */
  contiguousLength: number
  /** Bytes of the session's blocks (plaintext). */
  byteLength: number
  /** The fork id (bumped by each truncation). */
  fork: number
  /** Bytes of encryption padding per block (0 unencrypted). */
  padding: number
  /** Bytes used per store; hypercore 11 reports null here too (its RocksDB cannot tell). */
  storage: null
}

/** Parses a key given as bytes, hex or z-base-32 (hypercore-id-encoding's forms). */
export function decodeKey(key: KeyInput): Uint8Array {
  if (key instanceof Uint8Array) {
    if (key.byteLength !== 32) throw new BadArgumentError('key must be 32 bytes')
    return key
  }
  if (typeof key === 'string') {
    if (/^[0-9a-f]{64}$/i.test(key)) {
      const out = new Uint8Array(32)
      for (let i = 0; i < 32; i++) out[i] = Number.parseInt(key.slice(2 * i, 2 * i + 2), 16)
      return out
    }
    if (key.length === 52) {
      const out = fromZBase32(key)
      if (out !== null && out.byteLength === 32) return out
    }
  }
  throw new BadArgumentError('a key must be 32 bytes, 64 hex characters or 52 z-base-32 characters')
}

/** Whether `x` is an options object rather than a key or a storage. */
export function isOptions(x: unknown): x is HypercoreOptions {
  return (
    typeof x === 'object' &&
    x !== null &&
    !(x instanceof Uint8Array) &&
    !(x instanceof Promise) &&
    typeof (x as Storage).write !== 'function'
  )
}

export function checkIndex(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new AssertionError(`${what} is invalid: ${n}`)
}

/** The key a default single-signer core of `keyPair` gets (null if crypto is not ready yet). */
export function derivedKey(keyPair: KeyPair, opts: HypercoreOptions): Uint8Array | null {
  try {
    return coreKey(keyPair.publicKey, { compat: opts.compat })
  } catch {
    return null
  }
}

/** hypercore 11's encryption options, as a key (default cipher) or a cipher. */
export function encryptionOptions(
  opts: Pick<HypercoreOptions, 'encryption' | 'encryptionKey' | 'isBlockKey'>
) {
  const e = opts.encryption
  if (opts.encryptionKey) return { key: opts.encryptionKey, isBlockKey: !!opts.isBlockKey, cipher: null }
  if (e === undefined || e === null) return { key: null, isBlockKey: false, cipher: null }
  if (e instanceof Uint8Array) return { key: e, isBlockKey: false, cipher: null }
  if (isCipher(e)) return { key: null, isBlockKey: false, cipher: e }
  if ('key' in e && e.key instanceof Uint8Array) return { key: e.key, isBlockKey: !!e.block, cipher: null }
  throw new BadArgumentError('encryption must be a 32-byte key, { key, block } or a cipher')
}
