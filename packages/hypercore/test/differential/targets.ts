/**
 * The two implementations under comparison, behind one driver interface: the real hypercore 11
 * (the reference) and Orchard. Scenarios only use `Target` and `CoreLike`, so each is written once.
 *
 * The drivers adapt what is incidental to the platform, never behaviour: storage (a RocksDB
 * directory for the real one, memory or file storage for ours), Node Buffers for the real one's
 * byte options, and the transport for replication (a piped stream pair for real⇄real, an in-memory
 * duplex pair for ours⇄ours).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { keyPair as oursKeyPair } from '@orchard/crypto'
import { openMemoryStorage } from '@orchard/storage'
import { openFileStorage } from '@orchard/storage/fs'
import { memoryPair } from '@orchard/wire'
import RealHypercore from 'hypercore'
import realCrypto from 'hypercore-crypto'
import { Hypercore, type HypercoreInfo } from '../../src/index.ts'
import { type Trace, withTimeout } from './trace.ts'

/** A key pair as both implementations take it. */
export interface KeyPairLike {
  publicKey: Uint8Array
  secretKey: Uint8Array
}

// biome-ignore lint/suspicious/noExplicitAny: event arguments differ per event
export type Listener = (...args: any[]) => void

export interface GetOpts {
  wait?: boolean
  timeout?: number
  valueEncoding?: unknown
  raw?: boolean
}

export interface DownloadLike {
  done(): Promise<unknown>
  destroy(): void
}

export interface StreamLike<T> extends AsyncIterable<T> {
  destroy(): void
}

/** What `info()` reports, minus `storage` (null in both). */
export type InfoLike = Omit<HypercoreInfo, 'storage'>

/** The hypercore 11 API surface the scenarios use; both implementations are driven through it. */
export interface CoreLike {
  readonly key: Uint8Array | null
  readonly discoveryKey: Uint8Array | null
  readonly length: number
  readonly byteLength: number
  readonly contiguousLength: number
  readonly fork: number
  readonly padding: number
  readonly writable: boolean
  readonly readable: boolean
  readonly opened: boolean
  readonly closed: boolean
  readonly snapshotted: boolean
  readonly peers: readonly unknown[]
  ready(): Promise<unknown>
  close(): Promise<unknown>
  append(blocks: unknown): Promise<{ length: number; byteLength: number }>
  get(index: number, opts?: GetOpts): Promise<unknown>
  has(start: number, end?: number): Promise<boolean>
  info(): Promise<InfoLike>
  truncate(length?: number, fork?: number): Promise<unknown>
  clear(start: number, end?: number): Promise<unknown>
  setUserData(key: string, value: Uint8Array | string | null): Promise<unknown>
  getUserData(key: string): Promise<Uint8Array | null>
  treeHash(length?: number): Promise<Uint8Array>
  seek(bytes: number, opts?: { wait?: boolean; timeout?: number }): Promise<unknown>
  readonly signedLength: number
  /** Signs a named session's blocks onto this core (hypercore 11's `commit`). */
  commit(session: CoreLike, opts?: { length?: number }): Promise<unknown>
  session(opts?: Record<string, unknown>): CoreLike
  snapshot(opts?: Record<string, unknown>): CoreLike
  createReadStream(opts?: Record<string, unknown>): StreamLike<unknown>
  createByteStream(opts?: Record<string, unknown>): StreamLike<Uint8Array>
  download(range?: Record<string, unknown>): DownloadLike
  update(opts?: { wait?: boolean; timeout?: number }): Promise<boolean>
  findingPeers(): () => void
  on(event: string, listener: Listener): unknown
  off(event: string, listener: Listener): unknown
}

/** Options a scenario passes when creating or opening a core (as a hypercore 11 user writes them). */
export type CoreOptions = Record<string, unknown>

/** A user story, written once: it drives `target` and records what it observes into `t`. */
export interface Scenario {
  name: string
  run(target: Target, t: Trace): Promise<void>
}

export interface Link {
  /** Tears the connection down (both ends). */
  destroy(): void
}

export interface Target {
  readonly name: 'real' | 'ours'
  /** A new core (writable, with a fresh key pair unless `opts.keyPair`), not awaited. */
  create(opts?: CoreOptions): CoreLike
  /** A core opened by `key` on empty storage (a reader), not awaited. */
  open(key: Uint8Array, opts?: CoreOptions): CoreLike
  /** A core in the named persistent storage location (same name = same storage), not awaited. */
  openAt(name: string, key?: Uint8Array | null, opts?: CoreOptions): CoreLike
  /** Connects `a` (initiator) and `b` over a fresh transport. */
  replicate(a: CoreLike, b: CoreLike): Link
  /** The deterministic key pair of a 32-byte seed, in this implementation's byte type. */
  keyPair(seed: Uint8Array): KeyPairLike
  /** Registers a session the scenario opened, to be closed at teardown even if a step hangs. */
  track<T extends CoreLike>(core: T): T
  /** Closes every link and core the target made (bounded) and removes its files. */
  teardown(): Promise<void>
}

/** Shared bookkeeping: every core and link is released at teardown, hangs or not. */
abstract class BaseTarget {
  protected readonly dir = mkdtempSync(join(tmpdir(), 'orchard-differential-'))
  protected readonly cores: CoreLike[] = []
  protected readonly links: Link[] = []
  #n = 0

  protected nextDir(): string {
    return join(this.dir, `core-${++this.#n}`)
  }

  /** Registers a core (or session) to be closed at teardown; returns it. */
  track<T extends CoreLike>(core: T): T {
    this.cores.push(core)
    return core
  }

  async teardown(): Promise<void> {
    for (const l of this.links.splice(0)) {
      try {
        l.destroy()
      } catch {
        // a link that failed to set up has nothing to tear down
      }
    }
    const closing = this.cores.splice(0).map((c) => Promise.resolve().then(() => c.close()))
    await withTimeout(Promise.allSettled(closing), 3_000, () => 'teardown: closing cores timed out').catch(
      () => {}
    )
    rmSync(this.dir, { recursive: true, force: true })
  }
}

// --- the real hypercore 11 ---------------------------------------------------------------------

/** Uint8Arrays in options become Buffers (the real one's byte type); codecs and the rest pass as is. */
function buffers(v: unknown, depth = 0): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength)
  if (depth > 2 || v === null || typeof v !== 'object' || Array.isArray(v)) return v
  if (Object.getPrototypeOf(v) !== Object.prototype) return v
  const out: Record<string, unknown> = {}
  for (const [k, x] of Object.entries(v)) out[k] = buffers(x, depth + 1)
  return out
}

class RealTarget extends BaseTarget implements Target {
  readonly name = 'real' as const

  create(opts: CoreOptions = {}): CoreLike {
    return this.track(new RealHypercore(this.nextDir(), buffers(opts)))
  }

  open(key: Uint8Array, opts: CoreOptions = {}): CoreLike {
    return this.track(new RealHypercore(this.nextDir(), Buffer.from(key), buffers(opts)))
  }

  openAt(name: string, key: Uint8Array | null = null, opts: CoreOptions = {}): CoreLike {
    const dir = join(this.dir, `named-${name}`)
    const core = key
      ? new RealHypercore(dir, Buffer.from(key), buffers(opts))
      : new RealHypercore(dir, buffers(opts))
    return this.track(core)
  }

  replicate(a: CoreLike, b: CoreLike): Link {
    const s1 = (a as RealCore).replicate(true, { keepAlive: false })
    const s2 = (b as RealCore).replicate(false, { keepAlive: false })
    s1.pipe(s2).pipe(s1)
    // a torn-down stream reports an error on the other end; the scenario observes peers instead
    s1.on('error', () => {})
    s2.on('error', () => {})
    const link = {
      destroy() {
        s1.destroy()
        s2.destroy()
      }
    }
    this.links.push(link)
    return link
  }

  keyPair(seed: Uint8Array): KeyPairLike {
    return realCrypto.keyPair(Buffer.from(seed))
  }
}

interface RealStream {
  pipe(to: RealStream): RealStream
  on(event: string, fn: (...args: unknown[]) => void): unknown
  destroy(): void
}

interface RealCore extends CoreLike {
  replicate(isInitiator: boolean, opts: object): RealStream
}

// --- Orchard -----------------------------------------------------------------------------------

class OursTarget extends BaseTarget implements Target {
  readonly name = 'ours' as const

  create(opts: CoreOptions = {}): CoreLike {
    return this.track(asCoreLike(new Hypercore(openMemoryStorage(), opts)))
  }

  open(key: Uint8Array, opts: CoreOptions = {}): CoreLike {
    return this.track(asCoreLike(new Hypercore(openMemoryStorage(), key, opts)))
  }

  openAt(name: string, key: Uint8Array | null = null, opts: CoreOptions = {}): CoreLike {
    const storage = openFileStorage(join(this.dir, `named-${name}`))
    return this.track(asCoreLike(key ? new Hypercore(storage, key, opts) : new Hypercore(storage, opts)))
  }

  replicate(a: CoreLike, b: CoreLike): Link {
    const [x, y] = memoryPair()
    const sa = asHypercore(a).replicate(true, { stream: x, keepAlive: 0 })
    const sb = asHypercore(b).replicate(false, { stream: y, keepAlive: 0 })
    const link = {
      destroy() {
        sa.destroy()
        sb.destroy()
      }
    }
    this.links.push(link)
    return link
  }

  keyPair(seed: Uint8Array): KeyPairLike {
    return oursKeyPair(seed)
  }
}

/**
 * Orchard's class is driven through the same interface as the real one. Where its API differs
 * (a missing method, other option types) the scenario observes the difference at run time, which
 * is the point of the suite, so the static shapes are deliberately not reconciled here.
 */
function asCoreLike(core: Hypercore): CoreLike {
  return core as unknown as CoreLike
}

function asHypercore(core: CoreLike): Hypercore {
  return core as unknown as Hypercore
}

export function realTarget(): Target {
  return new RealTarget()
}

export function oursTarget(): Target {
  return new OursTarget()
}
