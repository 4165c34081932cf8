/**
 * The state every session of one Corestore shares: the storage root, the primary key, the open
 * cores by discovery key (one core however many times it is opened), the replication streams
 * every core joins, and the collection of cores nobody uses any more.
 *
 * Each open core is held by one internal *anchor* session; the sessions `get` hands out are
 * sessions of that anchor's core. A core whose last session closed, and that no peer
 * replicates, is closed after a few collection rounds (corestore 7 waits four rounds of 2 s).
 */
import { toHex } from '@orchard/codec'
import type { KeyPair } from '@orchard/crypto'
import { createManifest, Hypercore, type Manifest } from '@orchard/hypercore'
import type { BatchOp, Storage } from '@orchard/storage'
import type { Name } from './keys.ts'
import { getKey, hasCore, putAlias, putKey } from './records.ts'

type ProtocolStream = ReturnType<typeof Hypercore.createProtocolStream>
type Muxer = ReturnType<typeof Hypercore.getProtocolMuxer>

/** A replication stream the store's cores join. */
export interface StreamRecord {
  stream: ProtocolStream
  mux: Muxer
  /** Given by the caller (not created by `replicate`): the store does not destroy it. */
  external: boolean
  closed: boolean
}

/** What opening one core needs, resolved from `get` options. */
export interface CoreAuth {
  key: Uint8Array
  discoveryKey: Uint8Array
  keyPair: KeyPair | null
  manifest: Manifest | null
  /** `manifest` was given by the caller (not derived from a key pair). */
  manifestGiven: boolean
  /** The name (and namespace) the core is opened by, to record as an alias. */
  alias: { namespace: Uint8Array; name: Name } | null
  /** The alias is already stored. */
  aliased: boolean
  /** The store's key record for this core is already stored. */
  keyRecorded: boolean
  createIfMissing: boolean
  overwrite: boolean
}

/** One open (or opening, or closing) core. */
export interface CoreEntry {
  readonly id: string
  readonly discoveryKey: Uint8Array
  anchor: Hypercore | null
  opening: Promise<Hypercore>
  /** Sessions handed out on this core, over every store session. */
  sessions: number
  /** Collection rounds it was found idle in a row. */
  strikes: number
  closing: Promise<void> | null
  readonly attached: Set<StreamRecord>
}

const GC_INTERVAL = 2000
const GC_STRIKES = 4

/** Hex of a discovery key (the map key of open cores): `@orchard/codec`'s. */
export { toHex }

/**
 * A core opened by key alone learns a manifest a later `get` gives (as corestore 7's sessions
 * do): an explicit one must hash to the key; one derived from a key pair is taken if it does.
 */
export async function learnManifest(anchor: Hypercore, auth: CoreAuth): Promise<void> {
  if (auth.manifest === null || anchor.manifest !== null) return
  const manifest = createManifest(auth.manifest)
  if (!auth.manifestGiven && !sameBytes(Hypercore.key(manifest), anchor.key!)) return
  await anchor.core.learnManifest(manifest)
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}

/** The session-parent shape `Hypercore` uses to share a core between sessions. */
export function parentOf(anchor: Hypercore) {
  return {
    opening: anchor.opening,
    core: () => anchor.core,
    keyPair: () => anchor.keyPair,
    encryption: () => anchor.encryption,
    named: () => null
  }
}

export class StoreRoot {
  storage: Storage | null = null
  primaryKey: Uint8Array | null = null
  closing = false
  readonly cores = new Map<string, CoreEntry>()
  readonly streams = new Set<StreamRecord>()
  /** Called with every core that opens (corestore's `watch`). */
  readonly watchers = new Set<(core: Hypercore['core']) => void>()
  readonly #idle = new Set<CoreEntry>()
  #gcTimer: ReturnType<typeof setInterval> | null = null

  /** The entry of `auth`'s core: the open one, or a new one opening (after a closing one closed). */
  open(auth: CoreAuth): CoreEntry {
    const id = toHex(auth.discoveryKey)
    const existing = this.cores.get(id)
    if (existing !== undefined && existing.closing === null) return existing
    const previous = existing?.closing ?? null
    const entry: CoreEntry = {
      id,
      discoveryKey: auth.discoveryKey,
      anchor: null,
      opening: null as unknown as Promise<Hypercore>,
      sessions: 0,
      strikes: 0,
      closing: null,
      attached: new Set()
    }
    entry.opening = this.#openAnchor(entry, previous, auth)
    entry.opening.catch(() => {
      if (this.cores.get(id) === entry) this.cores.delete(id)
      this.#idle.delete(entry)
    })
    this.cores.set(id, entry)
    return entry
  }

  async #openAnchor(entry: CoreEntry, previous: Promise<void> | null, auth: CoreAuth): Promise<Hypercore> {
    if (previous !== null) await previous.catch(() => {})
    const storage = this.storage!
    const anchor = new Hypercore(storage, auth.key, {
      keyPair: auth.keyPair ?? undefined,
      manifest: auth.manifest ?? undefined,
      createIfMissing: auth.createIfMissing,
      overwrite: auth.overwrite,
      closeStorage: false
    })
    try {
      await anchor.ready()
      await learnManifest(anchor, auth)
      if (!storage.readOnly) {
        const ops: BatchOp[] = []
        if (auth.alias !== null && !auth.aliased)
          ops.push(putAlias(auth.alias.namespace, auth.alias.name, auth.discoveryKey))
        if (!auth.keyRecorded && (await getKey(storage, auth.discoveryKey)) === null)
          ops.push(putKey(auth.discoveryKey, anchor.key!))
        if (ops.length > 0) await storage.write(ops)
      }
    } catch (err) {
      await anchor.close().catch(() => {})
      throw err
    }
    entry.anchor = anchor
    // the entry lives as long as the core: sessions of handed-out sessions may outlive the anchor
    const core = anchor.core
    core.once('close', () => {
      entry.closing = core.close()
      this.#idle.delete(entry)
      if (this.cores.get(entry.id) === entry) this.cores.delete(entry.id)
    })
    anchor.on('peer-remove', () => this.#checkIdle(entry))
    if (this.closing) return anchor
    for (const fn of this.watchers) fn(anchor.core)
    return anchor
  }

  /** A session was handed out on `entry`: it is in use, and joins every stream. */
  acquire(entry: CoreEntry): void {
    entry.sessions++
    entry.strikes = 0
    this.#idle.delete(entry)
    if (entry.sessions === 1) for (const record of this.streams) this.attach(entry, record)
  }

  /** A session of `entry` closed. */
  release(entry: CoreEntry): void {
    if (--entry.sessions === 0) this.#checkIdle(entry)
  }

  /** Joins `entry`'s core to `record`'s stream (once). */
  attach(entry: CoreEntry, record: StreamRecord): void {
    const anchor = entry.anchor
    if (anchor === null || record.closed || entry.closing !== null || entry.attached.has(record)) return
    entry.attached.add(record)
    anchor.replicate(record.stream)
  }

  /** Tracks a replication stream: open cores in use join it now, the others on request. */
  addStream(record: StreamRecord): void {
    this.streams.add(record)
    const noise = record.mux.stream as unknown as { once(e: 'close', fn: () => void): void }
    noise.once('close', () => {
      record.closed = true
      this.streams.delete(record)
      for (const entry of this.cores.values()) entry.attached.delete(record)
    })
    record.mux.cork()
    for (const entry of this.cores.values()) if (entry.sessions > 0) this.attach(entry, record)
    record.mux.uncork()
  }

  /**
   * The remote opened a channel for `discoveryKey` on `record`'s stream and we have none: open the
   * core if this root stores it, and join it to that stream. For a core we do not hold, nothing
   * happens (no core is opened or created); the stream then rejects the remote's channel.
   */
  async onDiscoveryKey(record: StreamRecord, discoveryKey: Uint8Array, ready: Promise<void>): Promise<void> {
    try {
      await ready
      if (this.closing || record.closed) return
      let entry = this.cores.get(toHex(discoveryKey))
      if (entry === undefined || entry.closing !== null) {
        const storage = this.storage!
        if (!(await hasCore(storage, discoveryKey))) return
        const key = await getKey(storage, discoveryKey)
        if (key === null || this.closing) return
        entry = this.open({
          key,
          discoveryKey,
          keyPair: null,
          manifest: null,
          manifestGiven: false,
          alias: null,
          aliased: false,
          keyRecorded: true,
          createIfMissing: false,
          overwrite: false
        })
      }
      await entry.opening
      if (this.closing || record.closed) return
      if (entry.sessions === 0) this.#checkIdle(entry)
      this.attach(entry, record)
    } catch {
      // a core that fails to open is a core we do not serve
    }
  }

  #checkIdle(entry: CoreEntry): void {
    if (entry.sessions > 0 || entry.closing !== null || this.closing) return
    this.#idle.add(entry)
    if (this.#gcTimer === null) {
      this.#gcTimer = setInterval(() => this.#collect(), GC_INTERVAL)
      ;(this.#gcTimer as { unref?: () => void }).unref?.()
    }
  }

  #collect(): void {
    for (const entry of this.#idle) {
      const peers = entry.anchor?.peers.length ?? 0
      if (entry.sessions > 0 || entry.closing !== null) this.#idle.delete(entry)
      else if (peers > 0) entry.strikes = 0
      else if (++entry.strikes >= GC_STRIKES) {
        this.#idle.delete(entry)
        this.#release(entry)
      }
    }
    if (this.#idle.size === 0) this.#stopGC()
  }

  #stopGC(): void {
    if (this.#gcTimer !== null) clearInterval(this.#gcTimer)
    this.#gcTimer = null
  }

  /** Lets go of an unused core: it closes unless sessions opened on handed-out sessions hold it. */
  #release(entry: CoreEntry): void {
    entry.opening.then((anchor) => anchor.close()).catch(() => {})
  }

  /** Closes every core and the streams the store created, then the storage. */
  async close(): Promise<void> {
    this.closing = true
    this.#stopGC()
    this.#idle.clear()
    this.watchers.clear()
    for (const record of this.streams) {
      if (!record.external) (record.mux.stream as unknown as { destroy(): void }).destroy()
    }
    // the core itself closes, and with it every session on it
    const closing = [...this.cores.values()].map((entry) =>
      entry.opening.then((anchor) => anchor.core.close()).catch(() => {})
    )
    await Promise.all(closing)
    this.cores.clear()
    await this.storage?.close()
  }
}
