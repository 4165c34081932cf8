/**
 * An in-memory duplex pair: what one side writes, the other receives — asynchronously (like any
 * real transport, so no code can depend on re-entrant delivery) and in order.
 */
import { Duplex } from './duplex.ts'

/** Bytes a side may buffer before `write` asks the writer to wait for `drain`. */
const HIGH_WATER_MARK = 1 << 20

class MemoryDuplex extends Duplex {
  peer: MemoryDuplex | null = null
  #queue: Uint8Array[] = []
  #queued = 0
  #scheduled = false
  #needsDrain = false

  write(chunk: Uint8Array): boolean {
    if (this.destroyed) return false
    this.#queue.push(chunk)
    this.#queued += chunk.byteLength
    if (!this.#scheduled) {
      this.#scheduled = true
      queueMicrotask(() => this.#flush())
    }
    if (this.#queued > HIGH_WATER_MARK) {
      this.#needsDrain = true
      return false
    }
    return true
  }

  #flush(): void {
    this.#scheduled = false
    const queue = this.#queue
    this.#queue = []
    this.#queued = 0
    const peer = this.peer
    for (const chunk of queue) {
      if (peer === null || peer.destroyed) break
      if (chunk === END) peer._onRemoteEnd()
      else peer.emit('data', chunk)
    }
    if (this.#needsDrain && !this.destroyed) {
      this.#needsDrain = false
      this.emit('drain')
    }
  }

  protected _end(): void {
    this.#queue.push(END)
    if (!this.#scheduled) {
      this.#scheduled = true
      queueMicrotask(() => this.#flush())
    }
  }

  protected _destroy(err: Error | null): void {
    const peer = this.peer
    // a destroy without an error (as when both sides ended) still delivers what is queued: the
    // flush already scheduled runs before the peer's teardown below; a failure drops it, as a
    // broken connection would
    if (err) this.#queue = []
    // the other side sees the connection drop (without our error, as over a network)
    if (peer && !peer.destroyed)
      queueMicrotask(() => peer.destroy(err ? new Error('the remote side was destroyed') : undefined))
  }
}

const END = new Uint8Array(0)

/** Two connected duplexes: `a` writes to `b` and vice versa. */
export function memoryPair(): [Duplex, Duplex] {
  const a = new MemoryDuplex()
  const b = new MemoryDuplex()
  a.peer = b
  b.peer = a
  return [a, b]
}
