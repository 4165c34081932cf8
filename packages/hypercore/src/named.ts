/**
 * Named sessions (hypercore 11's `session({ name })`): a private, persisted continuation of a core.
 * It builds on a signed length of the core (`length`, or a `checkout`) and holds its own unsigned
 * blocks after it, so it is writable without the key pair; `commit` later signs them onto the core
 * when the core still agrees with it. Sessions opened with the same name share one state; the
 * state is stored with the core and survives reopens.
 */
import { appendTree, type KeyPair, type TreeNode, tree as treeHash } from '@orchard/crypto'
import type { BatchOp } from '@orchard/storage'
import { equal, pushAll } from './bytes.ts'
import type { Core } from './core.ts'
import { RECORD_VERSION } from './core-open.ts'
import { AssertionError, InvalidOperationError, SessionNotWritableError, WriteFailedError } from './errors.ts'
import { totalSize } from './merkle/nodes.ts'

export interface NamedOpenOptions {
  /** Start from the core's first `checkout` blocks (default: where the stored state left off). */
  checkout?: number
  /** Start over from the core's head even if a state of this name is stored. */
  overwrite?: boolean
}

export class NamedState {
  readonly name: string
  /** The core's fork the state's base belongs to (a core truncated since cannot take a commit). */
  readonly baseFork: number
  /** The state's own fork (bumped when the session truncates itself). */
  fork: number
  /** The core's signed length this state builds on; blocks before it are the core's. */
  length: number
  /** Stored blocks after `length` (encrypted when the core is). */
  blocks: Uint8Array[]
  #baseRoots: TreeNode[]
  #roots: TreeNode[]
  /** Sessions open on this state. */
  refs = 0

  private constructor(
    name: string,
    baseFork: number,
    fork: number,
    length: number,
    baseRoots: TreeNode[],
    blocks: Uint8Array[]
  ) {
    this.name = name
    this.baseFork = baseFork
    this.fork = fork
    this.length = length
    this.blocks = blocks
    this.#baseRoots = baseRoots
    this.#roots = blocks.length > 0 ? appendTree(baseRoots, blocks).roots : baseRoots
  }

  /** The state named `name` of `core` (shared with other open sessions of that name). */
  static async open(core: Core, name: string, opts: NamedOpenOptions = {}): Promise<NamedState> {
    const open = core.named.get(name)
    let state: NamedState
    if (open && !opts.overwrite) {
      state = open
    } else {
      const stored = opts.overwrite ? null : await core.storage.getNamed(name)
      // a stored state whose base the core no longer signs (it was truncated since) starts over
      const usable = stored !== null && stored.baseFork === core.fork && stored.length <= core.length
      const length = usable ? stored.length : core.length
      state = new NamedState(
        name,
        core.fork,
        usable ? stored.fork : core.fork,
        length,
        await core.tree.rootsAt(length),
        usable ? stored.blocks : []
      )
      core.named.set(name, state)
    }
    if (opts.checkout !== undefined) await state.#checkout(core, opts.checkout)
    await state.save(core)
    state.refs++
    return state
  }

  async #checkout(core: Core, checkout: number): Promise<void> {
    if (!Number.isSafeInteger(checkout) || checkout < 0 || checkout > this.totalLength) {
      throw new AssertionError(
        `invalid checkout ${checkout} for ${this.name}, length is ${this.totalLength}`,
        {
          discoveryKey: core.discoveryKey
        }
      )
    }
    const prologue = core.verifier?.prologue
    if (prologue && checkout < prologue.length) {
      throw new AssertionError(
        `invalid checkout ${checkout} for ${this.name}, prologue length is ${prologue.length}`,
        {
          discoveryKey: core.discoveryKey
        }
      )
    }
    await this.truncate(core, checkout, this.fork)
  }

  /** Blocks in the state (the core's up to `length`, then its own). */
  get totalLength(): number {
    return this.length + this.blocks.length
  }

  /** Stored bytes in the state (encryption padding included). */
  get byteLength(): number {
    return totalSize(this.#roots)
  }

  /** The state's own stored block `index`, or null when it is the core's (or past the end). */
  block(index: number): Uint8Array | null {
    return index >= this.length ? (this.blocks[index - this.length] ?? null) : null
  }

  /** The tree hash at `length` (default: the whole state). */
  async hashAt(core: Core, length = this.totalLength): Promise<Uint8Array> {
    if (length === this.totalLength) return treeHash(this.#roots)
    if (length <= this.length) return core.tree.hashAt(length)
    return treeHash(appendTree(this.#baseRoots, this.blocks.slice(0, length - this.length)).roots)
  }

  /** The tree nodes of the state's own blocks up to `length` (they extend the base roots). */
  nodesUpTo(length: number): TreeNode[] {
    return appendTree(this.#baseRoots, this.blocks.slice(0, length - this.length)).nodes
  }

  /** Appends stored blocks; resolves with the new length and stored byte length. */
  async append(core: Core, stored: Uint8Array[]): Promise<{ length: number; byteLength: number }> {
    for (let i = 0; i < stored.length; i++) this.blocks.push(stored[i]!)
    this.#roots = appendTree(this.#roots, stored).roots
    await this.save(core)
    return { length: this.totalLength, byteLength: this.byteLength }
  }

  /** Cuts the state to `length` on `fork` (below its base it rebases on the core's prefix). */
  async truncate(core: Core, length: number, fork: number): Promise<void> {
    if (length < this.length) {
      this.#baseRoots = await core.tree.rootsAt(length)
      this.length = length
      this.blocks = []
    } else {
      this.blocks.length = length - this.length
    }
    this.fork = fork
    this.#roots = this.blocks.length > 0 ? appendTree(this.#baseRoots, this.blocks).roots : this.#baseRoots
    await this.save(core)
  }

  /**
   * After a commit up to `length`: the core signs that prefix now, so the state builds on it.
   * Returns the op that stores the rebased state (the caller holds the core's mutex).
   */
  async rebase(core: Core, length: number): Promise<BatchOp> {
    this.blocks = this.blocks.slice(length - this.length)
    this.length = length
    this.#baseRoots = await core.tree.rootsAt(length)
    return this.#recordOp(core)
  }

  save(core: Core): Promise<void> {
    return core.writeOps([this.#recordOp(core)], 'the named session')
  }

  #recordOp(core: Core): BatchOp {
    return core.storage.putNamed(this.name, {
      version: RECORD_VERSION,
      baseFork: this.baseFork,
      fork: this.fork,
      length: this.length,
      byteLength: totalSize(this.#baseRoots),
      blocks: this.blocks
    })
  }
}

/**
 * Signs `state`'s blocks up to `length` onto `core`, as hypercore's `commit`: null when the core
 * moved past `length` or no longer agrees with the state's tree at its own length; throws when
 * the core was truncated under the state, or when there is something to sign and `keyPair`
 * cannot. Resolves with the core's new length and stored byte length.
 */
export function commitNamed(
  core: Core,
  state: NamedState,
  keyPair: KeyPair | null,
  length = state.totalLength
): Promise<{ length: number; byteLength: number } | null> {
  return core.mutex.run(async () => {
    core.assertOpen()
    const where = { discoveryKey: core.discoveryKey }
    if (state.baseFork !== core.fork || state.length > core.length) {
      throw new InvalidOperationError(`the core was truncated under session ${state.name}`, where)
    }
    if (!Number.isSafeInteger(length) || length > state.totalLength) {
      throw new InvalidOperationError(`cannot commit ${length} blocks of ${state.totalLength}`, where)
    }
    const head = core.length
    // the session forked itself (truncated with a new fork), or the core moved past it
    if (state.fork !== core.fork || length < head) return null
    if (!equal(await state.hashAt(core, head), core.tree.hash())) return null
    // the core signs what the session holds up to its head: keep the blocks it lacks (same tree)
    if (head > state.length) {
      await adoptBlocks(core, state.length, state.blocks.slice(0, head - state.length), state.nodesUpTo(head))
    }
    if (length > head) {
      // nothing can be signed before the manifest is known: not committed (as hypercore)
      if (core.verifier === null) return null
      if (!core.canSign(keyPair)) throw new SessionNotWritableError('this core cannot sign the commit', where)
      await core.appendStoredLocked(state.blocks.slice(head - state.length, length - state.length), keyPair!)
    }
    await core.writeLocked([await state.rebase(core, length)], 'the named session')
    return { length: core.length, byteLength: core.byteLength }
  })
}

/**
 * Stores blocks `[start, …)` the core lacks, with their tree nodes, when they are known to be the
 * core's (a named session whose tree hashes to its signed head); call under the core's mutex.
 */
async function adoptBlocks(
  core: Core,
  start: number,
  stored: Uint8Array[],
  nodes: TreeNode[]
): Promise<void> {
  const added: number[] = []
  const ops: BatchOp[] = []
  for (let i = 0; i < stored.length; i++) {
    const index = start + i
    if (core.bitfield.get(index)) continue
    ops.push(core.storage.putBlock(index, stored[i]!))
    core.bitfield.set(index, true)
    added.push(index)
  }
  if (added.length === 0) return
  for (const node of nodes) ops.push(core.storage.putTreeNode(node))
  let contiguous = core.contiguousLength
  if (core.bitfield.get(contiguous))
    contiguous = Math.min(core.length, core.bitfield.findFirst(false, contiguous))
  pushAll(ops, core.bitfieldStore.ops(core.storage, contiguous))
  ops.push(core.headOp(core.fork, core.length, contiguous, core.signature))
  try {
    await core.storage.storage.write(ops)
  } catch (err) {
    for (const i of added) core.bitfield.set(i, false)
    core.bitfield.clearDirty()
    throw new WriteFailedError('the committed blocks were not stored', { cause: err })
  }
  core.tree.reader.add(nodes)
  core.contiguousLength = contiguous
  for (const index of added) core.waiters.resolve(index, stored[index - start]!)
}
