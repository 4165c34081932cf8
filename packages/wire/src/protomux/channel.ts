/**
 * A protomux channel: one protocol instance (protocol name + optional id) over a shared mux. It
 * opens when both sides have sent `open`; its typed messages are addressed by their index.
 */
import { type Codec, encodingLength, raw, type State, uint } from '@orchard/codec'
import type { Protomux } from './mux.ts'

/** A handler's return: sync, or a promise whose rejection destroys the stream. */
type Maybe = void | Promise<unknown>

export interface MessageOptions<T = unknown> {
  encoding?: Codec<T, T>
  onmessage?: (message: T, channel: Channel) => Maybe
}

export interface ChannelOptions {
  protocol: string
  /** Other protocol names the remote may open this channel under. */
  aliases?: string[]
  id?: Uint8Array | null
  /** Refuse a second open channel for the same protocol+id (default true). */
  unique?: boolean
  // biome-ignore lint/suspicious/noExplicitAny: each channel picks its own handshake type
  handshake?: Codec<any, any> | null
  // biome-ignore lint/suspicious/noExplicitAny: messages of different types in one list
  messages?: Array<MessageOptions<any> | null>
  onopen?: (handshake: unknown, channel: Channel) => Maybe
  onclose?: (isRemote: boolean, channel: Channel) => Maybe
  ondestroy?: (channel: Channel) => Maybe
  ondrain?: (channel: Channel) => Maybe
  /** A message of a type this channel does not define (protomux ignores those by default). */
  onunknown?: (type: number, channel: Channel) => Maybe
  userData?: unknown
}

export interface ChannelMessage<T = unknown> {
  readonly type: number
  /** Sends `message` on this channel; false when the stream asks us to wait for drain. */
  send(message: T): boolean
  /** @internal */
  recv(state: State, channel: Channel): Maybe
}

export class Channel {
  readonly mux: Protomux
  readonly protocol: string
  readonly aliases: string[]
  readonly id: Uint8Array | null
  // biome-ignore lint/suspicious/noExplicitAny: messages of different types; `addMessage` keeps each typed
  readonly messages: ChannelMessage<any>[] = []
  userData: unknown
  handshake: unknown = null
  opened = false
  closed = false
  destroyed = false
  /** @internal */ localId = 0
  /** @internal */ remoteId = 0
  /** @internal */ readonly opts: ChannelOptions
  #openedWaiters: Array<(ok: boolean) => void> = []

  constructor(mux: Protomux, opts: ChannelOptions) {
    this.mux = mux
    this.opts = opts
    this.protocol = opts.protocol
    this.aliases = opts.aliases ?? []
    this.id = opts.id ?? null
    this.userData = opts.userData ?? null
    for (const m of opts.messages ?? []) this.addMessage(m)
  }

  /** Adds a message type (its index is its wire type); `null` skips an index. */
  addMessage<T>(opts: MessageOptions<T> | null): ChannelMessage<T> {
    const type = this.messages.length
    const encoding = (opts?.encoding ?? raw) as unknown as Codec<T, T>
    const onmessage = opts?.onmessage ?? null
    const typeLength = encodingLength(uint, type)
    const message: ChannelMessage<T> = {
      type,
      send: (m: T) => {
        if (this.closed || this.localId === 0) return false
        const s: State = { start: 0, end: typeLength, buffer: EMPTY }
        encoding.preencode(s, m)
        if (this.mux.batching) {
          s.buffer = new Uint8Array(s.end)
          uint.encode(s, type)
          encoding.encode(s, m)
          this.mux.pushBatch(this.localId, s.buffer)
          return true
        }
        uint.preencode(s, this.localId)
        s.buffer = new Uint8Array(s.end)
        uint.encode(s, this.localId)
        uint.encode(s, type)
        encoding.encode(s, m)
        return this.mux.write(s.buffer)
      },
      recv: (s: State, channel: Channel) => {
        const value = encoding.decode(s)
        return onmessage ? onmessage(value, channel) : undefined
      }
    }
    this.messages.push(message)
    return message
  }

  /** Sends our `open` (with `handshake`); the channel opens when the remote's arrives. */
  open(handshake?: unknown): void {
    this.mux.openChannel(this, handshake)
  }

  /** Resolves true once open, false if it closed first. */
  fullyOpened(): Promise<boolean> {
    if (this.opened) return Promise.resolve(true)
    if (this.closed) return Promise.resolve(false)
    return new Promise((resolve) => this.#openedWaiters.push(resolve))
  }

  /** @internal */
  resolveOpened(ok: boolean): void {
    const waiters = this.#openedWaiters
    this.#openedWaiters = []
    for (const w of waiters) w(ok)
  }

  get drained(): boolean {
    return this.mux.drained
  }

  cork(): void {
    this.mux.cork()
  }

  uncork(): void {
    this.mux.uncork()
  }

  /** Closes the channel (the stream and other channels stay up). */
  close(): void {
    this.mux.closeChannel(this)
  }
}

const EMPTY = new Uint8Array(0)
