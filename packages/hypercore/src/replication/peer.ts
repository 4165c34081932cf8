/**
 * One peer of one core: the channel's protocol state machine. It answers the peer's requests with
 * proofs, tracks what the peer has (sync, range, bitfield), and carries the requests the
 * replicator assigns to it. Every message from the peer is untrusted: anything an honest hypercore
 * would never send drops the peer with a typed error, and nothing it sends reaches storage unverified.
 */
import { nextTask } from '@orchard/events'
import { equal } from '../bytes.ts'
import { replicationCapability } from '../caps.ts'
import type { Core } from '../core.ts'
import { HypercoreError, InvalidCapabilityError, InvalidOperationError, ProtocolError } from '../errors.ts'
import * as flat from '../flat-tree.ts'
import type { Proof } from '../merkle/proof.ts'
import { MAX_BLOCKS } from '../merkle/verify.ts'
import type { ReplicationChannel } from './channel.ts'
import {
  type DataMessage,
  type Handshake,
  INVALID_REQUEST,
  NOT_AVAILABLE,
  type RequestMessage,
  type SyncMessage,
  MESSAGE_TYPES as T
} from './messages.ts'
import { RemoteBitfield } from './remote-bitfield.ts'
import type { Replicator } from './replicator.ts'

/** Requests a peer may have queued with us before it is a storm. */
export const MAX_REMOTE_REQUESTS = 4096
/** Invalid requests tolerated before the peer is dropped. */
export const MAX_INVALID_REQUESTS = 16
/** Unsolicited data messages tolerated before the peer is dropped. */
export const MAX_UNSOLICITED = 64

/** A message to send back for a request. */
interface Reply {
  type: (typeof T)[keyof typeof T]
  message: unknown
}

/** A request we sent and await data for. */
export interface Inflight {
  id: number
  peer: Peer
  /** Block index requested, or -1. */
  block: number
  /** Whether it carries an upgrade request. */
  upgrade: boolean
  /** A fork (reorg) proof request. */
  reorg: boolean
  /** A hash request (reorg descent). */
  hash: number
  fork: number
  /** When it was sent (for the replicator's timeout sweep). */
  sentAt: number
  resolve: ((data: DataMessage | null) => void) | null
  /** Proof levels asked with a block request (-1 for other requests). */
  nodes: number
  /** Whether those levels stop at a node an earlier request in flight brings (see promised.ts). */
  assumes: boolean
}

/** What a session's {@link Hypercore.peers} tells about each peer replicating the core. */
export interface HypercorePeer {
  /** The remote's static public key, where the connection knows it. */
  readonly remotePublicKey: Uint8Array | null
  /** The remote's length of the core (its last announced upgrade). */
  readonly remoteLength: number
  /** How many leading blocks the remote says it holds. */
  readonly remoteContiguousLength: number
}

export class Peer implements HypercorePeer {
  readonly replicator: Replicator
  readonly core: Core
  readonly channel: ReplicationChannel
  remoteOpened = false
  removed = false
  remoteFork = 0
  remoteLength = 0
  remoteCanUpgrade = false
  remoteUploading = true
  remoteDownloading = true
  remoteHasManifest = false
  remoteSynced = false
  /** Our length as the peer last acknowledged it. */
  lengthAcked = 0
  readonly remote = new RemoteBitfield()
  readonly inflight = new Map<number, Inflight>()
  /** The request window filled up and has not drained by a refill's worth yet (`peer-choice.ts`). */
  windowFull = false
  /** Block indexes this peer answered "not available" for (don't ask again until it announces). */
  readonly notAvailable = new Set<number>()
  /** Ranges the peer asked us about with `want` (we announce new blocks in them). */
  readonly remoteWants: Array<{ start: number; end: number }> = []
  #freeIds: number[] = []
  #nextId = 1
  #queue: RequestMessage[] = []
  /** Ids of requests being answered right now (a cancel removes them: no reply is sent). */
  #answering = new Set<number>()
  #handling = false
  #invalidRequests = 0
  #unsolicited = 0
  #lastExtensionSent = ''
  #lastExtensionRecv = ''
  /**
   * The longest remote length (on `lastUpgradableFork`) whose roots our tree holds: the peer's
   * proofs up to it connect to our tree, so we may ask it for blocks below it.
   */
  lastUpgradableLength = 0
  lastUpgradableFork = -1
  /** The peer's handshake says it answers seek requests. */
  remoteSeeks = false

  get remotePublicKey(): Uint8Array | null {
    return this.channel.remotePublicKey
  }

  get remoteContiguousLength(): number {
    return this.remote.contiguous
  }
  /** The remote length for which `canUpgrade` was computed. */
  #canUpgradeFor = -1
  #canUpgrade = true

  constructor(replicator: Replicator, channel: ReplicationChannel) {
    this.replicator = replicator
    this.core = replicator.core
    this.channel = channel
  }

  /** Our channel handshake: the capability for our side of this stream. */
  handshake(): Handshake {
    return {
      seeks: true,
      capability: replicationCapability(this.channel.isInitiator, this.core.key, this.channel.handshakeHash)
    }
  }

  /** Drops the peer with `err` (it broke the protocol or sent invalid data). */
  drop(err: Error): void {
    if (this.removed) return
    this.replicator.onPeerError(this, err)
    this.channel.destroy(err)
  }

  // --- open / close -------------------------------------------------------------------------------

  onopen(remote: Handshake): void {
    const expected = replicationCapability(
      !this.channel.isInitiator,
      this.core.key,
      this.channel.handshakeHash
    )
    if (!equal(remote.capability, expected)) {
      throw new InvalidCapabilityError('the peer does not know this core’s key (bad replication capability)')
    }
    if (this.remoteOpened) return
    this.remoteOpened = true
    this.remoteSeeks = remote.seeks === true
    this.channel.cork()
    this.sendSync()
    const contig = Math.min(this.core.length, this.core.contiguousLength)
    if (contig > 0) this.channel.send(T.range, { drop: false, start: 0, length: contig })
    this.channel.uncork()
    this.replicator.addPeer(this)
  }

  onclose(): void {
    if (this.removed) return
    this.removed = true
    this.#queue = []
    const abandoned = [...this.inflight.values()]
    this.inflight.clear()
    this.replicator.removePeer(this, abandoned)
  }

  // --- sync ---------------------------------------------------------------------------------------

  sendSync(): void {
    const core = this.core
    const sameFork = core.fork === this.remoteFork
    this.channel.send(T.sync, {
      fork: core.fork,
      length: core.length,
      remoteLength: sameFork ? this.remoteLength : 0,
      canUpgrade: sameFork && this.#canUpgradeNow(),
      uploading: true,
      downloading: this.replicator.downloading,
      hasManifest: core.manifest !== null && !core.compat,
      allowPush: false
    })
  }

  /** Whether we can prove an upgrade from the peer's length (we hold the roots at its length). */
  #canUpgradeNow(): boolean {
    const core = this.core
    if (this.remoteLength === 0) return true
    if (this.remoteLength >= core.length) return false
    if (this.#canUpgradeFor !== this.remoteLength) {
      const remoteLength = this.remoteLength
      this.#canUpgradeFor = remoteLength
      this.#canUpgrade = true
      const fork = core.fork
      // roots at the peer's length must be stored; check in the background, re-sync if not
      core.tree.rootsAt(remoteLength).then(
        () => {
          if (this.#canUpgradeFor !== remoteLength || this.removed || core.fork !== fork) return
          this.lastUpgradableLength = remoteLength
          this.lastUpgradableFork = fork
          this.replicator.update()
        },
        () => {
          if (this.#canUpgradeFor === remoteLength) {
            this.#canUpgrade = false
            if (!this.removed) this.sendSync()
          }
        }
      )
    }
    return this.#canUpgrade
  }

  /**
   * Whether the peer's proof for a block would connect to our tree (as hypercore's
   * `_canRequest`): it is at least as long as we are, or we hold the roots at its length.
   */
  canRequest(index: number): boolean {
    const core = this.core
    if (this.remoteLength >= core.length) return true
    if (index < this.lastUpgradableLength && this.lastUpgradableFork === core.fork) return true
    // the block's proof climbs to the first node we hold: if that node lies inside the peer's
    // tree, the peer can send the path to it even though it is shorter than we are
    const missing = core.tree.missingNodesCached(2 * index)
    if (missing !== null && index < this.remoteLength) {
      let node = 2 * index
      for (let i = 0; i < missing; i++) node = flat.parent(node)
      if (flat.rightSpan(node) < 2 * this.remoteLength) return true
    }
    this.#canUpgradeNow() // starts the roots check; a success schedules another pass
    return false
  }

  onsync(m: SyncMessage): void {
    if (m.length > MAX_BLOCKS) throw new ProtocolError(`the peer claims a length of ${m.length}`)
    const lengthChanged = m.length !== this.remoteLength
    const forkChanged = m.fork !== this.remoteFork
    if (forkChanged) this.remote.truncate(0)
    else if (m.length < this.remoteLength) this.remote.truncate(m.length)
    this.remoteSynced = true
    this.remoteFork = m.fork
    this.remoteLength = m.length
    this.remoteCanUpgrade = m.canUpgrade
    this.remoteUploading = m.uploading
    this.remoteDownloading = m.downloading
    this.remoteHasManifest = m.hasManifest
    this.lengthAcked = m.fork === this.core.fork ? m.remoteLength : 0

    if (!m.downloading && !this.replicator.downloading) {
      // neither side wants anything: let the channel go, as hypercore does
      this.channel.close()
      return
    }
    // tell a lagging peer our length (this also acknowledges its own, which it waits for)
    if (this.core.fork === m.fork && this.core.length > m.length) this.sendSync()
    this.replicator.onPeerUpdate(this, lengthChanged || forkChanged)
  }

  // --- the peer's requests ------------------------------------------------------------------------

  onrequest(m: RequestMessage): void {
    if (this.#queue.length >= MAX_REMOTE_REQUESTS) {
      throw new ProtocolError(`request storm: the peer has ${this.#queue.length} requests queued`)
    }
    // a request reusing an id replaces the old one
    const i = this.#queue.findIndex((q) => q.id === m.id)
    if (i !== -1) this.#queue.splice(i, 1)
    this.#queue.push(m)
    if (!this.#handling) void this.#handleRequests()
  }

  oncancel(m: { request: number }): void {
    const i = this.#queue.findIndex((q) => q.id === m.request)
    if (i !== -1) this.#queue.splice(i, 1)
    this.#answering.delete(m.request)
  }

  async #handleRequests(): Promise<void> {
    this.#handling = true
    try {
      while (this.#queue.length > 0 && !this.removed) {
        // prepare a batch concurrently (their storage reads overlap), send in order, corked
        const batch = this.#queue.splice(0, 64)
        for (const m of batch) this.#answering.add(m.id)
        const fast = await this.#plainBlockAnswers(batch)
        // settle every answer: one failing (and dropping the peer) must not leave others unobserved
        const answers = batch.map((m, i) =>
          fast[i] !== null
            ? fast[i]!
            : this.#answer(m).then(
                (reply) => ({ reply, error: null }),
                (error: unknown) => ({ reply: null, error })
              )
        )
        this.channel.cork()
        try {
          for (let i = 0; i < answers.length; i++) {
            const answer = answers[i]!
            const { reply, error } = answer instanceof Promise ? await answer : answer
            if (error) throw error
            const id = batch[i]!.id
            if (reply && !this.removed && this.#answering.delete(id)) this.#send(reply)
          }
        } finally {
          this.channel.uncork()
        }
        // the transport is full and what was just answered waits in it: let its refills run (over
        // WebRTC each is a `bufferedamountlow` task) before encoding more, or it runs dry meanwhile
        if (!this.channel.drained && this.#queue.length > 0) await nextTask()
      }
    } catch (err) {
      this.drop(err as Error)
    } finally {
      this.#handling = false
    }
  }

  /**
   * Answers for the lone block requests of a batch (the bulk of a download) from one storage read
   * and the node cache, without a promise per request; null for the others (and for any whose nodes
   * are not all cached), which {@link #answer} handles.
   */
  async #plainBlockAnswers(batch: RequestMessage[]): Promise<({ reply: Reply; error: null } | null)[]> {
    const out = new Array<{ reply: Reply; error: null } | null>(batch.length).fill(null)
    const plain: RequestMessage[] = []
    const at: number[] = []
    for (let i = 0; i < batch.length; i++) {
      const m = batch[i]!
      if (m.block === null || m.hash !== null || m.seek !== null || m.upgrade !== null || m.manifest) continue
      plain.push(m)
      at.push(i)
    }
    if (plain.length === 0) return out
    let proofs: (Proof | null)[]
    try {
      proofs = await this.core.cachedBlockProofs(plain)
    } catch {
      return out // the slow path reads (and reports) again
    }
    for (let k = 0; k < plain.length; k++) {
      const proof = proofs[k]!
      if (proof === null) continue
      const message = {
        request: plain[k]!.id,
        fork: proof.fork,
        block: proof.block,
        hash: null,
        seek: null,
        upgrade: null,
        manifest: null
      }
      out[at[k]!] = { reply: { type: T.data, message }, error: null }
    }
    return out
  }

  #send(reply: Reply): void {
    if (reply.type === T.data) {
      this.channel.send(T.data, reply.message)
      const block = (reply.message as { block?: { index: number; value: Uint8Array } | null }).block
      if (block) this.core.emit('upload', block.index, block.value.byteLength, this)
    } else {
      this.channel.send(reply.type, reply.message)
    }
  }

  /** The reply to one request (data, or noData), or null when cancelled meanwhile. */
  async #answer(m: RequestMessage): Promise<Reply | null> {
    let proof = null
    try {
      proof = await this.core.proofFor(m)
    } catch (err) {
      if (!(err instanceof InvalidOperationError)) throw err
      if (++this.#invalidRequests > MAX_INVALID_REQUESTS) {
        throw new ProtocolError(`the peer sent ${this.#invalidRequests} invalid requests`)
      }
      return { type: T.noData, message: { request: m.id, reason: INVALID_REQUEST } }
    }
    const manifest = m.manifest ? this.core.manifestForPeer() : null
    if (proof === null) {
      if (manifest) return { type: T.data, message: { request: m.id, fork: this.core.fork, manifest } }
      return { type: T.noData, message: { request: m.id, reason: NOT_AVAILABLE } }
    }
    return { type: T.data, message: { request: m.id, ...proof, manifest } }
  }

  // --- what the peer has --------------------------------------------------------------------------

  onrange(m: { drop: boolean; start: number; length: number }): void {
    if (m.start + m.length > MAX_BLOCKS)
      throw new ProtocolError(`range ${m.start}+${m.length} is out of bounds`)
    this.remote.range(m.start, m.length, m.drop)
    if (!m.drop && m.start === 0) this.replicator.onRemoteContiguous(this, m.length)
    if (!m.drop) this.#available(m.start, m.start + m.length)
    if (!m.drop) this.replicator.onPeerUpdate(this, false)
  }

  /** The peer now has `[start, end)`: blocks it once said it lacked may be asked for again. */
  #available(start: number, end: number): void {
    const missing = this.notAvailable
    if (missing.size === 0) return
    if (missing.size < end - start) {
      for (const i of missing) if (i >= start && i < end) missing.delete(i)
    } else {
      for (let i = start; i < end; i++) missing.delete(i)
    }
  }

  onbitfield(m: { start: number; bitfield: Uint32Array }): void {
    if (m.start % 32 !== 0) return // hypercore ignores misaligned bitfields
    if (m.start + 32 * m.bitfield.length > MAX_BLOCKS) throw new ProtocolError('bitfield out of bounds')
    this.remote.words(m.start, m.bitfield)
    this.notAvailable.clear()
    this.replicator.onPeerUpdate(this, false)
  }

  onwant(m: { start: number; length: number; any: boolean }): void {
    const core = this.core
    if (m.length === 0 || m.start + m.length > MAX_BLOCKS) return
    if (this.remoteWants.length < 256) this.remoteWants.push({ start: m.start, end: m.start + m.length })
    const contig = Math.min(core.length, core.contiguousLength)
    if (m.start + m.length < contig || core.length === contig || (m.any && m.start < contig)) {
      this.channel.send(T.range, { drop: false, start: 0, length: contig })
      return
    }
    const length = Math.min(m.length, core.length - m.start)
    if (length <= 0) return
    if (m.any) {
      const bit = core.bitfield.findFirst(true, m.start)
      if (bit !== -1 && bit < m.start + length)
        this.channel.send(T.range, { drop: false, start: bit, length: 1 })
      return
    }
    // bitfield words, 32-aligned, at most 2^21 bits per message
    const start = m.start - (m.start % 32)
    const words = Math.ceil((m.start + length - start) / 32)
    for (let w = 0; w < words; w += 65536) {
      const count = Math.min(65536, words - w)
      this.channel.send(T.bitfield, {
        start: start + 32 * w,
        bitfield: core.bitfield.words(start + 32 * w, count)
      })
    }
  }

  onunwant(m: { start: number; length: number }): void {
    const i = this.remoteWants.findIndex((w) => w.start === m.start && w.end === m.start + m.length)
    if (i !== -1) this.remoteWants.splice(i, 1)
  }

  /** Announces blocks `[start, start + length)` we now have (or dropped). */
  announce(start: number, length: number, drop: boolean): void {
    const core = this.core
    const fullyContiguous = core.contiguousLength === core.length
    if (!drop && fullyContiguous) {
      this.channel.send(T.range, { drop: false, start: 0, length: core.length })
      return
    }
    if (drop) {
      this.channel.send(T.range, { drop, start, length })
      return
    }
    // no news for a peer that has these blocks already (as hypercore: it would misread a range
    // from 0 as our contiguous prefix)
    if (this.remote.hasAll(start, start + length)) return
    const wanted = this.remoteWants.some((w) => w.start < start + length && start < w.end)
    if (wanted || start + length > core.length - 256) this.channel.send(T.range, { drop, start, length })
  }

  // --- our requests -------------------------------------------------------------------------------

  /** Allocates a request id (reused after completion, as hypercore does). */
  #allocId(): number {
    return this.#freeIds.pop() ?? this.#nextId++
  }

  /** Sends a request; data or noData resolves it through the replicator. */
  send(
    req: Omit<Inflight, 'id' | 'peer' | 'sentAt' | 'nodes' | 'assumes'> & {
      nodes?: number
      assumes?: boolean
    },
    message: Omit<RequestMessage, 'id'>
  ): Inflight {
    const id = this.#allocId()
    // spelled out, not spread: one object shape for every request (this is per block)
    const inflight: Inflight = {
      id,
      peer: this,
      block: req.block,
      upgrade: req.upgrade,
      reorg: req.reorg,
      hash: req.hash,
      fork: req.fork,
      sentAt: Date.now(),
      resolve: req.resolve,
      nodes: req.nodes ?? -1,
      assumes: req.assumes ?? false
    }
    this.inflight.set(id, inflight)
    ;(message as RequestMessage).id = id
    this.channel.send(T.request, message)
    return inflight
  }

  /** Forgets request `id` (answered, cancelled or timed out) and frees its id. */
  settle(id: number): Inflight | null {
    const req = this.inflight.get(id)
    if (!req) return null
    this.inflight.delete(id)
    this.#freeIds.push(id)
    return req
  }

  cancel(req: Inflight): void {
    if (this.settle(req.id)) this.channel.send(T.cancel, { request: req.id })
  }

  ondata(m: DataMessage): void {
    const req = m.request > 0 ? this.settle(m.request) : null
    if (req === null) {
      // data we did not ask for (or already gave up on): tolerated, but not in bulk
      if (++this.#unsolicited > MAX_UNSOLICITED)
        throw new ProtocolError('the peer keeps sending data we did not request')
      return
    }
    void this.replicator.onData(this, req, m)
  }

  onnodata(m: { request: number; reason: number }): void {
    const req = m.request > 0 ? this.settle(m.request) : null
    if (req === null) return
    this.replicator.onNoData(this, req)
  }

  // --- extensions ---------------------------------------------------------------------------------

  sendExtension(name: string, message: Uint8Array): void {
    this.channel.send(T.extension, { name: name === this.#lastExtensionSent ? '' : name, message })
    this.#lastExtensionSent = name
  }

  onextension(m: { name: string; message: Uint8Array }): void {
    const name = m.name || this.#lastExtensionRecv
    this.#lastExtensionRecv = name
    this.replicator.onExtension(this, name, m.message)
  }

  /** Whether `err` is ours to absorb (a typed protocol/verification failure) or a bug. */
  static isPeerFault(err: unknown): boolean {
    return err instanceof HypercoreError
  }
}
