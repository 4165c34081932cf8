/**
 * A client's line to the owner. Requests get ids and wait in an in-flight table until answered;
 * the line runs over a {@link Transport} that can change at any time — the owner tab closed and
 * another took over, or this very tab became the owner. On every change, the cores this client
 * has open are opened again on the new owner and every unanswered request is sent again, in the
 * order first sent. Writes carry a writer id (client id + a counter), so the new owner applies a
 * re-sent write only if no owner applied it before.
 *
 * A write sent `alone` (a compare-and-swap, whose answer may be a refusal) goes out only once every
 * earlier write was answered, and holds later writes back until it is answered itself: so when an
 * owner dies, at most one of this client's writes with an unknown outcome is a conditional one —
 * the last the owner recorded — and the next owner can tell from its record whether it was refused.
 */
import { decodeError, StoreClosedError } from './errors.ts'
import type { HostSession } from './host.ts'
import {
  type CoreEvent,
  type Method,
  type Methods,
  type Request,
  type Response,
  randomId
} from './protocol.ts'

/** Carries requests to one owner; responses and events come back through the connection. */
export interface Transport {
  /** Sends a request to the owner. */
  send(req: Request): void
  /** Stops using this owner (no more responses or events are taken from it). */
  detach(): void
}

interface Pending {
  req: Request
  resolve(value: unknown): void
  reject(err: unknown): void
}

/** A write not sent yet: it waits behind an `alone` write, or is one waiting for the others. */
interface HeldWrite {
  method: Method
  args: unknown
  alone: boolean
  resolve(value: unknown): void
  reject(err: unknown): void
}

/** The client side of the protocol; see the module comment. */
export class Connection {
  /** This client's id: the writer id of its writes, and its address on a BroadcastChannel. */
  readonly clientId: string
  /** Called with every core event from the owner. */
  onEvent: (event: CoreEvent) => void = () => {}
  /** Called when a new owner is attached, before pending requests are re-sent. */
  onAttach: () => void = () => {}
  #nextId = 1
  #writes = 0
  /** Writes sent and not answered yet. */
  #writesInFlight = 0
  /** Whether the write in flight (then the only one) was sent `alone`. */
  #aloneInFlight = false
  /** Writes waiting to be sent, in call order. */
  readonly #held: HeldWrite[] = []
  readonly #inflight = new Map<number, Pending>()
  #transport: Transport | null = null
  #closed = false
  #attached!: () => void
  /** Resolves once an owner was attached for the first time. */
  readonly attached: Promise<void>

  /** A connection with no owner yet (requests wait until one is attached). */
  constructor(clientId: string = randomId()) {
    this.clientId = clientId
    this.attached = new Promise((resolve) => {
      this.#attached = resolve
    })
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed
  }

  /** Whether an owner is attached now. */
  get hasOwner(): boolean {
    return this.#transport !== null
  }

  /**
   * Sends `method` to the owner (now, or once one is attached) and resolves with its result. A
   * `write` gets the next writer seq; an `alone` write is sent with no other write in flight (see
   * the module comment).
   */
  request<M extends Method>(
    method: M,
    args: Methods[M]['args'],
    opts: { write?: boolean; alone?: boolean } = {}
  ): Promise<Methods[M]['result']> {
    if (this.#closed) return Promise.reject(new StoreClosedError())
    if (!opts.write) return this.#send(method, args, false)
    if (!opts.alone && !this.#aloneInFlight && this.#held.length === 0) {
      // nothing to wait behind (the common case): straight out, no holding
      this.#writesInFlight++
      return this.#send(method, args, true)
    }
    return new Promise((resolve, reject) => {
      this.#held.push({
        method,
        args,
        alone: opts.alone === true,
        resolve: resolve as (v: unknown) => void,
        reject
      })
      this.#release()
    })
  }

  /** Sends the held writes that may go now, in order. */
  #release(): void {
    while (this.#held.length > 0 && !this.#aloneInFlight) {
      const next = this.#held[0]!
      if (next.alone && this.#writesInFlight > 0) return
      this.#held.shift()
      this.#writesInFlight++
      this.#aloneInFlight = next.alone
      this.#send(next.method, next.args as never, true).then(next.resolve, next.reject)
    }
  }

  #send<M extends Method>(
    method: M,
    args: Methods[M]['args'],
    write: boolean
  ): Promise<Methods[M]['result']> {
    const req: Request = { id: this.#nextId++, method, args }
    if (write) req.writer = { client: this.clientId, seq: ++this.#writes }
    return new Promise((resolve, reject) => {
      this.#inflight.set(req.id, { req, resolve: resolve as (v: unknown) => void, reject })
      this.#transport?.send(req)
    })
  }

  /** A write was answered: later ones it held back may go. */
  #answered(req: Request): void {
    if (req.writer === undefined) return
    this.#writesInFlight--
    this.#aloneInFlight = false
    this.#release()
  }

  /**
   * Switches to another owner (null: none for now, requests wait). Re-opens this client's cores
   * there, then re-sends every unanswered request in its original order.
   */
  attach(transport: Transport | null): void {
    if (this.#closed) {
      transport?.detach()
      return
    }
    this.#transport?.detach()
    this.#transport = transport
    if (transport === null) return
    const pending = [...this.#inflight.values()]
    this.onAttach()
    for (const p of pending) transport.send(p.req)
    this.#attached()
  }

  /** Takes a response from the attached owner. */
  receive(res: Response): void {
    const p = this.#inflight.get(res.id)
    if (p === undefined) return // answered already (a re-sent request answered twice)
    this.#inflight.delete(res.id)
    if (res.ok) p.resolve(res.value)
    else p.reject(decodeError(res.error))
    this.#answered(p.req)
  }

  /** Takes an event from the attached owner. */
  event(event: CoreEvent): void {
    if (!this.#closed) this.onEvent(event)
  }

  /** Fails every unanswered request with `StoreClosedError` and detaches. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#transport?.detach()
    this.#transport = null
    const err = new StoreClosedError()
    for (const p of this.#inflight.values()) p.reject(err)
    this.#inflight.clear()
    for (const h of this.#held.splice(0)) h.reject(err)
    this.#attached()
  }
}

/**
 * A transport to a host in this same context (the owner's own page, or a store served in-page):
 * requests are direct calls, nothing is copied.
 */
export function localTransport(
  connect: (emit: (event: CoreEvent) => void) => HostSession,
  conn: Connection
): Transport {
  let detached = false
  // events reach the client after the host's own code has run (a throwing listener stays the app's)
  const session = connect((event) => {
    queueMicrotask(() => {
      if (!detached) conn.event(event)
    })
  })
  return {
    send(req) {
      void session.handle(req).then((res) => {
        if (res !== null && !detached) conn.receive(res)
      })
    },
    detach() {
      detached = true
      session.close()
    }
  }
}
