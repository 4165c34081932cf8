/**
 * Transfer monitors (hyperblobs' `blobs.monitor(id)`): upload and download progress and speed of
 * one blob's blocks, from the core's `upload`/`download`/`peer-*` events. `'update'` fires on
 * every change.
 */
import { Emitter } from '@orchard/events'
import { BadArgumentError } from './errors.ts'
import type { BlobId } from './id.ts'

/** Progress of one direction of a monitored blob. */
export interface MonitorStats {
  /** When the first block of the blob moved (ms since the epoch; 0 before). */
  startTime: number
  /** Percentage of the blob's blocks moved (two decimals). */
  percentage: number
  /** Peers replicating the core. */
  peers: number
  /** Bytes per second, averaged over the last 5 seconds. */
  speed: number
  /** Blocks moved since monitoring began. */
  blocks: number
  /** Bytes moved (local bytes plus those moved while monitoring). */
  totalBytes: number
  /** Bytes moved while monitoring. */
  monitoringBytes: number
  /** The blob's bytes. */
  targetBytes: number
  /** The blob's blocks. */
  targetBlocks: number
}

/** The events of a {@link Monitor}. */
export interface MonitorEvents {
  /** The stats changed. */
  update: []
}

/** What a monitor needs of its store. @internal */
export interface MonitorOwner {
  readonly core: { readonly peers: readonly unknown[] }
  _removeMonitor(monitor: Monitor): void
}

/** Watches the transfer of one blob's blocks. Create it with `blobs.monitor(id)`. */
export class Monitor extends Emitter<MonitorEvents> {
  /** The blob watched. */
  readonly id: BlobId
  /** Peers replicating the core. */
  peers: number
  /** Upload progress. */
  readonly uploadStats: MonitorStats
  /** Download progress. */
  readonly downloadStats: MonitorStats
  readonly #owner: MonitorOwner
  readonly #uploadSpeed = speedometer()
  readonly #downloadSpeed = speedometer()
  #closed = false

  /** A monitor of `id` on `owner` (use `Hyperblobs#monitor`). */
  constructor(owner: MonitorOwner, id: BlobId) {
    super()
    if (!id) throw new BadArgumentError('id is required')
    this.#owner = owner
    this.id = id
    this.peers = owner.core.peers.length
    const stats = (): MonitorStats => ({
      startTime: 0,
      percentage: 0,
      peers: this.peers,
      speed: 0,
      blocks: 0,
      totalBytes: 0,
      monitoringBytes: 0,
      targetBytes: id.byteLength,
      targetBlocks: id.blockLength
    })
    this.uploadStats = stats()
    this.downloadStats = stats()
  }

  /** Current download speed (bytes per second). */
  downloadSpeed(): number {
    return this.#downloadSpeed(0)
  }

  /** Current upload speed (bytes per second). */
  uploadSpeed(): number {
    return this.#uploadSpeed(0)
  }

  /** Stops monitoring. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#owner._removeMonitor(this)
  }

  /** Alias of `close()`. */
  destroy(): void {
    this.close()
  }

  /** @internal */
  _onUpload(index: number, bytes: number): void {
    this.#update(this.#uploadSpeed, this.uploadStats, index, bytes)
  }

  /** @internal */
  _onDownload(index: number, bytes: number): void {
    this.#update(this.#downloadSpeed, this.downloadStats, index, bytes)
  }

  /** @internal */
  _updatePeers(): void {
    this.peers = this.#owner.core.peers.length
    this.uploadStats.peers = this.downloadStats.peers = this.peers
    this.emit('update')
  }

  #update(speed: (delta: number) => number, stats: MonitorStats, index: number, bytes: number): void {
    if (this.#closed) return
    if (index < this.id.blockOffset || index >= this.id.blockOffset + this.id.blockLength) return
    if (!stats.startTime) stats.startTime = Date.now()
    stats.speed = speed(bytes)
    stats.blocks++
    stats.totalBytes += bytes
    stats.monitoringBytes += bytes
    stats.percentage = Math.round((stats.blocks / stats.targetBlocks) * 10000) / 100
    this.emit('update')
  }
}

/**
 * Bytes per second over a sliding window (the `speedometer` package's role): during the first
 * second, the bytes so far; after, the bytes of the last `seconds` over the time they span.
 */
export function speedometer(seconds = 5, now: () => number = Date.now): (delta: number) => number {
  const windowMs = seconds * 1000
  const samples: Array<{ at: number; bytes: number }> = []
  let start = 0
  let total = 0
  return (delta) => {
    const t = now()
    if (start === 0) start = t
    if (delta) {
      samples.push({ at: t, bytes: delta })
      total += delta
    }
    while (samples.length > 0 && samples[0]!.at <= t - windowMs) total -= samples.shift()!.bytes
    const elapsed = t - start
    if (elapsed < 1000) return total
    return (total * 1000) / Math.min(elapsed, windowMs)
  }
}
