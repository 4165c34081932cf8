/**
 * How a core lives in a `@orchard/storage` root. Several cores share one root (a Corestore), so
 * every per-core key starts with a 4-byte core id; the `cores` store maps discovery keys to ids.
 *
 * ```
 * cores    00                      → discovery key of the root's default core
 *          01 ‖ discoveryKey       → uint core id
 *          02                      → uint next core id
 * meta     id ‖ 00                 → CoreAuth   (key, manifest, key pair; written once)
 *          id ‖ 01                 → CoreHead   (fork, length, signature, contiguous length)
 *          id ‖ 02                 → CoreHints  (what peers told us: remote contiguous length)
 * tree     id ‖ u64be(index)       → node (uint size ‖ 32-byte hash)
 * blocks   id ‖ u64be(index)       → stored block (ciphertext when encrypted)
 * bitfield id ‖ u32be(page)        → 4 KiB bitfield page (only pages past the contiguous prefix)
 * user     id ‖ utf8(key)          → user data
 * local    id ‖ 01 ‖ utf8(name)    → NamedState (a named session's unsigned blocks)
 * ```
 * Big-endian indexes keep range scans in index order. Every mutation of a core is one atomic
 * storage batch, so a killed process never leaves a half-applied append or truncation.
 */
import {
  array,
  buffer,
  type Codec,
  decode,
  encode,
  encodeInto,
  fixed32,
  fixed64,
  type Infer,
  optional,
  optionalBuffer,
  struct,
  uint
} from '@orchard/codec'
import type { TreeNode } from '@orchard/crypto'
import type { BatchOp, Storage } from '@orchard/storage'
import { DecodingError } from './errors.ts'
import { Mutex } from './mutex.ts'

const ID_BYTES = 4

/** The core's identity, written once when the core is created (or its manifest learned). */
export const coreAuth = struct(
  {
    version: uint,
    key: fixed32,
    /** The encoded manifest (kept opaque here), absent until known for remote cores. */
    manifest: optional(buffer, 0),
    publicKey: optional(fixed32, 1),
    secretKey: optional(fixed64, 2),
    /** BLAKE2b of the block key, to reject a wrong encryption key on reopen. */
    encryptionCheck: optional(fixed32, 3)
  },
  { flagsAt: 1 }
)
export type CoreAuth = Infer<typeof coreAuth>

/** The core's head, rewritten by every append, truncation and verified upgrade. */
export const coreHead = struct({
  version: uint,
  fork: uint,
  length: uint,
  contiguousLength: uint,
  signature: optionalBuffer
})
export type CoreHead = Infer<typeof coreHead>

/** Hints learned from peers, kept across reopens (hypercore's header hints). */
export const coreHints = struct({
  version: uint,
  remoteContiguousLength: uint
})
export type CoreHints = Infer<typeof coreHints>

/** A named session's state: the core's length it forked at and the blocks appended since. */
export const namedState = struct({
  version: uint,
  /** The core's fork at the base; the state's own fork. */
  baseFork: uint,
  fork: uint,
  /** The signed length this state builds on (blocks before it are the core's). */
  length: uint,
  byteLength: uint,
  /** Stored (encrypted when the core is) blocks after `length`. */
  blocks: array(buffer)
})
export type NamedState = Infer<typeof namedState>

const treeNodeValue = struct({ size: uint, hash: fixed32 })

/**
 * One creation at a time per storage root: `create` reads then bumps the next core id (and reads
 * whether a default core exists), so concurrent creations in one root would share an id.
 */
const creating = new WeakMap<Storage, Mutex>()

const CORES_DEFAULT = new Uint8Array([0])
const CORES_NEXT_ID = new Uint8Array([2])

function coresByDiscoveryKey(discoveryKey: Uint8Array): Uint8Array {
  const k = new Uint8Array(1 + discoveryKey.byteLength)
  k[0] = 1
  k.set(discoveryKey, 1)
  return k
}

function decodeRecord<T>(codec: Codec<T, never>, bytes: Uint8Array, what: string): T {
  try {
    return decode(codec, bytes)
  } catch (err) {
    throw new DecodingError(`stored ${what} record is corrupt`, { cause: err })
  }
}

/** One core's slice of a storage root: key building, record codecs and typed reads. */
export class CoreStorage {
  readonly storage: Storage
  readonly id: number
  readonly #prefix: Uint8Array

  private constructor(storage: Storage, id: number) {
    this.storage = storage
    this.id = id
    this.#prefix = new Uint8Array(ID_BYTES)
    new DataView(this.#prefix.buffer).setUint32(0, id)
  }

  /** The discovery key of the root's default core (the one `new Hypercore(storage)` opens), if any. */
  static async defaultDiscoveryKey(storage: Storage): Promise<Uint8Array | null> {
    return storage.get('cores', CORES_DEFAULT)
  }

  /** The storage of an existing core, or null. */
  static async find(storage: Storage, discoveryKey: Uint8Array): Promise<CoreStorage | null> {
    const id = await storage.get('cores', coresByDiscoveryKey(discoveryKey))
    return id === null ? null : new CoreStorage(storage, decodeRecord(uint, id, 'core id'))
  }

  /**
   * Creates the storage of a new core and writes its first records in one batch. With
   * `makeDefault`, it becomes the root's default core (`'if-none'`: when the root has none yet).
   * Creations in one root are serialised, so each gets its own id.
   */
  static create(
    storage: Storage,
    discoveryKey: Uint8Array,
    auth: CoreAuth,
    head: CoreHead,
    opts: { makeDefault?: boolean | 'if-none'; replacing?: BatchOp[] } = {}
  ): Promise<CoreStorage> {
    let lock = creating.get(storage)
    if (lock === undefined) {
      lock = new Mutex()
      creating.set(storage, lock)
    }
    return lock.run(() => CoreStorage.#create(storage, discoveryKey, auth, head, opts))
  }

  static async #create(
    storage: Storage,
    discoveryKey: Uint8Array,
    auth: CoreAuth,
    head: CoreHead,
    opts: { makeDefault?: boolean | 'if-none'; replacing?: BatchOp[] }
  ): Promise<CoreStorage> {
    const makeDefault =
      opts.makeDefault === 'if-none'
        ? (await storage.get('cores', CORES_DEFAULT)) === null
        : opts.makeDefault === true
    const next = await storage.get('cores', CORES_NEXT_ID)
    const id = next === null ? 0 : decodeRecord(uint, next, 'next core id')
    const cs = new CoreStorage(storage, id)
    // `replacing`: the deletion of the core this one overwrites, in the same atomic batch
    const ops: BatchOp[] = [
      ...(opts.replacing ?? []),
      { type: 'put', store: 'cores', key: CORES_NEXT_ID, value: encode(uint, id + 1) },
      { type: 'put', store: 'cores', key: coresByDiscoveryKey(discoveryKey), value: encode(uint, id) },
      cs.putAuth(auth),
      cs.putHead(head)
    ]
    if (makeDefault)
      ops.push({ type: 'put', store: 'cores', key: CORES_DEFAULT, value: discoveryKey.slice() })
    await storage.write(ops)
    return cs
  }

  // --- keys -----------------------------------------------------------------------------------

  #key(suffixBytes: number): Uint8Array {
    const k = new Uint8Array(ID_BYTES + suffixBytes)
    k.set(this.#prefix)
    return k
  }

  /** `id ‖ u64be(index)`. */
  indexKey(index: number): Uint8Array {
    const k = this.#key(8)
    const hi = Math.floor(index / 0x100000000)
    const lo = index >>> 0
    k[4] = hi >>> 24
    k[5] = hi >>> 16
    k[6] = hi >>> 8
    k[7] = hi
    k[8] = lo >>> 24
    k[9] = lo >>> 16
    k[10] = lo >>> 8
    k[11] = lo
    return k
  }

  #pageKey(page: number): Uint8Array {
    const k = this.#key(4)
    new DataView(k.buffer).setUint32(ID_BYTES, page)
    return k
  }

  #metaKey(tag: number): Uint8Array {
    const k = this.#key(1)
    k[ID_BYTES] = tag
    return k
  }

  #namedKey(name: string): Uint8Array {
    const utf8 = new TextEncoder().encode(name)
    const k = this.#key(1 + utf8.byteLength)
    k[ID_BYTES] = 1
    k.set(utf8, ID_BYTES + 1)
    return k
  }

  #userKey(name: string): Uint8Array {
    const utf8 = new TextEncoder().encode(name)
    const k = this.#key(utf8.byteLength)
    k.set(utf8, ID_BYTES)
    return k
  }

  /** The first key past this core's keys in any store. */
  #end(): Uint8Array {
    const k = new Uint8Array(ID_BYTES)
    new DataView(k.buffer).setUint32(0, this.id + 1)
    return k
  }

  // --- reads ------------------------------------------------------------------------------------

  async getAuth(): Promise<CoreAuth | null> {
    const v = await this.storage.get('meta', this.#metaKey(0))
    return v === null ? null : decodeRecord(coreAuth, v, 'core auth')
  }

  async getHead(): Promise<CoreHead | null> {
    const v = await this.storage.get('meta', this.#metaKey(1))
    return v === null ? null : decodeRecord(coreHead, v, 'core head')
  }

  async getHints(): Promise<CoreHints | null> {
    const v = await this.storage.get('meta', this.#metaKey(2))
    return v === null ? null : decodeRecord(coreHints, v, 'core hints')
  }

  async getNamed(name: string): Promise<NamedState | null> {
    const v = await this.storage.get('local', this.#namedKey(name))
    return v === null ? null : decodeRecord(namedState, v, 'named session')
  }

  getBlock(index: number): Promise<Uint8Array | null> {
    return this.storage.get('blocks', this.indexKey(index))
  }

  /** `borrow`: the caller only reads the blocks and lets go (see `ReadOptions.borrow`). */
  getBlocks(indexes: number[], borrow = false): Promise<(Uint8Array | null)[]> {
    return this.storage.getMany(
      'blocks',
      indexes.map((i) => this.indexKey(i)),
      { borrow }
    )
  }

  async getTreeNode(index: number): Promise<TreeNode | null> {
    const v = await this.storage.get('tree', this.indexKey(index))
    return v === null ? null : this.#decodeNode(index, v)
  }

  async getTreeNodes(indexes: number[]): Promise<(TreeNode | null)[]> {
    const values = await this.storage.getMany(
      'tree',
      indexes.map((i) => this.indexKey(i))
    )
    return values.map((v, i) => (v === null ? null : this.#decodeNode(indexes[i]!, v)))
  }

  #decodeNode(index: number, v: Uint8Array): TreeNode {
    const { size, hash } = decodeRecord(treeNodeValue, v, 'tree node')
    return { index, size, hash }
  }

  /** Every stored bitfield page of this core. */
  async *bitfieldPages(): AsyncGenerator<[page: number, bytes: Uint8Array]> {
    for await (const [k, v] of this.storage.range('bitfield', { gte: this.#prefix, lt: this.#end() })) {
      yield [new DataView(k.buffer, k.byteOffset).getUint32(ID_BYTES), v]
    }
  }

  async getUserData(name: string): Promise<Uint8Array | null> {
    return this.storage.get('user', this.#userKey(name))
  }

  // --- writes (ops for the caller's atomic batch) -----------------------------------------------

  putAuth(auth: CoreAuth): BatchOp {
    return { type: 'put', store: 'meta', key: this.#metaKey(0), value: encode(coreAuth, auth) }
  }

  putHead(head: CoreHead): BatchOp {
    return { type: 'put', store: 'meta', key: this.#metaKey(1), value: encode(coreHead, head) }
  }

  putHints(hints: CoreHints): BatchOp {
    return { type: 'put', store: 'meta', key: this.#metaKey(2), value: encode(coreHints, hints) }
  }

  putNamed(name: string, state: NamedState): BatchOp {
    return { type: 'put', store: 'local', key: this.#namedKey(name), value: encode(namedState, state) }
  }

  /** `owned`: `value` is given away (see `PutOp.owned`) — a block that arrived from a peer. */
  putBlock(index: number, value: Uint8Array, owned = false): BatchOp {
    return { type: 'put', store: 'blocks', key: this.indexKey(index), value, owned }
  }

  /** Deletes blocks `[start, end)` (end may be Infinity). */
  deleteBlocks(start: number, end: number): BatchOp {
    return {
      type: 'delRange',
      store: 'blocks',
      gte: this.indexKey(start),
      lt: Number.isFinite(end) ? this.indexKey(end) : this.#end()
    }
  }

  putTreeNode(node: TreeNode): BatchOp {
    // `uint size ‖ hash`, written by hand: this runs for every node of every append and download
    const sizeBytes = node.size <= 0xfc ? 1 : node.size <= 0xffff ? 3 : node.size <= 0xffffffff ? 5 : 9
    const value = new Uint8Array(sizeBytes + 32)
    encodeInto(uint, node.size, value, 0)
    value.set(node.hash, sizeBytes)
    return { type: 'put', store: 'tree', key: this.indexKey(node.index), value }
  }

  deleteTreeNode(index: number): BatchOp {
    return { type: 'del', store: 'tree', key: this.indexKey(index) }
  }

  /** Deletes tree nodes with index ≥ `start`. */
  deleteTreeNodesFrom(start: number): BatchOp {
    return { type: 'delRange', store: 'tree', gte: this.indexKey(start), lt: this.#end() }
  }

  /** `bytes`: the page's fresh encoding (`Bitfield.pageBytes`), given away to the store. */
  putBitfieldPage(page: number, bytes: Uint8Array): BatchOp {
    return { type: 'put', store: 'bitfield', key: this.#pageKey(page), value: bytes, owned: true }
  }

  deleteBitfieldPage(page: number): BatchOp {
    return { type: 'del', store: 'bitfield', key: this.#pageKey(page) }
  }

  putUserData(name: string, value: Uint8Array | null): BatchOp {
    const key = this.#userKey(name)
    return value === null ? { type: 'del', store: 'user', key } : { type: 'put', store: 'user', key, value }
  }

  /** Ops deleting every record of this core (for `destroy`/purge). */
  deleteAll(discoveryKey: Uint8Array): BatchOp[] {
    const ops: BatchOp[] = (['meta', 'tree', 'blocks', 'bitfield', 'user', 'local'] as const).map(
      (store) => ({
        type: 'delRange',
        store,
        gte: this.#prefix,
        lt: this.#end()
      })
    )
    ops.push({ type: 'del', store: 'cores', key: coresByDiscoveryKey(discoveryKey) })
    return ops
  }
}
