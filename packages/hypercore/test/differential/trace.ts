/**
 * Traces for the differential suite: a scenario records what it observes (returned values, state,
 * events, error codes) as plain, implementation-neutral records, so the trace of a run against the
 * real hypercore and the trace of the same run against Orchard can be compared with `toEqual`.
 */

/** One observation: a label and a normalised value. */
export type TraceRecord = [label: string, value: unknown]

/** Anything that emits events the way both implementations do (`on`/`off`). */
export interface EventSource {
  on(event: string, listener: (...args: unknown[]) => void): unknown
  off(event: string, listener: (...args: unknown[]) => void): unknown
}

/** The state every core exposes synchronously. */
export interface StateSource {
  readonly length: number
  readonly byteLength: number
  readonly fork: number
  readonly contiguousLength: number
  readonly writable: boolean
  readonly readable: boolean
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

export function hex(bytes: Uint8Array): string {
  let out = ''
  for (const b of bytes) out += HEX[b]
  return out
}

export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s)
}

/** Buffer or Uint8Array. */
export function isBytes(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array
}

/**
 * A value in a form that compares equal across implementations: bytes become `bytes:<hex>`
 * (a Buffer and a Uint8Array with the same content are the same), `undefined` becomes a marker
 * (so it is not confused with a missing property), errors become their code.
 */
export function normalise(v: unknown): unknown {
  if (v === undefined) return '<undefined>'
  if (v === null || typeof v !== 'object') return v
  if (isBytes(v)) return `bytes:${hex(v)}`
  if (v instanceof Error) return errorRecord(v)
  if (Array.isArray(v)) return v.map(normalise)
  const out: Record<string, unknown> = {}
  for (const k of Object.keys(v).sort()) {
    const x = (v as Record<string, unknown>)[k]
    if (typeof x !== 'function') out[k] = normalise(x)
  }
  return out
}

/** An error as recorded: its `code` when it has one, else its class name and message. */
export function errorRecord(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code
    if (typeof code === 'string') return { error: code }
    return { error: err.name, message: err.message }
  }
  return { error: 'non-error', value: String(err) }
}

export class ScenarioTimeout extends Error {
  override name = 'ScenarioTimeout'
}

/** Resolves/rejects with `p`, or rejects with `ScenarioTimeout(message())` after `ms`. */
export function withTimeout<T>(p: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ScenarioTimeout(message())), ms)
  })
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}

/** Lets pending microtasks and timers of zero delay run (events emitted "right after" an op). */
export function settle(): Promise<void> {
  return new Promise((r) => setTimeout(r, 20))
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Every step of a scenario may take at most this long before it is recorded as a hang. */
export const STEP_MS = 3_000

export class Trace {
  readonly records: TraceRecord[] = []
  /** The step running now (named in the failure message when a scenario hangs). */
  current = '(start)'
  readonly #watchers: Array<() => void> = []
  readonly #pendingEvents: Array<[string, string, unknown[]]> = []

  readonly target: string

  constructor(target: string) {
    this.target = target
  }

  /** Records a value as it is. */
  note(label: string, value: unknown): void {
    this.records.push([label, normalise(value)])
  }

  /**
   * Runs `fn` and records `{ ok: value }` or the error. A step that does not settle within
   * `ms` is recorded as `{ hang: ms }` (its promise is abandoned), so one hang doesn't stall the run.
   */
  async value(label: string, fn: () => unknown, ms = STEP_MS): Promise<unknown> {
    this.current = label
    try {
      const v = await withTimeout(
        Promise.resolve().then(fn),
        ms,
        () => `[${this.target}] "${label}" did not settle in ${ms} ms`
      )
      this.records.push([label, { ok: normalise(v) }])
      return v
    } catch (err) {
      if (err instanceof ScenarioTimeout) this.records.push([label, { hang: ms }])
      else this.records.push([label, errorRecord(err)])
      return undefined
    }
  }

  /** Like `value`, but records only success (`'ok'`) or the error, not the returned value. */
  async call(label: string, fn: () => unknown, ms = STEP_MS): Promise<void> {
    this.current = label
    try {
      await withTimeout(
        Promise.resolve().then(fn),
        ms,
        () => `[${this.target}] "${label}" did not settle in ${ms} ms`
      )
      this.records.push([label, 'ok'])
    } catch (err) {
      if (err instanceof ScenarioTimeout) this.records.push([label, { hang: ms }])
      else this.records.push([label, errorRecord(err)])
    }
  }

  /** Starts a step without awaiting it; `await` the returned function to record its outcome. */
  start(label: string, fn: () => unknown, ms = STEP_MS): () => Promise<unknown> {
    const settled = Promise.resolve()
      .then(fn)
      .then(
        (v) => ({ ok: normalise(v) }),
        (err) => errorRecord(err)
      )
    return async () => {
      this.current = label
      try {
        const rec = await withTimeout(settled, ms, () => `[${this.target}] "${label}" did not settle`)
        this.records.push([label, rec])
        return rec
      } catch {
        this.records.push([label, { hang: ms }])
        return undefined
      }
    }
  }

  /** Records the synchronous state of a core (or session). */
  state(label: string, core: StateSource): void {
    this.records.push([
      label,
      {
        length: core.length,
        byteLength: core.byteLength,
        fork: core.fork,
        contiguousLength: core.contiguousLength,
        writable: core.writable,
        readable: core.readable
      }
    ])
  }

  /**
   * Records only length, byte length and fork: for scenarios about what a view contains, leaving
   * the flags (`writable`, `contiguousLength`...) to the scenarios that are about them.
   */
  lengths(label: string, core: StateSource): void {
    this.records.push([label, { length: core.length, byteLength: core.byteLength, fork: core.fork }])
  }

  /**
   * Listens to `events` on `source` under the name `who`. Events queue up until `events()` moves
   * them into the trace, so their order among themselves is compared, not their interleaving with
   * promise resolutions. `format` turns an event's arguments into what is recorded.
   */
  watch(
    who: string,
    source: EventSource,
    events: string[],
    format: (event: string, args: unknown[]) => unknown[] = defaultFormat
  ): void {
    for (const event of events) {
      const fn = (...args: unknown[]) => {
        this.#pendingEvents.push([who, event, format(event, args)])
      }
      source.on(event, fn)
      this.#watchers.push(() => source.off(event, fn))
    }
  }

  /**
   * Moves the events seen so far (after letting just-emitted ones arrive) into the trace, grouped
   * by source: the order of each source's events is compared, not how two cores' events interleave
   * (which depends on transport timing). `sorted` compares a source's events as a set, for events
   * whose order is not deterministic (blocks downloaded in parallel).
   */
  async events(label: string, opts: { sorted?: boolean } = {}): Promise<void> {
    await settle()
    const bySource: Record<string, unknown[]> = {}
    for (const [who, event, args] of this.#pendingEvents.splice(0)) {
      const list = bySource[who] ?? []
      bySource[who] = list
      list.push(normalise([event, ...args]))
    }
    if (opts.sorted) {
      for (const list of Object.values(bySource)) {
        list.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1))
      }
    }
    this.records.push([`events ${label}`, bySource])
  }

  /**
   * Polls `cond` until it holds or `ms` passes, and records whether it held: a replica that never
   * gets there shows up as `false` in the diff instead of hanging the scenario.
   */
  async until(label: string, cond: () => boolean | Promise<boolean>, ms = STEP_MS): Promise<boolean> {
    this.current = `until ${label}`
    const deadline = Date.now() + ms
    let ok = false
    for (;;) {
      try {
        ok = await cond()
      } catch {
        ok = false
      }
      if (ok || Date.now() > deadline) break
      await sleep(10)
    }
    this.records.push([`until ${label}`, ok])
    return ok
  }

  unwatchAll(): void {
    for (const off of this.#watchers.splice(0)) off()
  }
}

/** Event arguments worth comparing: numbers, strings, booleans and bytes; peers and requests dropped. */
function defaultFormat(event: string, args: unknown[]): unknown[] {
  if (event === 'peer-add' || event === 'peer-remove') return []
  if (event === 'download' || event === 'upload') return args.slice(0, 2)
  return args.filter((a) => a === null || typeof a !== 'object' || isBytes(a))
}
