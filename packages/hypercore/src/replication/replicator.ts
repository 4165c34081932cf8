/**
 * The replicator of one core: it decides what to ask which peer for. Wanted blocks come from
 * waiting `get`s, downloads and eager (non-sparse) mode; upgrades follow any peer that is ahead on
 * our fork; a peer on a newer fork triggers a reorg (`reorg.ts`). Requests are spread over peers
 * that have the block, bounded per peer, timed out and retried elsewhere. Verified data is
 * committed by the core. It also settles `update()` waits and drives sparse seeks. Whom to ask is
 * `peer-choice.ts`.
 */
import type { Core } from '../core.ts'
import { HypercoreError, ProtocolError } from '../errors.ts'
import { isUnconnectedProof } from '../merkle/verify.ts'
import { Download, type DownloadRange } from './download.ts'
import { type DataMessage, proofOf, type RequestMessage } from './messages.ts'
import type { Inflight, Peer } from './peer.ts'
import { currentWantWindow, RequestWindow, WhoHas } from './peer-choice.ts'
import { PromisedNodes } from './promised.ts'
import { fetchFork } from './reorg.ts'
import { seekBytes } from './seek.ts'
import { wantedIndexes } from './wanted.ts'

export interface ReplicatorOptions {
  /** Requests in flight per peer (default 256). */
  maxInflight?: number
  /** Milliseconds before a request is cancelled and retried elsewhere (default 20 000; 0 = never). */
  requestTimeout?: number
}

/** Candidates looked at per scheduling pass, so one pass stays cheap. */
const SCAN_LIMIT = 4096
/** Marks a block whose request is being prepared. */
const RESERVED = {} as Inflight

export interface ExtensionHandlers {
  onmessage(message: Uint8Array, peer: Peer): void
}

export class Replicator {
  readonly core: Core
  readonly peers: Peer[] = []
  downloading = true
  readonly requestTimeout: number
  readonly maxInflight: number
  readonly #window: RequestWindow
  readonly #whoHas = new WhoHas()
  readonly extensions = new Map<string, ExtensionHandlers>()
  readonly #downloads = new Set<Download>()
  readonly #inflightBlocks = new Map<number, Inflight>()
  readonly #promised = new PromisedNodes()
  /** Blocks whose last answer relied on an earlier one that did not come: asked in full next. */
  readonly #askInFull = new Set<number>()
  #upgrade: Inflight | null = null
  #reorging = false
  #updateQueued = false
  #updating = false
  #announce: number[] = []
  #destroyed = false
  #sweep: ReturnType<typeof setInterval> | null = null
  /** Sessions looking for peers (`findingPeers()`): `update` waits for them. */
  findingPeers = 0
  /** Streams attached but not open yet: their peers may still bring an upgrade. */
  connecting = 0
  readonly #upgradeWaits = new Set<{ length: number; fork: number; resolve: (upgraded: boolean) => void }>()
  readonly #changeWaits = new Set<() => void>()

  constructor(core: Core, opts: ReplicatorOptions = {}) {
    this.core = core
    this.maxInflight = opts.maxInflight ?? 256
    this.#window = new RequestWindow(this.maxInflight)
    this.requestTimeout = opts.requestTimeout ?? 20_000
    // waiting gets are read from the core's waiters, so gets issued before this replicator
    // existed (before the first replicate()) are fetched too
    core.onWant = () => this.update()
    core.on('append', () => {
      // a longer signed length (ours or a verified upgrade): tell peers; claim blocks only when we
      // hold them all — an upgrade alone brings no blocks
      const whole = core.contiguousLength === core.length
      for (const p of this.peers) {
        p.sendSync()
        if (whole) p.announce(0, core.length, false)
      }
      this.update()
    })
    core.on('appended', (start, end) => {
      this.#checkDownloads() // a local append can complete a download
      if (core.contiguousLength === core.length) return // announced whole on 'append'
      for (const p of this.peers) p.announce(start, end - start, false)
    })
    core.on('download', (index) => {
      if (this.#announce.push(index) === 1) queueMicrotask(() => this.#flushAnnouncements())
    })
    core.on('truncate', (length) => {
      // downloads that had moved past the cut must look at the new blocks there again
      for (const d of this.#downloads) d.cursor = Math.min(d.cursor, length)
      if (core.remoteContiguousLength > length) core.setRemoteContiguousLength(length)
      // what peers on our (new) fork told us they hold in full counts again
      for (const p of this.peers) this.onRemoteContiguous(p, p.remote.contiguous)
      for (const p of this.peers) {
        p.sendSync()
        p.announce(length, Math.max(1, p.remoteLength - length), true)
      }
      this.update()
    })
    core.on('clear', (start, end) => {
      for (const d of this.#downloads) d.cursor = Math.min(d.cursor, start)
      for (const p of this.peers) p.announce(start, end - start, true)
    })
    // a manifest we just learned is news for peers that lack it (they ask once our sync says so)
    core.on('manifest', () => {
      for (const p of this.peers) p.sendSync()
    })
    core.on('close', () => this.destroy())
    if (!core.sparse) this.download({ start: 0, end: -1 })
  }

  /** Fetches a range or set of blocks; see {@link Download}. */
  download(range: DownloadRange | Download = {}): Download {
    const d = range instanceof Download ? range : new Download(range)
    if (d.destroyed) return d
    this.#downloads.add(d)
    d.done().then(
      () => this.#downloads.delete(d),
      () => this.#downloads.delete(d)
    )
    this.#checkDownloads()
    this.update()
    return d
  }

  registerExtension(name: string, handlers: ExtensionHandlers) {
    this.extensions.set(name, handlers)
    return {
      send: (message: Uint8Array, peer: Peer) => peer.sendExtension(name, message),
      broadcast: (message: Uint8Array) => {
        for (const p of this.peers) p.sendExtension(name, message)
      },
      destroy: () => this.extensions.delete(name)
    }
  }

  // --- peers --------------------------------------------------------------------------------------

  addPeer(peer: Peer): void {
    if (this.#sweep === null && this.requestTimeout > 0) {
      // one sweep for every request of every peer, instead of a timer per request
      this.#sweep = setInterval(() => this.#expire(), Math.max(10, this.requestTimeout / 4))
      ;(this.#sweep as { unref?: () => void }).unref?.()
    }
    this.peers.push(peer)
    this.core.peers.push(peer)
    this.core.emit('peer-add', peer)
    this.update()
  }

  removePeer(peer: Peer, abandoned: Inflight[]): void {
    const i = this.peers.indexOf(peer)
    if (i === -1) return
    this.peers.splice(i, 1)
    this.core.peers.splice(this.core.peers.indexOf(peer), 1)
    for (const req of abandoned) this.#forget(req)
    this.core.emit('peer-remove', peer)
    this.update()
  }

  onPeerError(peer: Peer, err: Error): void {
    this.core.emit('peer-error', err, peer)
  }

  onPeerUpdate(_peer: Peer, _lengthChanged: boolean): void {
    this.update()
  }

  /** A peer announced it holds `[0, length)`: a new high for the remote contiguous length hint. */
  onRemoteContiguous(peer: Peer, length: number): void {
    const core = this.core
    if (peer.remoteFork !== core.fork) return
    // kept as the peer said it (the getter caps it at our length), as hypercore's hint
    if (length > core.remoteContiguousLength) core.setRemoteContiguousLength(length)
  }

  onExtension(peer: Peer, name: string, message: Uint8Array): void {
    this.extensions.get(name)?.onmessage(message, peer)
  }

  // --- responses ----------------------------------------------------------------------------------

  async onData(peer: Peer, req: Inflight, m: DataMessage): Promise<void> {
    if (req.resolve) {
      req.resolve(m)
      return
    }
    try {
      // honest peers echo the fork we asked about, and answer a block request with that block
      if (m.fork !== req.fork)
        throw new ProtocolError(`asked about fork ${req.fork}, the peer answered for fork ${m.fork}`)
      if (req.block >= 0 && m.block?.index !== req.block) {
        throw new ProtocolError(`asked for block ${req.block}, the peer answered with something else`)
      }
      // an answer that no longer fits our tree (we moved on meanwhile) is stale, not malicious
      const stale = m.fork !== this.core.fork || (m.upgrade !== null && m.upgrade.start !== this.core.length)
      if (!stale) {
        const request = { timestamp: req.sentAt, elapsed: Date.now() - req.sentAt }
        await this.core.applyData(proofOf(m), m.manifest, peer, request)
      }
    } catch (err) {
      // a short proof we asked for ourselves, relying on an answer that did not come: ask again
      if (req.assumes && isUnconnectedProof(err)) this.#askInFull.add(req.block)
      else peer.drop(err instanceof HypercoreError ? err : new ProtocolError('invalid data', { cause: err }))
    } finally {
      // the upgrade slot stays taken until the answer is applied, so no stale twin is requested
      this.#forget(req)
    }
    this.update()
  }

  onNoData(peer: Peer, req: Inflight): void {
    if (req.resolve) {
      req.resolve(null)
      return
    }
    if (req.block >= 0) peer.notAvailable.add(req.block)
    if (req.upgrade) peer.remoteCanUpgrade = false
    this.#forget(req)
    this.update()
  }

  /** Cancels requests older than the timeout; their blocks are retried with other peers. */
  #expire(): void {
    const deadline = Date.now() - this.requestTimeout
    for (const peer of this.peers) {
      for (const req of [...peer.inflight.values()]) {
        if (req.sentAt > deadline) continue
        peer.cancel(req)
        this.onNoData(peer, req)
      }
    }
  }

  #forget(req: Inflight): void {
    if (req.nodes >= 0) this.#promised.delete(req)
    if (req.block >= 0 && this.#inflightBlocks.get(req.block) === req) this.#inflightBlocks.delete(req.block)
    if (this.#upgrade === req) this.#upgrade = null
    req.resolve?.(null)
  }

  #flushAnnouncements(): void {
    const indexes = this.#announce
    this.#announce = []
    for (const p of this.peers) for (const i of indexes) p.announce(i, 1, false)
    this.#checkDownloads()
  }

  #checkDownloads(): void {
    for (const d of this.#downloads) {
      if (d.live) continue
      const complete = d.blocks ? d.blocks.every((i) => this.core.has(i)) : this.core.hasRange(d.start, d.end)
      if (complete) d.complete()
    }
  }

  // --- scheduling ---------------------------------------------------------------------------------

  /** Schedules a pass over what is wanted (coalesced per microtask). */
  update(): void {
    if (this.#updateQueued || this.#destroyed) return
    this.#updateQueued = true
    queueMicrotask(() => {
      this.#updateQueued = false
      if (this.#updating) {
        this.update()
        return
      }
      this.#updating = true
      this.#update()
        .catch((err) => this.core.emit('peer-error', err as Error, null))
        .finally(() => {
          this.#updating = false
        })
    })
  }

  async #update(): Promise<void> {
    try {
      await this.#schedule()
    } finally {
      this.#settleUpgrades()
      const changed = [...this.#changeWaits]
      this.#changeWaits.clear()
      for (const fn of changed) fn()
    }
  }

  /**
   * Resolves when our length or fork moves (true), or when no peer can move it any more (false):
   * nobody is being found or connecting, every peer has synced, none is ahead on our fork.
   */
  waitForUpgrade(): Promise<boolean> {
    return new Promise((resolve) => {
      this.#upgradeWaits.add({ length: this.core.length, fork: this.core.fork, resolve })
      this.update()
    })
  }

  #settleUpgrades(): void {
    if (this.#upgradeWaits.size === 0) return
    const core = this.core
    const idle =
      this.#destroyed ||
      (this.findingPeers === 0 &&
        this.connecting === 0 &&
        !this.#reorging &&
        this.#upgrade === null &&
        this.peers.every(
          (p) =>
            p.remoteSynced &&
            p.remoteFork <= core.fork &&
            !(p.remoteFork === core.fork && p.remoteLength > core.length && p.remoteCanUpgrade)
        ))
    for (const w of this.#upgradeWaits) {
      const moved = w.length !== core.length || w.fork !== core.fork
      if (!moved && !idle) continue
      this.#upgradeWaits.delete(w)
      w.resolve(moved)
    }
  }

  /** Resolves after the next scheduling pass (something about peers or the core changed). */
  #nextPass(signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#changeWaits.delete(done)
        reject(signal.reason)
      }
      const done = () => {
        signal.removeEventListener('abort', onAbort)
        resolve()
      }
      if (signal.aborted) return onAbort()
      signal.addEventListener('abort', onAbort, { once: true })
      this.#changeWaits.add(done)
    })
  }

  /** `[block, offset]` of plaintext byte `bytes`, asking peers on a sparse core (see `seek.ts`). */
  seek(bytes: number, padding: number, signal: AbortSignal): Promise<[number, number]> {
    return seekBytes(
      {
        core: this.core,
        peers: this.peers,
        nextPass: (s) => this.#nextPass(s),
        askWhoHas: (index) => this.#whoHas.ask(this.peers, index),
        ask: (peer, message, kind) => this.#ask(peer, message, kind)
      },
      bytes,
      padding,
      signal
    )
  }

  readonly #manifestAsked = new WeakSet<Peer>()

  /** Asks a peer that has the manifest for it (hypercore syncs manifests eagerly, before blocks). */
  #requestManifest(peer: Peer): void {
    const core = this.core
    if (core.manifest !== null || !peer.remoteHasManifest || this.#manifestAsked.has(peer)) return
    this.#manifestAsked.add(peer)
    const message = {
      fork: core.fork,
      block: null,
      hash: null,
      seek: null,
      upgrade: null,
      manifest: true,
      priority: 0
    }
    this.#ask(peer, message, {})
      .then(async (m) => {
        if (m?.manifest && core.manifest === null) await core.learnManifest(m.manifest)
      })
      .catch((err: unknown) => {
        peer.drop(err instanceof HypercoreError ? err : new ProtocolError('invalid manifest', { cause: err }))
      })
  }

  async #schedule(): Promise<void> {
    const core = this.core
    if (this.peers.length === 0) return
    if (core.manifest === null) for (const p of this.peers) if (p.remoteOpened) this.#requestManifest(p)
    const newer = this.peers.find((p) => p.remoteSynced && p.remoteFork > core.fork)
    if (newer && !this.#reorging) void this.#reorg(newer)
    this.#requestUpgrade()
    const cork = [...this.peers]
    for (const p of cork) p.channel.cork()
    try {
      let scanned = 0
      const wanted = wantedIndexes({
        core,
        peers: this.peers,
        downloads: this.#downloads,
        wantWindow: currentWantWindow(),
        askWhoHas: (index) => this.#whoHas.ask(this.peers, index)
      })
      for (const index of wanted) {
        if (++scanned > SCAN_LIMIT) break
        if (index >= core.length) continue
        if (core.has(index) || this.#inflightBlocks.has(index)) continue
        const peer = this.#window.peerFor(this.peers, core.fork, index, !core.waiters.has(index))
        if (peer === null) {
          this.#whoHas.ask(this.peers, index)
          continue
        }
        if (peer === undefined) break // every peer is at capacity
        const reading = this.#requestBlock(peer, index)
        if (reading !== undefined) await reading
      }
    } finally {
      for (const p of cork) p.channel.uncork()
    }
  }

  /**
   * Requests block `index` from `peer`. Synchronous when the tree nodes to ask for are known from
   * memory (the common case, and it runs once per block: no promise); otherwise returns the
   * promise of reading them from storage first.
   */
  #requestBlock(peer: Peer, index: number): Promise<void> | undefined {
    const core = this.core
    // how many tree levels above the block we lack (or an earlier request to this peer brings),
    // so the peer sends just those siblings
    const assume = !this.#askInFull.delete(index)
    const nodes = assume
      ? this.#promised.nodesFor(peer, index, core.length, core)
      : core.tree.missingNodesCached(2 * index)
    if (nodes !== null) {
      this.#sendBlockRequest(peer, index, nodes, assume && this.#promised.assumed)
      return undefined
    }
    this.#inflightBlocks.set(index, RESERVED)
    return core.tree.missingNodes(2 * index).then((stored) => {
      if (peer.removed || core.has(index) || this.#inflightBlocks.get(index) !== RESERVED) {
        if (this.#inflightBlocks.get(index) === RESERVED) this.#inflightBlocks.delete(index)
        return
      }
      this.#sendBlockRequest(peer, index, stored, false)
    })
  }

  #sendBlockRequest(peer: Peer, index: number, nodes: number, assumes: boolean): void {
    const core = this.core
    const req = peer.send(
      {
        block: index,
        upgrade: false,
        reorg: false,
        hash: -1,
        fork: core.fork,
        resolve: null,
        nodes,
        assumes
      },
      {
        fork: core.fork,
        block: { index, nodes },
        manifest: false,
        hash: null,
        seek: null,
        upgrade: null,
        priority: 0
      }
    )
    this.#inflightBlocks.set(index, req)
    this.#promised.add(req)
  }

  #requestUpgrade(): void {
    const core = this.core
    if (this.#upgrade !== null || this.#reorging) return
    if (!core.eagerUpgrade && !this.#upgradeWanted()) return
    const best = this.#window.upgradePeer(this.peers, core)
    if (best === null) return
    // as hypercore does, a get waiting past our length rides on the upgrade: one round trip
    // brings the new length and the block (its proof hangs off the new roots, so nodes = 0)
    let block = -1
    for (const index of core.waiters.indexes()) {
      if (index < core.length || index >= best.remoteLength || this.#inflightBlocks.has(index)) continue
      if (!best.remote.has(index) || best.notAvailable.has(index)) continue
      block = index
      break
    }
    const message: Omit<RequestMessage, 'id'> = {
      fork: core.fork,
      block: block === -1 ? null : { index: block, nodes: 0 },
      hash: null,
      seek: null,
      upgrade: { start: core.length, length: best.remoteLength - core.length },
      manifest: core.manifest === null && best.remoteHasManifest,
      priority: 0
    }
    this.#upgrade = best.send(
      { block, upgrade: true, reorg: false, hash: -1, fork: core.fork, resolve: null },
      message
    )
    if (block !== -1) this.#inflightBlocks.set(block, this.#upgrade)
  }

  /** Whether anything waits for a longer length: `update()`, seeks, gets or live downloads. */
  #upgradeWanted(): boolean {
    if (this.#upgradeWaits.size > 0 || this.#changeWaits.size > 0) return true
    for (const index of this.core.waiters.indexes()) if (index >= this.core.length) return true
    for (const d of this.#downloads) if (!d.destroyed && (d.live || d.end > this.core.length)) return true
    return false
  }

  // --- reorgs -------------------------------------------------------------------------------------

  /** A request whose answer the caller awaits directly (null on noData, timeout or peer loss). */
  #ask(
    peer: Peer,
    message: Omit<RequestMessage, 'id'>,
    kind: { reorg?: boolean; hash?: number }
  ): Promise<DataMessage | null> {
    return new Promise((resolve) => {
      peer.send(
        {
          block: -1,
          upgrade: false,
          reorg: !!kind.reorg,
          hash: kind.hash ?? -1,
          fork: message.fork,
          resolve
        },
        message
      )
    })
  }

  /** Moves onto `peer`'s newer fork (see {@link fetchFork}), then cuts our tree where it diverges. */
  async #reorg(peer: Peer): Promise<void> {
    const core = this.core
    this.#reorging = true
    try {
      const fork = await fetchFork(core, peer, (message, kind) => this.#ask(peer, message, kind))
      if (fork !== null) await core.reorg(fork.batch, Math.min(fork.ancestors, core.length), fork.learned)
    } catch (err) {
      peer.drop(err instanceof HypercoreError ? err : new ProtocolError('invalid fork proof', { cause: err }))
    } finally {
      this.#reorging = false
      this.update()
    }
  }

  destroy(): void {
    if (this.#destroyed) return
    this.#destroyed = true
    if (this.#sweep) clearInterval(this.#sweep)
    for (const w of this.#upgradeWaits) w.resolve(false)
    this.#upgradeWaits.clear()
    for (const d of this.#downloads) d.destroy()
    for (const p of [...this.peers]) p.channel.close()
  }
}
