/**
 * The messages between a store's owner and its clients: requests with ids, responses, and core
 * events. Everything is structured-clone safe (plain objects, numbers, strings, `Uint8Array`s), so
 * the same messages travel over a BroadcastChannel, a MessagePort or a direct call.
 *
 * Cores are named by a {@link CoreRef} (how the client asked for them), never by an id the owner
 * handed out: when the owner changes, the new one resolves the same refs again, and a client just
 * re-sends what is still pending.
 */
import type { DownloadRange } from '@orchard/hypercore'
import type { WireError } from './errors.ts'

/** Bumped when messages change incompatibly; owner and clients must agree. */
export const PROTOCOL_VERSION = 2

/** Entries one range, history or diff page carries. */
export const PAGE_SIZE = 256

/** A core name or namespace name, as Corestore takes them. */
export type Name = string | Uint8Array

/** How a client names a core: by name inside a namespace path, or by key. */
export interface CoreRef {
  /** The namespace path (`store.namespace(a).namespace(b)` is `[a, b]`). */
  ns: Name[]
  /** The core's name in that namespace. */
  name?: Name
  /** The core's key (32 bytes). */
  key?: Uint8Array
}

/** A core's identity and state, as the owner sees it when the client opens it. */
export interface CoreInfo extends CoreState {
  /** The core's key. */
  key: Uint8Array
  /** The core's discovery key. */
  discoveryKey: Uint8Array
  /** Whether the owner can append to it. */
  writable: boolean
}

/** The moving part of a core's state. */
export interface CoreState {
  /** Number of blocks. */
  length: number
  /** Stored bytes. */
  byteLength: number
  /** Fork id (bumped by truncations). */
  fork: number
}

/** One write of a bee write, keys and values already encoded. */
export type BeeOp =
  | {
      /** Sets `key`. */
      type: 'put'
      /** The encoded key. */
      key: Uint8Array
      /** The encoded value (null: none). */
      value: Uint8Array | null
      /** See {@link BeeOpCondition}. */
      expect?: BeeOpCondition
    }
  | {
      /** Deletes `key`. */
      type: 'del'
      /** The encoded key. */
      key: Uint8Array
      /** See {@link BeeOpCondition}. */
      expect?: BeeOpCondition
    }

/**
 * The condition of a compare-and-swap write: the seq of the entry the key must still have when
 * the owner applies the write (-1: the key must still be absent). A `cas` callback runs in the
 * client against the entry it read; the owner checks that entry is still the current one, and
 * refuses the whole write otherwise (the client then reads again and asks its callback again).
 */
export type BeeOpCondition = number

/** A bee entry with its key and value still encoded. */
export interface WireNode {
  /** The block it was written in. */
  seq: number
  /** The encoded key. */
  key: Uint8Array
  /** The encoded value. */
  value: Uint8Array | null
}

/** A history entry with its key and value still encoded. */
export interface WireHistoryEntry extends WireNode {
  /** Whether the block wrote the key or deleted it. */
  type: 'put' | 'del'
}

/** One key that differs between two versions, with its entry on each side (null: absent). */
export interface WireDiffEntry {
  /** The entry in the left version. */
  left: WireNode | null
  /** The entry in the right version. */
  right: WireNode | null
}

/** Encoded range bounds (as the bee's own range encoding gives them). */
export interface WireRange {
  /** Only keys after this one. */
  gt: Uint8Array | null
  /** Only keys from this one on. */
  gte: Uint8Array | null
  /** Only keys before this one. */
  lt: Uint8Array | null
  /** Only keys up to this one. */
  lte: Uint8Array | null
  /** Descending order. */
  reverse: boolean
  /** At most this many (-1: no limit). */
  limit: number
}

/** Seq bounds of a history page. */
export interface WireHistoryRange {
  /** First seq (inclusive). */
  gte: number
  /** End seq (exclusive). */
  lt: number
  /** Newest first. */
  reverse: boolean
  /** At most this many. */
  limit: number
}

/** Options of block reads the owner honours. */
export interface ReadOptions {
  /** Wait for a block that is not there yet (default true). */
  wait?: boolean
  /** Milliseconds to wait (0: no limit). */
  timeout?: number
}

/** One method's shape: what it takes and what it answers. */
export interface Call<A extends unknown[], R> {
  /** The arguments. */
  args: A
  /** The result. */
  result: R
}

/** What an append answers. */
export interface AppendResult {
  /** The core's length after the append. */
  length: number
  /** The core's byte length after the append. */
  byteLength: number
}

/** What a bee write answers. */
export interface BeeWriteResult {
  /** The core's length after the write. */
  length: number
  /** The core's byte length after the write. */
  byteLength: number
  /** True when a condition ({@link BeeOpCondition}) no longer held: nothing was written. */
  refused?: boolean
}

/** Options of an update. */
export interface UpdateOptions {
  /** Wait for connected peers too. */
  wait?: boolean
  /** Update even a writable core. */
  force?: boolean
}

/** What an update answers. */
export interface UpdateResult {
  /** Whether the core moved. */
  updated: boolean
  /** Its state after. */
  state: CoreState
}

/** One page of a range read. */
export interface RangePage {
  /** The version read (pass it back for the next page). */
  version: number
  /** The entries. */
  nodes: WireNode[]
}

/** One page of a history read. */
export interface HistoryPage {
  /** The version read. */
  version: number
  /** The entries. */
  entries: WireHistoryEntry[]
}

/**
 * Every method: its arguments and its result. Writes (`core.append`, `core.truncate`, `bee.write`)
 * carry a writer id.
 */
export interface Methods {
  /** Waits until the owner's store is open; checks both sides speak the same protocol. */
  'store.ready': Call<[version: number], null>
  /** Opens (or creates) a core and subscribes the caller to its events. */
  'core.open': Call<[ref: CoreRef], CoreInfo>
  /** Drops one subscription taken by `core.open`. */
  'core.close': Call<[ref: CoreRef], null>
  /** Appends blocks (a write). */
  'core.append': Call<[ref: CoreRef, blocks: Uint8Array[]], AppendResult>
  /** Truncates to `length` on fork `fork` (null: the next one) (a write); the state after. */
  'core.truncate': Call<[ref: CoreRef, length: number, fork: number | null], CoreState>
  /** Reads a block. */
  'core.get': Call<[ref: CoreRef, index: number, opts: ReadOptions], Uint8Array | null>
  /** Reads blocks `[start, end)`, each as `core.get` does (the owner reads them in parallel). */
  'core.getBatch': Call<[ref: CoreRef, start: number, end: number, opts: ReadOptions], (Uint8Array | null)[]>
  /** The block holding byte `bytes` and the offset in it (null: not there, with `wait: false`). */
  'core.seek': Call<[ref: CoreRef, bytes: number, opts: ReadOptions], [index: number, offset: number] | null>
  /** Downloads a range from peers; answers once it is stored (`id` names it for `core.undownload`). */
  'core.download': Call<[ref: CoreRef, id: string, range: DownloadRange], null>
  /** Cancels the caller's download `id` (its `core.download` fails with `REQUEST_CANCELLED`). */
  'core.undownload': Call<[ref: CoreRef, id: string], null>
  /** Drops the local copies of blocks `[start, end)`; how many stored blocks that freed. */
  'core.clear': Call<[ref: CoreRef, start: number, end: number], number>
  /** Whether blocks `[start, end)` are stored. */
  'core.has': Call<[ref: CoreRef, start: number, end: number], boolean>
  /** Asks peers for a longer core; the state after. */
  'core.update': Call<[ref: CoreRef, opts: UpdateOptions], UpdateResult>
  /** Applies bee writes atomically, in order (a write); the core's length after. */
  'bee.write': Call<[ref: CoreRef, ops: BeeOp[]], BeeWriteResult>
  /** The entry of a key at a version (0: the latest). */
  'bee.get': Call<[ref: CoreRef, key: Uint8Array, version: number, opts: ReadOptions], WireNode | null>
  /** One page of a range at a version (0: the latest, then the version read is returned). */
  'bee.range': Call<[ref: CoreRef, range: WireRange, version: number], RangePage>
  /** One page of the history at a version. */
  'bee.history': Call<[ref: CoreRef, range: WireHistoryRange, version: number], HistoryPage>
  /** One page of what differs in a key range between two versions (`left` at the first). */
  'bee.diff': Call<[ref: CoreRef, range: WireRange, left: number, right: number], WireDiffEntry[]>
}

/** A method name. */
export type Method = keyof Methods

/** Who wrote: the client's id and its write counter, so a re-sent write is applied once. */
export interface WriterId {
  /** The client's id (random, one per client for its lifetime). */
  client: string
  /** Increases by one per write of that client. */
  seq: number
}

/** A call from a client. */
export interface Request {
  /** Matches the response. */
  id: number
  /** What to do. */
  method: Method
  /** Its arguments. */
  args: unknown[]
  /** On writes: who wrote, for exactly-once application across owner changes. */
  writer?: WriterId
}

/** The answer to a {@link Request}. */
export type Response =
  | {
      /** The request's id. */
      id: number
      /** Success. */
      ok: true
      /** The result. */
      value: unknown
    }
  | {
      /** The request's id. */
      id: number
      /** Failure. */
      ok: false
      /** The error, rebuilt as its own class by the client. */
      error: WireError
    }

/** A core changed (an append or a truncation): its new state. */
export interface CoreEvent extends CoreState {
  /** The core's discovery key in hex. */
  discoveryKey: string
}

/** Hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += b.toString(16).padStart(2, '0')
  return s
}

/** A random id: 16 bytes in hex. */
export function randomId(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(16)))
}

/** A string naming what a ref resolves to, for caches. */
export function refId(ref: CoreRef): string {
  const part = (n: Name) => (typeof n === 'string' ? `s${JSON.stringify(n)}` : `b${toHex(n)}`)
  if (ref.key !== undefined) return `k${toHex(ref.key)}`
  return `${ref.ns.map(part).join('/')}:${ref.name === undefined ? '' : part(ref.name)}`
}

/**
 * A copy of `bytes` that owns its whole buffer: structured clone copies the entire buffer behind
 * a view, so a view into a pool or a packed record would drag all of it along.
 */
export function tight(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice()
}

/** What the owner sends a client: answers and events, in the order they happened. */
export type OwnerItem =
  | {
      /** An answer. */
      res: Response
    }
  | {
      /** An event. */
      ev: CoreEvent
    }

/**
 * Gathers what is sent in one turn of the event loop into one message: a burst of requests (16
 * puts in flight) crosses as one message and reaches the owner's write queue together, to be
 * applied as one group.
 */
export function coalesce<T>(post: (items: T[]) => void): (item: T) => void {
  let items: T[] | null = null
  return (item) => {
    if (items === null) {
      const batch: T[] = []
      items = batch
      queueMicrotask(() => {
        items = null
        post(batch)
      })
    }
    items.push(item)
  }
}
