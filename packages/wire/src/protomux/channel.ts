/**
 * A protomux channel: one protocol instance (protocol name + optional id) over a shared mux. It
 * opens when both sides have sent `open`; its typed messages are addressed by their index.
 */
import { type Codec, encodingLength, raw, type State, uint } from '@orchard/codec'
import type { Protomux } from './mux.ts'

/** A handler's return: sync, or a promise whose rejection destroys the stream. @internal */
type Maybe = void | Promise<unknown>

/** One message type of a channel. */
export interface MessageOptions<T = unknown> {
  /** How messages of this type are encoded. Default: the raw bytes. */
  encoding?: Codec<T, T>
  /** Called with each decoded message; a rejected promise destroys the stream. */
  onmessage?: (message: T, channel: Channel) => Maybe
}

/** Options of {@link Protomux.createChannel}. */
export interface ChannelOptions {
  /** The protocol name both sides open the channel under (e.g. `'hypercore/alpha'`). */
  protocol: string
  /** Other protocol names the remote may open this channel under. */
  aliases?: string[]
  /** Tells channels of one protocol apart (hypercore uses the discovery key). Default null. */
  id?: Uint8Array | null
  /** Refuse a second open channel for the same protocol+id (default true). */
  unique?: boolean
  /** The codec of the payload sent with `open`; the remote's arrives as `onopen`'s first argument. */
  // biome-ignore lint/suspicious/noExplicitAny: each channel picks its own handshake type
  handshake?: Codec<any, any> | null
  /** The channel's message types; a message's index is its wire type. */
  // biome-ignore lint/suspicious/noExplicitAny: messages of different types in one list
  messages?: Array<MessageOptions<any> | null>
  /** Called once both sides have opened, with the remote's handshake. */
  onopen?: (handshake: unknown, channel: Channel) => Maybe
  /** Called once when the channel closes; `isRemote` says which side closed it. */
  onclose?: (isRemote: boolean, channel: Channel) => Maybe
  /** Called after `onclose`, when the channel is gone for good. */
  ondestroy?: (channel: Channel) => Maybe
  /** Called when the stream drains after a send returned false. */
  ondrain?: (channel: Channel) => Maybe
  /** A message of a type this channel does not define (protomux ignores those by default). */
  onunknown?: (type: number, channel: Channel) => Maybe
  /** Free for the caller; kept as {@link Channel.userData}. */
  userData?: unknown
}

/** A message type of a channel, from {@link Channel.addMessage}. */
export interface ChannelMessage<T = unknown> {
  /** The message's wire type (its index in the channel's list). */
  readonly type: number
  /** Sends `message` on this channel; false when the stream asks us to wait for drain. */
  send(message: T): boolean
  /** @internal */
  recv(state: State, channel: Channel): Maybe
}

/**
 * One protocol instance over a {@link Protomux}; create it with {@link Protomux.createChannel}, then `open`
 * it.
 */
export class Channel {
  /** The mux the channel lives on. */
  readonly mux: Protomux
  /** The protocol name. */
  readonly protocol: string
  /** Other protocol names the remote may open it under. */
  readonly aliases: string[]
  /** The channel id, or null. */
  readonly id: Uint8Array | null
  /** The message types, by wire type. */
  // biome-ignore lint/suspicious/noExplicitAny: messages of different types; `addMessage` keeps each typed
  readonly messages: ChannelMessage<any>[] = []
  /** Free for the caller (from `ChannelOptions.userData`). */
  userData: unknown
  /** The remote's decoded handshake, once open. */
  handshake: unknown = null
  /** True once both sides opened. */
  opened = false
  /** True once closed (by either side, or because the stream went away). */
  closed = false
  /** True once the channel is gone for good. */
  destroyed = false
  /** @internal */ localId = 0
  /** @internal */ remoteId = 0
  /** @internal */ readonly opts: ChannelOptions
  #openedWaiters: Array<(ok: boolean) => void> = []

  /** Use {@link Protomux.createChannel}, which also pairs the channel with a remote open. */
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
          // encoded in place, straight into the batch
          const entry = this.mux.reserveBatch(this.localId, s.end)
          uint.encode(entry, type)
          encoding.encode(entry, m)
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

  /** False while the stream's write buffer is full (wait for `ondrain`). */
  get drained(): boolean {
    return this.mux.drained
  }

  /** Batches this mux's sends until `uncork` (see {@link Protomux.cork}). */
  cork(): void {
    this.mux.cork()
  }

  /** Sends what was batched since `cork`, as one message. */
  uncork(): void {
    this.mux.uncork()
  }

  /** Closes the channel (the stream and other channels stay up). */
  close(): void {
    this.mux.closeChannel(this)
  }
}

const EMPTY = new Uint8Array(0)
