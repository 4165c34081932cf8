/**
 * The owner's write queue. Every write from every client goes through one queue, applied in
 * arrival order (so each client's writes land in the order it sent them), one group at a time:
 * consecutive bee writes to the same core become one Hyperbee batch — one append, one storage
 * transaction — which is what keeps writes through the owner fast when many tabs write at once.
 *
 * Each group records, in the same transaction as its append (see `recorder.ts`), how far each
 * client's writes to that core got; a write re-sent after an owner change that the record already
 * covers is acknowledged without being applied again.
 *
 * A conditional write (a client's compare-and-swap, see `BeeOpCondition`) is checked inside the
 * group's batch, against the entries as the group's earlier writes left them; when a condition
 * fails, none of that write's ops is applied and it is answered `refused`. The record then says so
 * too, so a re-sent copy gets the same answer from the next owner (clients send such writes alone,
 * so it is always their last recorded one).
 */
import { encodeHeader, type Hyperbee } from '@orchard/hyperbee'
import type { Hypercore } from '@orchard/hypercore'
import type { BatchOp, PutOp, Storage, StoreName } from '@orchard/storage'
import type { BeeOp, WriterId } from './protocol.ts'
import type { RecordingStorage } from './recorder.ts'

/** The user-data key under which a client's progress on a core is recorded. */
export const APPLIED_PREFIX = 'orchard-tabs/applied/'

/** Most ops one group carries (a bigger batch is its own group). */
const MAX_GROUP_OPS = 2048

const EMPTY = new Uint8Array(0)
const enc = new TextEncoder()
const dec = new TextDecoder()

/** How far one client's writes to one core got, and the core's state after the last one. */
interface Applied {
  seq: number
  length: number
  byteLength: number
  /** Whether that last write (`seq`) was a refused conditional one. */
  refused: boolean
}

/** What the queue needs of an open core. */
export interface WriteTarget {
  /** The owner's session on the core. */
  readonly session: Hypercore
  /** The owner's bee on the core (one per core, so all writers share its lock). */
  bee(): Hyperbee
  /** Progress records read so far, by client. */
  readonly applied: Map<string, Applied>
}

type CoreWriteResult = { length: number; byteLength: number; refused?: boolean }
type TruncateResult = { length: number; byteLength: number; fork: number }

/** One queued write. */
interface Item {
  target: Promise<WriteTarget>
  kind: 'core' | 'bee' | 'truncate'
  blocks: Uint8Array[]
  ops: BeeOp[]
  /** A truncation's length and fork (null: the next). */
  cut?: { length: number; fork: number | null }
  writer: WriterId | null
  resolve(value: unknown): void
  reject(err: unknown): void
}

/** Applies writes one group at a time; see the module comment. */
export class WriteQueue {
  readonly #storage: () => RecordingStorage
  readonly #items: Item[] = []
  #running: Promise<void> | null = null
  #stopped = false

  /** A queue writing through `storage` (known once the store is open). */
  constructor(storage: () => RecordingStorage) {
    this.#storage = storage
  }

  /** Queues an append of `blocks`; resolves with the core's length and byte length after it. */
  append(
    target: Promise<WriteTarget>,
    blocks: Uint8Array[],
    writer: WriterId | null
  ): Promise<CoreWriteResult> {
    return this.#push(target, 'core', blocks, [], writer) as Promise<CoreWriteResult>
  }

  /** Queues a truncation to `length` on `fork` (null: the next); resolves with the state after. */
  truncate(
    target: Promise<WriteTarget>,
    length: number,
    fork: number | null,
    writer: WriterId | null
  ): Promise<TruncateResult> {
    return this.#push(target, 'truncate', [], [], writer, { length, fork }) as Promise<TruncateResult>
  }

  /** Queues bee writes (applied atomically, in order); resolves with the core's length after. */
  bee(target: Promise<WriteTarget>, ops: BeeOp[], writer: WriterId | null): Promise<CoreWriteResult> {
    return this.#push(target, 'bee', [], ops, writer) as Promise<CoreWriteResult>
  }

  /**
   * Stops taking groups: the group being applied finishes, queued writes are dropped unanswered
   * (their clients re-send them to the next owner). Resolves once nothing is being applied.
   */
  async stop(): Promise<void> {
    this.#stopped = true
    this.#items.length = 0
    await this.#running
  }

  #push(
    target: Promise<WriteTarget>,
    kind: Item['kind'],
    blocks: Uint8Array[],
    ops: BeeOp[],
    writer: WriterId | null,
    cut?: Item['cut']
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (this.#stopped) return // never answered: the client re-sends it to the next owner
      target.catch(() => {}) // surfaced to the item when its turn comes
      const item: Item = { target, kind, blocks, ops, writer, resolve, reject }
      if (cut !== undefined) item.cut = cut
      this.#items.push(item)
      if (this.#running === null) {
        this.#running = this.#drain().finally(() => {
          this.#running = null
        })
      }
    })
  }

  async #drain(): Promise<void> {
    while (this.#items.length > 0 && !this.#stopped) {
      const first = this.#items[0]!
      let target: WriteTarget
      try {
        target = await first.target
      } catch (err) {
        this.#items.shift()
        first.reject(err)
        continue
      }
      if (this.#stopped) return
      let n = 1
      if (first.kind === 'bee') {
        let ops = first.ops.length
        for (; n < this.#items.length; n++) {
          const next = this.#items[n]!
          if (next.kind !== 'bee' || next.target !== first.target || ops + next.ops.length > MAX_GROUP_OPS)
            break
          ops += next.ops.length
        }
      }
      const group = this.#items.splice(0, n)
      try {
        await this.#apply(target, group)
      } catch (err) {
        for (const item of group) item.reject(err)
      }
    }
  }

  async #apply(target: WriteTarget, group: Item[]): Promise<void> {
    const fresh: Item[] = []
    for (const item of group) {
      const done = item.writer === null ? null : await appliedOf(target, item.writer.client)
      if (done !== null && item.writer!.seq <= done.seq) {
        // applied by an earlier owner (or earlier in this one): acknowledge, do not apply again
        const s = target.session
        const refused = item.writer!.seq === done.seq && done.refused
        item.resolve(
          item.kind === 'bee'
            ? { length: s.length, byteLength: s.byteLength, refused }
            : item.kind === 'truncate'
              ? { length: s.length, byteLength: s.byteLength, fork: s.fork }
              : { length: done.length, byteLength: done.byteLength }
        )
      } else fresh.push(item)
    }
    if (fresh.length === 0) return
    if (fresh[0]!.kind === 'core') await this.#applyAppend(target, fresh[0]!)
    else if (fresh[0]!.kind === 'truncate') await this.#applyTruncate(target, fresh[0]!)
    else await this.#applyBee(target, fresh)
  }

  async #applyTruncate(target: WriteTarget, item: Item): Promise<void> {
    const session = target.session
    if (!session.opened) await session.ready()
    const { length, fork } = item.cut!
    const records = recordOps(target, [item], { length: -1, byteLength: -1 })
    // a truncation puts no block: its record rides on the head it rewrites (the queue is the
    // only writer of the core, so the next head written is this truncation's)
    const core = session.core
    const head = core.headOp(core.tree.fork, core.tree.length, core.contiguousLength, null) as PutOp
    try {
      await this.#recorded(target, records, () => session.truncate(length, fork ?? session.fork + 1), {
        store: head.store,
        key: head.key
      })
    } catch (err) {
      item.reject(err)
      return
    }
    item.resolve({ length: session.length, byteLength: session.byteLength, fork: session.fork })
  }

  async #applyAppend(target: WriteTarget, item: Item): Promise<void> {
    const session = target.session
    if (!session.opened) await session.ready()
    const core = session.core
    const length = core.length + item.blocks.length
    let byteLength = core.byteLength
    for (const b of item.blocks) byteLength += b.byteLength + session.padding
    const records = recordOps(target, [item], { length, byteLength })
    let result: CoreWriteResult
    try {
      result = await this.#recorded(target, records, () => session.append(item.blocks))
    } catch (err) {
      item.reject(err)
      return
    }
    item.resolve(result)
  }

  async #applyBee(target: WriteTarget, items: Item[]): Promise<void> {
    const session = target.session
    const bee = target.bee()
    await bee.ready()
    // the header is its own append: write it first, so the group's append is the one recorded
    if (session.length === 0) await session.append(encodeHeader({ protocol: 'hyperbee', metadata: null }))
    // a write's conditions are checked in the batch, so they see the group's earlier writes
    const refused = new Set<Item>()
    const records = recordOps(target, items, { length: -1, byteLength: -1 })
    try {
      await this.#recorded(target, records, async () => {
        const batch = bee.batch()
        try {
          for (const item of items) {
            if (!(await conditionsHold(batch, item.ops))) {
              refused.add(item)
              records.refuse(item)
              continue
            }
            for (const op of item.ops) {
              if (op.type === 'put') await batch.put(op.key, op.value ?? undefined)
              else await batch.del(op.key)
            }
          }
          await batch.flush()
        } catch (err) {
          await batch.close()
          throw err
        }
      })
    } catch (err) {
      if (items.length === 1) {
        items[0]!.reject(err)
        return
      }
      // one bad write must not fail the others: apply them one by one
      for (const item of items) await this.#applyBee(target, [item])
      return
    }
    for (const item of items) {
      item.resolve({ length: session.length, byteLength: session.byteLength, refused: refused.has(item) })
    }
  }

  /**
   * Runs `write` with `records` added to the storage write that puts `at` (by default the next
   * block of the core: its append); writes them alone if it wrote nothing.
   */
  async #recorded<T>(
    target: WriteTarget,
    records: Recorded,
    write: () => Promise<T>,
    at?: { store: StoreName; key: Uint8Array }
  ): Promise<T> {
    const storage = this.#storage()
    const core = target.session.core
    if (at !== undefined) storage.arm(at.store, at.key, records.ops)
    else storage.arm('blocks', (core.storage.putBlock(core.length, EMPTY) as PutOp).key, records.ops)
    let result: T
    try {
      result = await write()
    } catch (err) {
      storage.disarm()
      throw err
    }
    // nothing was appended (deletes of missing keys): the record still says these were applied
    const left = storage.disarm()
    if (left !== null) await storage.write(left)
    for (const [client, applied] of records.progress) {
      target.applied.set(client, {
        seq: applied.seq,
        length: applied.length < 0 ? target.session.length : applied.length,
        byteLength: applied.byteLength < 0 ? target.session.byteLength : applied.byteLength,
        refused: applied.refused
      })
    }
    return result
  }
}

interface Recorded {
  /** The record ops, to add to the group's append (the array is updated in place by `refuse`). */
  ops: BatchOp[]
  progress: Map<string, Applied>
  /** Marks `item` refused: if it is its writer's last write here, the record says so. */
  refuse(item: Item): void
}

/** The record ops saying each writer of `items` got up to its last write here. */
function recordOps(
  target: WriteTarget,
  items: Item[],
  after: { length: number; byteLength: number }
): Recorded {
  const progress = new Map<string, Applied>()
  for (const item of items) {
    if (item.writer !== null)
      progress.set(item.writer.client, { seq: item.writer.seq, ...after, refused: false })
  }
  const storage = target.session.core.storage
  const slot = new Map<string, number>()
  const ops: BatchOp[] = []
  const opOf = (client: string, a: Applied) =>
    storage.putUserData(
      APPLIED_PREFIX + client,
      enc.encode(JSON.stringify([a.seq, a.length, a.byteLength, a.refused ? 1 : 0]))
    )
  for (const [client, applied] of progress) {
    slot.set(client, ops.length)
    ops.push(opOf(client, applied))
  }
  return {
    ops,
    progress,
    refuse(item) {
      if (item.writer === null) return
      const applied = progress.get(item.writer.client)
      if (applied === undefined || applied.seq !== item.writer.seq) return
      applied.refused = true
      ops[slot.get(item.writer.client)!] = opOf(item.writer.client, applied)
    }
  }
}

/** How far `client`'s writes to the target got (from memory, else from its record). */
async function appliedOf(target: WriteTarget, client: string): Promise<Applied | null> {
  const known = target.applied.get(client)
  if (known !== undefined) return known
  const stored = await target.session.getUserData(APPLIED_PREFIX + client)
  if (stored === null) return null
  try {
    const [seq, length, byteLength, refused] = JSON.parse(dec.decode(stored)) as [
      number,
      number,
      number,
      number?
    ]
    const applied = {
      seq,
      length: length < 0 ? target.session.length : length,
      byteLength: byteLength < 0 ? target.session.byteLength : byteLength,
      refused: refused === 1
    }
    target.applied.set(client, applied)
    return applied
  } catch {
    return null
  }
}

/**
 * Deletes the progress records of `target`'s writers that are gone for good (`alive` says no):
 * they will never re-send, so nothing needs their records. Each client session leaves one record
 * per core it wrote; this keeps them from piling up across page loads.
 */
export async function sweepRecords(
  storage: Storage,
  target: WriteTarget,
  alive: (client: string) => boolean | Promise<boolean>
): Promise<number> {
  const core = target.session.core
  const start = (core.storage.putUserData(APPLIED_PREFIX, EMPTY) as PutOp).key
  const end = start.slice()
  end[end.byteLength - 1]!++ // the prefix ends in '/', so this cannot overflow
  const prefixLength = start.byteLength
  const gone: BatchOp[] = []
  for await (const [key] of storage.range('user', { gte: start, lt: end })) {
    const client = dec.decode(key.subarray(prefixLength))
    if (target.applied.has(client) || (await alive(client))) continue
    gone.push({ type: 'del', store: 'user', key })
  }
  if (gone.length > 0) await storage.write(gone)
  return gone.length
}

/**
 * Whether every condition of `ops` holds in `batch` (which sees the group's earlier writes): each
 * conditional op's key still has the entry of the expected seq, or is still absent for -1.
 */
async function conditionsHold(batch: ReturnType<Hyperbee['batch']>, ops: BeeOp[]): Promise<boolean> {
  for (const op of ops) {
    if (op.expect === undefined) continue
    const current = (await batch.get(op.key)) as { seq: number } | null
    if ((current === null ? -1 : current.seq) !== op.expect) return false
  }
  return true
}
