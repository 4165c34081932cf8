/**
 * Snapshots keep what they saw: a snapshot session records its length, and when a truncation or a
 * reorg cuts blocks the core held when the snapshot was taken, the core copies those blocks to it
 * first. hypercore reads them from a storage snapshot, so blocks downloaded after the snapshot was
 * taken are not in it (a read of them after the cut fails there too); Orchard's adapters have no
 * storage snapshots, so the copy is the snapshot, and `later` lists the blocks it must not keep.
 */
import type { Bitfield } from './bitfield.ts'
import type { CoreStorage } from './storage-layout.ts'

/**
 * What a snapshot session saw: its length, how much of it is still the core's (a truncation lowers
 * `validLength`), and copies of the blocks past that which it held when they were cut.
 */
export interface SnapshotHold {
  length: number
  validLength: number
  retained: Map<number, Uint8Array>
  /** Blocks downloaded after the snapshot was taken: not part of what it saw. */
  later: Set<number>
}

/** Copies the blocks from `ancestors` on that open snapshots saw, before a truncation drops them. */
export async function retainForSnapshots(
  holds: Iterable<SnapshotHold>,
  bitfield: Bitfield,
  storage: CoreStorage,
  length: number,
  ancestors: number
): Promise<void> {
  for (const snap of holds) {
    const end = Math.min(snap.validLength, length)
    const wanted: number[] = []
    for (let i = ancestors; i < end; i++)
      if (bitfield.get(i) && !snap.retained.has(i) && !snap.later.has(i)) wanted.push(i)
    const blocks = wanted.length > 0 ? await storage.getBlocks(wanted) : []
    for (let i = 0; i < wanted.length; i++) if (blocks[i]) snap.retained.set(wanted[i]!, blocks[i]!)
    if (snap.validLength > ancestors) snap.validLength = ancestors
  }
}
