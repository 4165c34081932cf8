/**
 * Small helpers of the tab client: lookup replies as an async queue, hex, byte equality.
 */

/** A peer announced under a topic, as a DHT lookup reply lists it. */
export interface DHTPeer {
  /** The peer's static public key: what to `connect` to. */
  publicKey: Uint8Array
}

/** One reply of a lookup or announce query: the peers one DHT node holds for the topic. */
export interface LookupReply {
  /** The peers that node knows under the topic (may include ourselves). */
  peers: DHTPeer[]
}

/** Replies pushed by the session, pulled by an async iterator; ends with an optional error. */
export class ReplyQueue implements AsyncIterable<LookupReply> {
  #items: LookupReply[] = []
  #wake: (() => void) | null = null
  #ended = false
  #error: Error | null = null

  /** True once the producer ended (with or without an error). */
  get ended(): boolean {
    return this.#ended
  }

  /** Queues one reply. */
  push(reply: LookupReply): void {
    if (this.#ended) return
    this.#items.push(reply)
    this.#wake?.()
  }

  /** Ends the queue; a non-null `err` is thrown by the iterator after the queued replies. */
  end(err: Error | null): void {
    if (this.#ended) return
    this.#ended = true
    this.#error = err
    this.#wake?.()
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<LookupReply> {
    while (true) {
      const item = this.#items.shift()
      if (item) {
        yield item
        continue
      }
      if (this.#ended) {
        if (this.#error) throw this.#error
        return
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve
      })
      this.#wake = null
    }
  }
}

/** Lower-case hex, and byte equality: `@orchard/codec`'s. */
export { equalBytes as equal, toHex as hex } from '@orchard/codec'
