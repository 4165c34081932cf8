/**
 * The group commit of downloaded data. Verified answers queue here and are written together: one
 * storage batch per turn of the core's mutex, holding every block, tree node, bitfield page and
 * head change still applicable, so a download of thousands of blocks costs a few hundred writes.
 * Until written, their nodes stay trusted in {@link VerifiedNodes} for later answers to connect to.
 */
import type { BatchOp } from '@orchard/storage'
import { pushAll } from './bytes.ts'
import type { Core, DownloadMeta } from './core.ts'
import { SessionClosedError, WriteFailedError } from './errors.ts'
import type { Manifest } from './manifest.ts'
import type { TreeBatch } from './merkle/index.ts'
import { VerifiedNodes } from './merkle/verified.ts'

/** A verified piece of a peer's data, waiting for the group commit. */
export interface PendingCommit {
  batch: TreeBatch
  block: { index: number; value: Uint8Array } | null
  manifest: Manifest | null
  from: unknown
  request: DownloadMeta | null
  resolve: (applied: boolean) => void
  reject: (err: unknown) => void
}

export class PendingCommits {
  /** Cached nodes plus those of verified answers not yet committed. */
  readonly verified: VerifiedNodes
  readonly #core: Core
  #items: PendingCommit[] = []
  #queued = false

  constructor(core: Core) {
    this.#core = core
    this.verified = new VerifiedNodes(core.tree.reader)
  }

  /** Queues a verified answer; `item.resolve(false)` if it no longer applies when committed. */
  add(item: PendingCommit): void {
    // verified against a tree that a truncation or reorg has replaced since: not to be relied on
    if (item.batch.baseFork === this.#core.tree.fork) this.verified.add(item.batch.nodes)
    this.#items.push(item)
    if (this.#queued) return
    this.#queued = true
    this.#core.mutex.run(() => this.#flush()).catch(() => {})
  }

  /** Commits the queued verified data: one storage batch for everything still applicable. */
  async #flush(): Promise<void> {
    this.#queued = false
    const items = this.#items
    this.#items = []
    try {
      await this.#commit(items)
    } finally {
      // committed nodes are cached now; refused ones are no longer vouched for
      for (const it of items) this.verified.settle(it.batch.nodes)
    }
  }

  async #commit(items: PendingCommit[]): Promise<void> {
    const core = this.#core
    if (core.closed) {
      for (const it of items) it.reject(new SessionClosedError('the core is closed'))
      return
    }
    const ops: BatchOp[] = []
    const accepted: PendingCommit[] = []
    let upgrade: PendingCommit | null = null
    const newBits = new Set<number>()
    // Pipelined requests each carry the siblings their requester lacked when asking, so the
    // batches of one flush repeat the same upper nodes: store each node once, and not at all when
    // it is already stored (cached nodes are stored nodes; the tree only grows between reorgs).
    const putNodes = new Set<number>()
    for (const it of items) {
      // only one upgrade per batch: a second one was verified against the old head
      if (!core.tree.commitable(it.batch) || (it.batch.upgraded && upgrade !== null)) {
        it.resolve(false)
        continue
      }
      // it connected to a node of an earlier answer: that one must be stored by now, or in this batch
      const via = it.batch.connectsTo
      if (via >= 0 && core.tree.reader.peek(via) === undefined && !putNodes.has(via)) {
        it.resolve(false)
        continue
      }
      if (it.batch.upgraded) upgrade = it
      accepted.push(it)
      for (const node of it.batch.nodes) {
        if (putNodes.has(node.index) || core.tree.reader.peek(node.index) !== undefined) continue
        putNodes.add(node.index)
        ops.push(core.storage.putTreeNode(node))
      }
      if (it.block && !core.bitfield.get(it.block.index)) {
        // a block from the wire is ours (a received chunk is its listener's): the store may keep it
        ops.push(core.storage.putBlock(it.block.index, it.block.value, true))
        core.bitfield.set(it.block.index, true)
        newBits.add(it.block.index)
      }
    }
    if (accepted.length === 0) return
    const length = upgrade ? upgrade.batch.length : core.tree.length
    let contiguous = core.contiguousLength
    if (core.bitfield.get(contiguous))
      contiguous = Math.min(length, core.bitfield.findFirst(false, contiguous))
    pushAll(ops, core.bitfieldStore.ops(core.storage, contiguous))
    const manifest = accepted.find((it) => it.manifest)?.manifest ?? null
    pushAll(ops, core.manifestOps(manifest))
    const head = upgrade ? upgrade.batch : core.tree
    ops.push(core.headOp(head.fork, length, contiguous, head.signature))
    try {
      await core.storage.storage.write(ops)
    } catch (err) {
      for (const i of newBits) core.bitfield.set(i, false)
      core.bitfield.clearDirty()
      const failure = new WriteFailedError('downloaded data was not stored', { cause: err })
      for (const it of accepted) it.reject(failure)
      return
    }
    core.adoptManifest(manifest)
    for (const it of accepted) if (it !== upgrade) core.tree.reader.add(it.batch.nodes)
    if (upgrade) core.tree.commit(upgrade.batch, upgrade.batch.signature)
    core.contiguousLength = contiguous
    if (upgrade) core.emit('append')
    for (const it of accepted) {
      if (it.block && newBits.delete(it.block.index)) {
        for (const snap of core.snapshots)
          if (it.block.index < snap.validLength) snap.later.add(it.block.index)
        core.emit('download', it.block.index, it.block.value.byteLength, it.from, it.request)
        // the store may hold these very bytes: whoever waited gets a copy to do with as they like
        if (core.waiters.has(it.block.index)) core.waiters.resolve(it.block.index, it.block.value.slice())
      }
      it.resolve(true)
    }
  }
}
