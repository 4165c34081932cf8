/**
 * Which blocks the replicator goes after, in order: those waiting `get`s need, then those of each
 * download from its cursor. Stretches no peer is known to hold are skipped (a peer with every
 * other block must not stall a download on the gaps) and peers are asked about them instead.
 */
import type { Core } from '../core.ts'
import type { Download } from './download.ts'
import type { Peer } from './peer.ts'

/** What the scan needs of the replicator. */
export interface WantedHost {
  readonly core: Core
  readonly peers: readonly Peer[]
  readonly downloads: Iterable<Download>
  /** The `want` window size in blocks. */
  readonly wantWindow: number
  /** Asks peers that may have `index` for their bitfield around it (once per window). */
  askWhoHas(index: number): void
}

/** Wanted indexes: waiting gets first, then downloads in order. */
export function* wantedIndexes(host: WantedHost): Generator<number> {
  const core = host.core
  yield* core.waiters.indexes()
  for (const d of host.downloads) {
    if (d.destroyed) continue
    if (d.blocks) {
      for (const i of d.blocks) if (!core.has(i)) yield i
      continue
    }
    const end = d.live ? core.length : Math.min(d.end, core.length)
    let i = core.bitfield.findFirst(false, d.cursor)
    if (d.linear || i > d.cursor) d.cursor = i
    i = i === -1 ? -1 : nextHeld(host, i, end)
    while (i !== -1 && i < end) {
      yield i
      i = nextHeld(host, i + 1, end)
    }
  }
}

/**
 * The first index in `[from, end)` we lack that some peer claims to hold, or -1. The stretch it
 * skips is held by no peer we know of: peers are asked about it (a few windows per call).
 */
function nextHeld(host: WantedHost, from: number, end: number): number {
  const core = host.core
  const window = host.wantWindow
  let i = core.bitfield.findFirst(false, from)
  let asked = 0
  while (i !== -1 && i < end) {
    let held = -1
    for (const p of host.peers) {
      if (!p.remoteOpened || p.remoteFork !== core.fork) continue
      const h = p.remote.firstHave(i)
      if (h !== -1 && (held === -1 || h < held)) held = h
      if (held === i) return i
    }
    const stop = held === -1 ? end : Math.min(held, end)
    for (let w = i; w < stop && asked < 4; w = (Math.floor(w / window) + 1) * window, asked++)
      host.askWhoHas(w)
    if (held === -1 || held >= end) return -1
    i = core.bitfield.findFirst(false, held)
  }
  return -1
}
