/**
 * A small typed event emitter: Node's `EventEmitter` shape (`on`, `once`, `off`, `emit`) without
 * Node, typed by an event map `{ name: [arg1, arg2] }`. Listeners run synchronously in the order
 * they were added; a throwing listener propagates to the emitter, as in Node.
 *
 * @module \@orchard/events
 */

/** An event map: event name → listener argument tuple. Interfaces qualify as well as type aliases. */
export type EventMap<E> = { [K in keyof E]: unknown[] }

/** A listener of an event whose arguments are `A`. */
export type Listener<A extends unknown[]> = (...args: A) => void
// biome-ignore lint/suspicious/noExplicitAny: the map holds listeners of every event; `on`/`emit` restore the types
type AnyListener = (...args: any[]) => void

/**
 * Emits the events of map `E`, each with its typed arguments. Classes extend it (`class Core extends
 * Emitter<CoreEvents>`) rather than wrap it.
 */
export class Emitter<E extends EventMap<E>> {
  #listeners = new Map<keyof E, AnyListener[]>()

  /** Adds `listener` for `event`. */
  on<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    const list = this.#listeners.get(event)
    if (list) list.push(listener)
    else this.#listeners.set(event, [listener])
    return this
  }

  /** Adds `listener` for the next `event` only. */
  once<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    const wrapped: Listener<E[K]> & { listener?: Listener<E[K]> } = (...args) => {
      this.off(event, wrapped)
      listener(...args)
    }
    wrapped.listener = listener
    return this.on(event, wrapped)
  }

  /** Removes `listener` (added with `on` or `once`) from `event`. */
  off<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    const list = this.#listeners.get(event)
    if (!list) return this
    const i = list.findIndex((l) => l === listener || (l as { listener?: AnyListener }).listener === listener)
    if (i !== -1) {
      list.splice(i, 1)
      if (list.length === 0) this.#listeners.delete(event)
    }
    return this
  }

  /** Removes every listener of `event`, or of all events. */
  removeAllListeners(event?: keyof E): this {
    if (event === undefined) this.#listeners.clear()
    else this.#listeners.delete(event)
    return this
  }

  /** Calls the listeners of `event` with `args`; returns whether there were any. */
  emit<K extends keyof E>(event: K, ...args: E[K]): boolean {
    const list = this.#listeners.get(event)
    if (!list) return false
    // copy: a listener may remove itself (once) or others while we iterate
    for (const l of list.length === 1 ? list : list.slice()) l(...args)
    return true
  }

  /** How many listeners `event` has (a `once` listener counts until it fires). */
  listenerCount(event: keyof E): number {
    return this.#listeners.get(event)?.length ?? 0
  }
}

/**
 * Resolves with the arguments of the next `event`, or rejects when `signal` aborts.
 */
export function once<E extends EventMap<E>, K extends keyof E>(
  emitter: Emitter<E>,
  event: K,
  signal?: AbortSignal
): Promise<E[K]> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const onEvent = (...args: E[K]) => {
      signal?.removeEventListener('abort', onAbort)
      resolve(args)
    }
    const onAbort = () => {
      emitter.off(event, onEvent)
      reject(signal?.reason)
    }
    emitter.once(event, onEvent)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

export { nextTask } from './next-task.ts'
