/**
 * Protomux, wire-compatible with `protomux` 3: many channels over one message stream. Every
 * message is `uint channelId ‖ uint type ‖ payload`, the channel id being the sender's local id;
 * channel 0 carries control messages (0 batch, 1 open, 2 reject, 3 close). Cork/uncork packs sends
 * into batch messages (of up to 64 KiB each, encoded in place). What the remote sends is bounded:
 * ids may only grow by one, messages for a channel we have not opened yet are buffered up to a
 * limit, and anything malformed destroys the stream with a typed error.
 */
import { type Codec, encodingLength, optionalBuffer, type State, uint, utf8 } from '@orchard/codec'
import type { Duplex } from '../duplex.ts'
import { WireError } from '../errors.ts'
import { Channel, type ChannelOptions } from './channel.ts'

/** Bytes of messages buffered for not-yet-opened channels before the remote is cut off. */
export const MAX_BUFFERED = 4 * 1024 * 1024
/** Channels the remote may have open (or pending) at once. */
export const MAX_REMOTE_CHANNELS = 65536
/**
 * A corked batch is encoded straight into a buffer of at most this many bytes (bigger only for a
 * single larger message); when the next message does not fit, the buffer goes out as one batch
 * message and the rest follows in another. So no message is copied from its own buffer into the
 * batch, and frames stay well under a relay's 4 MiB limit.
 */
const BATCH_BYTES = 64 * 1024
/** The first buffer of a batch: small batches (a few requests) stay small. */
const FIRST_BATCH_BYTES = 1024

/** A handler's return: sync, or a promise whose rejection destroys the stream. @internal */
type Maybe = void | Promise<unknown>

interface RemoteSlot {
  /** The open payload, until our channel decodes it. */
  state: State | null
  /** Messages that arrived before our channel opened. */
  pending: Array<{ type: number; state: State }> | null
  channel: Channel | null
}

interface Info {
  key: string
  aliases: string[]
  opened: number
  pairing: number
  /** Remote ids waiting for us to open (their `open` arrived first). */
  incoming: number[]
  /** Our local ids waiting for the remote's `open`. */
  outgoing: number[]
}

/** Called when the remote opens a channel we have not: with its id, to create and open ours. */
export type PairHandler = (id: Uint8Array | null) => Maybe

/** The stream protomux needs: chunks are whole messages; `userData` finds the mux again. */
export type MessageStream = Duplex

/**
 * Many protocol channels over one message stream (a {@link SecretStream}), wire-compatible with `protomux` 3.
 * Use {@link Protomux.from} to share one mux per stream.
 */
export class Protomux {
  /** The message stream the mux runs on. */
  readonly stream: MessageStream
  /** False while the stream's write buffer is full. */
  drained = true
  #corked = 0
  /** The batch message being encoded while corked (null: none started). */
  #batch: Uint8Array | null = null
  /** Bytes of `#batch` used. */
  #batchUsed = 0
  /** The channel of the batch's last entry (-1: no entry yet). */
  #batchChannel = -1
  /** The bytes the batch being encoded may take (its buffer may be a larger spare). */
  #batchLimit = 0
  /** The size of the next batch. */
  #nextBatchBytes = FIRST_BATCH_BYTES
  /**
   * A sent batch buffer to encode the next batch into, kept when the stream copies what it is
   * written (a secret-stream encrypts it into a frame of its own): a replicating writer otherwise
   * allocated a fresh 64 KiB buffer every few blocks.
   */
  #spare: Uint8Array | null = null
  #local: Array<Channel | null> = []
  #free: number[] = []
  #remote: Array<RemoteSlot | null> = []
  #infos = new Map<string, Info>()
  #notify = new Map<string, PairHandler>()
  #buffered = 0
  #destroying = false

  /** Attaches a mux to `stream`; prefer {@link Protomux.from}, which reuses the stream's mux. */
  constructor(stream: MessageStream) {
    this.stream = stream
    if (stream.userData === null || stream.userData === undefined) stream.userData = this
    stream.on('data', (m) => this.#ondata(m))
    stream.on('drain', () => this.#ondrain())
    stream.on('end', () => stream.end())
    stream.on('close', () => this.#shutdown())
    // as protomux does: a stream error ends in 'close', where every channel learns of it, so the
    // error event itself needs no other listener (a foreign streamx stream would throw without one)
    stream.on('error', () => {})
  }

  /** The mux attached to `stream`, creating it on first use. */
  static from(stream: MessageStream): Protomux {
    if (stream.userData instanceof Protomux) return stream.userData
    return new Protomux(stream)
  }

  /** True between `cork` and the matching `uncork`. */
  get batching(): boolean {
    return this.#corked > 0
  }

  /** The channels opened (or opening) locally. */
  *[Symbol.iterator](): Generator<Channel> {
    for (const c of this.#local) if (c !== null) yield c
  }

  /** Collects the sends of every channel into one batch message until the matching `uncork` (calls nest). */
  cork(): void {
    this.#corked++
  }

  /** Ends a `cork`; the outermost one sends the batch. */
  uncork(): void {
    if (this.#corked === 0) return
    if (--this.#corked === 0) this.#sendBatch()
  }

  /** Calls `handler` when the remote opens `protocol` (with `id`, or any id) we have not opened. */
  pair({ protocol, id = null }: { protocol: string; id?: Uint8Array | null }, handler: PairHandler): void {
    this.#notify.set(toKey(protocol, id), handler)
  }

  /** Stops notifying about remote opens of `protocol` + `id`. */
  unpair({ protocol, id = null }: { protocol: string; id?: Uint8Array | null }): void {
    this.#notify.delete(toKey(protocol, id))
  }

  /** Whether a channel for `protocol`+`id` is open (or opening). */
  opened({ protocol, id = null }: { protocol: string; id?: Uint8Array | null }): boolean {
    return (this.#infos.get(toKey(protocol, id))?.opened ?? 0) > 0
  }

  /** A new channel, or null when the stream is gone or a unique channel already exists. */
  createChannel(opts: ChannelOptions): Channel | null {
    if (this.stream.destroyed) return null
    const info = this.#info(opts.protocol, opts.id ?? null, opts.aliases ?? [])
    if (opts.unique !== false && info.opened > 0) return null
    const channel = new Channel(this, opts)
    const remoteId = info.incoming.shift()
    if (remoteId !== undefined) {
      const slot = this.#remote[remoteId - 1]
      if (!slot) return null
      channel.remoteId = remoteId
      slot.channel = channel
      queueMicrotask(() => this.#fullyOpenOrDestroy(channel))
    }
    return channel
  }

  /** Destroys the stream, closing every channel. */
  destroy(err?: Error): void {
    this.#destroying = true
    this.stream.destroy(err)
  }

  // --- sending ------------------------------------------------------------------------------------

  /** @internal */
  write(message: Uint8Array): boolean {
    this.drained = this.stream.write(message)
    return this.drained
  }

  /** @internal Queues a batch entry (`uint type ‖ payload`) for channel `localId`. */
  pushBatch(localId: number, entry: Uint8Array): void {
    const s = this.reserveBatch(localId, entry.byteLength)
    s.buffer.set(entry, s.start)
  }

  /**
   * @internal Makes room in the batch for an entry of `length` bytes for channel `localId` and
   * returns where to encode it (`start` to `end` of `buffer`), to be filled before anything else
   * is sent.
   */
  reserveBatch(localId: number, length: number): State {
    const lengthBytes = encodingLength(uint, length)
    let batch = this.#batch
    // a new channel in a batch is `00 ‖ uint id`; a new batch starts `00 00 ‖ uint id`
    let need = (this.#batchChannel === localId ? 0 : 1 + encodingLength(uint, localId)) + lengthBytes + length
    if (batch !== null && this.#batchUsed + need > this.#batchLimit) {
      const used = this.#batchUsed
      this.#sendBatch()
      batch = null
      // the next buffer grows with the batch, up to BATCH_BYTES
      this.#nextBatchBytes = Math.min(BATCH_BYTES, used * 2)
    }
    if (batch === null) {
      need = 2 + encodingLength(uint, localId) + lengthBytes + length
      // a batch holds what its place in the growth allows, whatever buffer it is encoded into: small
      // first frames reach the remote sooner, and it starts on them while the rest is encoded
      const limit = Math.max(need, this.#nextBatchBytes)
      const spare = this.#spare
      if (spare !== null && spare.byteLength >= limit) {
        batch = spare
        this.#spare = null
      } else {
        batch = new Uint8Array(limit)
      }
      this.#batch = batch
      this.#batchLimit = limit
      batch[0] = 0 // the control channel (a spare holds an old batch); batch[1] = 0 (batch) follows below
      this.#batchUsed = 1 // #batchChannel is -1 since the last batch was sent
    }
    const s: State = { start: this.#batchUsed, end: this.#batchLimit, buffer: batch }
    if (this.#batchChannel !== localId) {
      s.buffer[s.start++] = 0
      uint.encode(s, localId)
      this.#batchChannel = localId
    }
    uint.encode(s, length)
    this.#batchUsed = s.start + length
    s.end = this.#batchUsed
    return s
  }

  /** Sends the batch encoded so far, if any. */
  #sendBatch(): void {
    const batch = this.#batch
    if (batch === null) return
    const used = this.#batchUsed
    this.#batch = null
    this.#batchUsed = 0
    this.#batchChannel = -1
    this.#nextBatchBytes = FIRST_BATCH_BYTES
    this.write(batch.subarray(0, used))
    if (this.stream.writesCopied && batch.byteLength <= BATCH_BYTES) {
      if (this.#spare === null || this.#spare.byteLength < batch.byteLength) this.#spare = batch
    }
  }

  /** Control messages go out as `00 ‖ type ‖ payload`, or into the batch as `type ‖ payload`. */
  #control(type: number, encode: (s: State) => void, size: number): void {
    const s: State = { start: 2, end: 2 + size, buffer: new Uint8Array(2 + size) }
    s.buffer[1] = type
    encode(s)
    if (this.#corked > 0) this.pushBatch(0, s.buffer.subarray(1))
    else this.write(s.buffer)
  }

  /** @internal */
  openChannel(channel: Channel, handshake: unknown): void {
    if (channel.localId !== 0 || channel.closed) return
    const index = this.#free.length > 0 ? this.#free.pop()! : this.#local.push(null) - 1
    channel.localId = index + 1
    this.#local[index] = channel
    const info = this.#info(channel.protocol, channel.id, channel.aliases)
    info.opened++
    if (channel.remoteId === 0) info.outgoing.push(channel.localId)
    const hs = channel.opts.handshake as Codec<unknown, unknown> | null | undefined
    const sizer: State = { start: 0, end: 0, buffer: EMPTY }
    uint.preencode(sizer, channel.localId)
    utf8.preencode(sizer, channel.protocol)
    optionalBuffer.preencode(sizer, channel.id)
    if (hs) hs.preencode(sizer, handshake)
    this.#control(
      1,
      (s) => {
        uint.encode(s, channel.localId)
        utf8.encode(s, channel.protocol)
        optionalBuffer.encode(s, channel.id)
        if (hs) hs.encode(s, handshake)
      },
      sizer.end
    )
  }

  /** @internal */
  closeChannel(channel: Channel): void {
    if (channel.closed) return
    const localId = channel.localId
    this.#close(channel, false)
    if (localId === 0) return
    this.#control(3, (s) => uint.encode(s, localId), encodingLength(uint, localId))
  }

  // --- receiving ----------------------------------------------------------------------------------

  #ondata(message: Uint8Array): void {
    if (message.byteLength === 0) return
    try {
      const s: State = { start: 0, end: message.byteLength, buffer: message }
      this.#decode(uint.decode(s), s)
    } catch (err) {
      this.#fail(err)
    }
  }

  #fail(err: unknown): void {
    if (this.#destroying) return
    this.#destroying = true
    const e =
      err instanceof Error && 'code' in err
        ? err
        : new WireError('PROTOCOL_ERROR', `invalid protomux message: ${(err as Error)?.message ?? err}`, {
            cause: err
          })
    this.stream.destroy(e as Error)
  }

  #track(p: Maybe): Maybe {
    if (p && typeof (p as Promise<unknown>).then === 'function') {
      return (p as Promise<unknown>).then(undefined, (err) => this.#fail(err))
    }
    return undefined
  }

  #decode(remoteId: number, s: State): Maybe {
    const type = uint.decode(s)
    if (remoteId === 0) return this.#oncontrol(type, s)
    const slot = remoteId <= this.#remote.length ? this.#remote[remoteId - 1] : null
    if (!slot) return undefined // a closed channel: stray pipeline messages are fine
    if (slot.pending !== null) {
      // copy: the message buffer is reused by nobody, but keep our own view bounded
      const copy = { start: s.start, end: s.end, buffer: s.buffer }
      slot.pending.push({ type, state: copy })
      this.#buffered += 512 + (s.end - s.start)
      if (this.#buffered > MAX_BUFFERED) {
        throw new WireError('PROTOCOL_ERROR', 'the remote sent too much to channels we have not opened')
      }
      return undefined
    }
    const channel = slot.channel!
    if (type >= channel.messages.length) return this.#track(channel.opts.onunknown?.(type, channel))
    return this.#track(channel.messages[type]!.recv(s, channel))
  }

  #oncontrol(type: number, s: State): Maybe {
    switch (type) {
      case 0:
        this.#onbatch(s)
        return undefined
      case 1:
        return this.#onopen(s)
      case 2:
        this.#onreject(s)
        return undefined
      case 3:
        this.#onclose(s)
        return undefined
      default:
        return undefined // unknown control messages are ignored, as protomux does
    }
  }

  #onbatch(s: State): void {
    const end = s.end
    let remoteId = uint.decode(s)
    let waiting: Promise<unknown>[] | null = null
    while (s.start < end) {
      const len = uint.decode(s)
      if (len === 0) {
        remoteId = uint.decode(s)
        continue
      }
      if (s.start + len > end) throw new WireError('PROTOCOL_ERROR', 'a batch entry runs past the message')
      s.end = s.start + len
      // a batch of several messages: cork so our replies go back as a batch too
      if (s.end !== end && waiting === null) {
        waiting = []
        this.cork()
      }
      const p = this.#decode(remoteId, s)
      if (waiting !== null && p) waiting.push(p as Promise<unknown>)
      s.start = s.end
      s.end = end
    }
    if (waiting !== null) {
      Promise.all(waiting).then(
        () => this.uncork(),
        (err) => this.#fail(err)
      )
    }
  }

  #onopen(s: State): Maybe {
    const remoteId = uint.decode(s)
    const protocol = utf8.decode(s)
    const idView = optionalBuffer.decode(s)
    const id = idView ? idView.slice() : null
    if (remoteId === 0) {
      this.#reject(0)
      return undefined
    }
    const rid = remoteId - 1
    if (rid === this.#remote.length) {
      if (this.#remote.length >= MAX_REMOTE_CHANNELS)
        throw new WireError('PROTOCOL_ERROR', 'the remote opened too many channels')
      this.#remote.push(null)
    }
    if (rid >= this.#remote.length || this.#remote[rid] !== null) {
      throw new WireError('PROTOCOL_ERROR', `invalid open: channel id ${remoteId} is not the next free one`)
    }
    const info = this.#info(protocol, id, [])
    const localId = info.outgoing.shift()
    if (localId !== undefined) {
      const channel = this.#local[localId - 1]
      if (!channel) {
        this.#free.push(localId - 1) // we closed it meanwhile
        return undefined
      }
      this.#remote[rid] = { state: { start: s.start, end: s.end, buffer: s.buffer }, pending: null, channel }
      channel.remoteId = remoteId
      this.#fullyOpen(channel)
      return undefined
    }
    this.#remote[rid] = {
      state: { start: s.start, end: s.end, buffer: s.buffer },
      pending: [],
      channel: null
    }
    info.pairing++
    info.incoming.push(remoteId)
    return this.#requestChannel(protocol, id, info)
  }

  async #requestChannel(protocol: string, id: Uint8Array | null, info: Info): Promise<void> {
    const notify = this.#notify.get(toKey(protocol, id)) ?? this.#notify.get(toKey(protocol, null))
    if (notify) await notify(id)
    if (--info.pairing > 0) return
    // nobody opened it: reject what is still waiting
    while (info.incoming.length > 0) this.#reject(info.incoming.shift()!)
    this.#gc(info)
  }

  #reject(remoteId: number): void {
    if (remoteId > 0) {
      const slot = this.#remote[remoteId - 1]
      if (slot?.pending) for (const p of slot.pending) this.#buffered -= 512 + (p.state.end - p.state.start)
      this.#remote[remoteId - 1] = null
    }
    this.#control(2, (s) => uint.encode(s, remoteId), encodingLength(uint, remoteId))
  }

  #onreject(s: State): void {
    const localId = uint.decode(s)
    for (const info of new Set(this.#infos.values())) {
      const i = info.outgoing.indexOf(localId)
      if (i === -1) continue
      info.outgoing.splice(i, 1)
      const channel = this.#local[localId - 1]
      // the id is free again exactly once: closing the channel (no longer outgoing) frees it,
      // and a channel we closed meanwhile left it taken for this reject to free
      if (channel) this.#close(channel, true)
      else this.#free.push(localId - 1)
      this.#gc(info)
      return
    }
    throw new WireError('PROTOCOL_ERROR', `reject for channel ${localId}, which we are not opening`)
  }

  #onclose(s: State): void {
    const remoteId = uint.decode(s)
    if (remoteId === 0) return
    const slot = remoteId <= this.#remote.length ? this.#remote[remoteId - 1] : null
    if (slot?.channel) this.#close(slot.channel, true)
  }

  #fullyOpenOrDestroy(channel: Channel): void {
    try {
      this.#fullyOpen(channel)
    } catch (err) {
      this.#fail(err)
    }
  }

  #fullyOpen(channel: Channel): void {
    if (channel.opened || channel.closed) return
    const slot = this.#remote[channel.remoteId - 1]!
    const hs = channel.opts.handshake
    channel.handshake = hs ? hs.decode(slot.state!) : null
    this.#track(channel.opts.onopen?.(channel.handshake, channel))
    slot.channel = channel
    slot.state = null
    const pending = slot.pending
    slot.pending = null
    if (pending) {
      for (const p of pending) {
        this.#buffered -= 512 + (p.state.end - p.state.start)
        if (p.type < channel.messages.length) this.#track(channel.messages[p.type]!.recv(p.state, channel))
        else this.#track(channel.opts.onunknown?.(p.type, channel))
        if (this.#destroying) return
      }
    }
    channel.opened = true
    channel.resolveOpened(true)
  }

  #close(channel: Channel, isRemote: boolean): void {
    if (channel.closed) return
    channel.closed = true
    const info = this.#info(channel.protocol, channel.id, channel.aliases)
    if (channel.localId > 0) info.opened--
    if (channel.remoteId > 0) {
      this.#remote[channel.remoteId - 1] = null
      channel.remoteId = 0
      this.#free.push(channel.localId - 1)
    } else if (channel.localId > 0) {
      // not acknowledged yet: the id stays taken until the remote's open or reject arrives
      const i = info.outgoing.indexOf(channel.localId)
      if (i === -1) this.#free.push(channel.localId - 1)
    }
    if (channel.localId > 0) this.#local[channel.localId - 1] = null
    channel.localId = 0
    this.#gc(info)
    this.#track(channel.opts.onclose?.(isRemote, channel))
    channel.destroyed = true
    this.#track(channel.opts.ondestroy?.(channel))
    channel.resolveOpened(false)
  }

  #ondrain(): void {
    this.drained = true
    for (const c of this.#local) if (c !== null) this.#track(c.opts.ondrain?.(c))
  }

  #shutdown(): void {
    this.#destroying = true
    for (const c of this.#local) if (c !== null) this.#close(c, true)
  }

  #info(protocol: string, id: Uint8Array | null, aliases: string[]): Info {
    const key = toKey(protocol, id)
    let info = this.#infos.get(key)
    if (info) return info
    info = { key, aliases: [], opened: 0, pairing: 0, incoming: [], outgoing: [] }
    this.#infos.set(key, info)
    for (const alias of aliases) {
      const k = toKey(alias, id)
      info.aliases.push(k)
      this.#infos.set(k, info)
    }
    return info
  }

  #gc(info: Info): void {
    if (info.opened === 0 && info.outgoing.length === 0 && info.incoming.length === 0 && info.pairing === 0) {
      this.#infos.delete(info.key)
      for (const a of info.aliases) this.#infos.delete(a)
    }
  }
}

const EMPTY = new Uint8Array(0)
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

function toKey(protocol: string, id: Uint8Array | null): string {
  let hex = ''
  if (id) for (const b of id) hex += HEX[b]
  return `${protocol}##${hex}`
}
