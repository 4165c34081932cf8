/**
 * Watching a drive's transfers as hyperdrive 13's `drive.monitor(name)` does: upload and download
 * counts, bytes, speed and peers of the blobs core — only the blocks of one file when a name (or
 * entry) is given, else every block of both cores — with an `update` event per block moved.
 */
import { Emitter } from '@orchard/events'
import { type MonitorStats, speedometer } from '@orchard/hyperblobs'
import type { Hypercore } from '@orchard/hypercore'
import type { Blobs } from './blobs.ts'
import type { Hyperdrive } from './drive.ts'
import type { Entry } from './entry.ts'

/** Transfer counts in one direction (hyperdrive's `uploadStats` / `downloadStats`), as hyperblobs'. */
export type TransferStats = MonitorStats

/** Options of {@link Hyperdrive.monitor}. */
export interface MonitorOptions {
  /** The file to watch, when it is known as an entry already. */
  entry?: Entry | null
}

/** Events of a {@link DriveMonitor}. */
export type DriveMonitorEvents = {
  /** A block of the watched file (or drive) was uploaded or downloaded. */
  update: []
}

const fresh = (): TransferStats => ({
  startTime: 0,
  percentage: 0,
  peers: 0,
  speed: 0,
  blocks: 0,
  totalBytes: 0,
  monitoringBytes: 0,
  targetBytes: 0,
  targetBlocks: 0
})

type Listener = (...args: never[]) => void

/** Transfer stats of a drive or of one of its files; made by `drive.monitor(name)`. */
export class DriveMonitor extends Emitter<DriveMonitorEvents> {
  /** The drive watched. */
  readonly drive: Hyperdrive
  /** The file's path, or null for the whole drive. */
  readonly name: string | null
  /** The file's entry once found (null for the whole drive, or a name with no entry). */
  entry: Entry | null
  /** The drive's blobs, once open. */
  blobs: Blobs | null = null
  /** Peers of the blobs core. */
  peers = 0
  /** Blocks served to peers. */
  readonly uploadStats: TransferStats = fresh()
  /** Blocks fetched from peers. */
  readonly downloadStats: TransferStats = fresh()
  /** Resolves once the monitor listens (rejects if the drive cannot open its blobs). */
  readonly opening: Promise<void>
  /** True once the monitor stopped listening. */
  closed = false
  #closing: Promise<void> | null = null
  readonly #uploadSpeed = speedometer()
  readonly #downloadSpeed = speedometer()
  readonly #listening: Array<[Hypercore, string, Listener]> = []
  readonly #onClose: (monitor: DriveMonitor) => void

  /** Use `drive.monitor(name)`; `onClose` lets the drive forget it. */
  constructor(
    drive: Hyperdrive,
    name: string | null,
    opts: MonitorOptions,
    onClose: (m: DriveMonitor) => void
  ) {
    super()
    this.drive = drive
    this.name = name
    this.entry = opts.entry ?? null
    this.#onClose = onClose
    this.opening = this.#open()
    this.opening.catch(() => {})
  }

  async #open(): Promise<void> {
    await this.drive.ready()
    const blobs = await this.drive.getBlobs()
    this.blobs = blobs
    if (this.entry === null && this.name !== null) this.entry = await this.drive.entry(this.name)
    const blob = this.entry?.value.blob
    if (blob) {
      for (const stats of [this.uploadStats, this.downloadStats]) {
        stats.targetBytes = blob.byteLength
        stats.targetBlocks = blob.blockLength
      }
    }
    if (this.#closing) return
    this.#updatePeers()
    const cores = this.entry === null ? [blobs.core, this.drive.core] : [blobs.core]
    for (const core of cores) {
      this.#listen(core, 'peer-add', () => this.#updatePeers())
      this.#listen(core, 'peer-remove', () => this.#updatePeers())
      this.#listen(core, 'upload', (index: number, bytes: number) =>
        this.#count(this.uploadStats, this.#uploadSpeed, index, bytes)
      )
      this.#listen(core, 'download', (index: number, bytes: number) =>
        this.#count(this.downloadStats, this.#downloadSpeed, index, bytes)
      )
    }
  }

  #listen(core: Hypercore, event: string, listener: Listener): void {
    ;(core as unknown as Emitter<Record<string, unknown[]>>).on(event, listener as (...a: unknown[]) => void)
    this.#listening.push([core, event, listener])
  }

  /** Resolves once the monitor listens. */
  ready(): Promise<void> {
    return this.opening
  }

  #updatePeers(): void {
    this.peers = this.blobs?.core.peers.length ?? 0
    this.uploadStats.peers = this.downloadStats.peers = this.peers
  }

  #count(stats: TransferStats, speed: (bytes: number) => number, index: number, bytes: number): void {
    if (this.#closing) return
    const blob = this.entry?.value.blob
    // with a file, only its blocks count (the blobs core holds every file's)
    if (
      this.entry !== null &&
      (!blob || index < blob.blockOffset || index >= blob.blockOffset + blob.blockLength)
    ) {
      return
    }
    if (stats.startTime === 0) stats.startTime = Date.now()
    stats.speed = speed(bytes)
    stats.blocks++
    stats.monitoringBytes += bytes
    stats.totalBytes += bytes
    stats.percentage = Math.round((stats.blocks / stats.targetBlocks) * 100 * 100) / 100
    this.emit('update')
  }

  /** Bytes per second downloaded over the last seconds. */
  downloadSpeed(): number {
    return this.#downloadSpeed(0)
  }

  /** Bytes per second uploaded over the last seconds. */
  uploadSpeed(): number {
    return this.#uploadSpeed(0)
  }

  /** Stops listening (the drive closes its monitors when it closes). */
  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  async #close(): Promise<void> {
    await this.opening.catch(() => {})
    for (const [core, event, listener] of this.#listening.splice(0)) {
      ;(core as unknown as Emitter<Record<string, unknown[]>>).off(
        event,
        listener as (...a: unknown[]) => void
      )
    }
    this.closed = true
    this.#onClose(this)
  }
}
