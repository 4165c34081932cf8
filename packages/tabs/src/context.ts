/**
 * What every object of one shared store on the client side has in common: the connection, and
 * the open cores by discovery key, so that an event from the owner reaches every `SharedCore` of
 * that core in this client.
 */
import type { Connection } from './connection.ts'
import type { CoreEvent, CoreRef, CoreState } from './protocol.ts'

/** A client-side core as the context sees it. @internal */
export interface TrackedCore {
  /** How it was opened. */
  readonly ref: CoreRef
  /** Whether its open finished (it is re-opened on a new owner only then). */
  readonly opened: boolean
  /** Takes a state from the owner. */
  _update(state: CoreState): void
  /** Re-opens it on a newly attached owner. */
  _reopen(): void
}

/** @internal The shared client state of a store and its namespaces. */
export class StoreContext {
  readonly conn: Connection
  readonly #cores = new Map<string, Set<TrackedCore>>()
  /** The latest state the owner sent for each core (events can arrive before an open's answer). */
  readonly #seen = new Map<string, CoreState>()
  readonly #open = new Set<TrackedCore>()

  constructor(conn: Connection) {
    this.conn = conn
    conn.onEvent = (event) => this.#event(event)
    conn.onAttach = () => {
      for (const core of this.#open) if (core.opened) core._reopen()
    }
  }

  #event(event: CoreEvent): void {
    const state = { length: event.length, byteLength: event.byteLength, fork: event.fork }
    this.#seen.set(event.discoveryKey, newer(this.#seen.get(event.discoveryKey), state))
    const cores = this.#cores.get(event.discoveryKey)
    if (cores !== undefined) for (const core of cores) core._update(state)
  }

  /** Starts tracking `core` (before its open is answered). */
  track(core: TrackedCore): void {
    this.#open.add(core)
  }

  /** Routes `discoveryKey`'s events to `core`; returns the latest state seen for it, if any. */
  bind(core: TrackedCore, discoveryKey: string): CoreState | undefined {
    let set = this.#cores.get(discoveryKey)
    if (set === undefined) {
      set = new Set()
      this.#cores.set(discoveryKey, set)
    }
    set.add(core)
    return this.#seen.get(discoveryKey)
  }

  /** Stops tracking `core`. */
  untrack(core: TrackedCore, discoveryKey: string | null): void {
    this.#open.delete(core)
    if (discoveryKey === null) return
    const set = this.#cores.get(discoveryKey)
    set?.delete(core)
    if (set !== undefined && set.size === 0) {
      this.#cores.delete(discoveryKey)
      this.#seen.delete(discoveryKey)
    }
  }
}

/** The later of two states of a core (a higher fork wins, then a longer length). */
export function newer(a: CoreState | undefined, b: CoreState): CoreState {
  if (a === undefined) return b
  if (b.fork !== a.fork) return b.fork > a.fork ? b : a
  return b.length >= a.length ? b : a
}
