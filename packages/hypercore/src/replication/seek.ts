/**
 * Seeking a byte on a sparse core, as hypercore does: when tree nodes on the way are missing, ask
 * a peer holding a block of the narrowed range for that block's hash proof up to the range's root
 * (with a seek proof when the peer answers seeks) — one round trip, no block; failing that, fetch a
 * block of the range some peer holds (its proof narrows the range too); where no peer is known to
 * hold one, ask for bitfields and retry when peers answer. Past our length, wait for an upgrade.
 */
import type { Core } from '../core.ts'
import { HypercoreError, ProtocolError } from '../errors.ts'
import * as flat from '../flat-tree.ts'
import { type DataMessage, proofOf, type RequestMessage } from './messages.ts'
import type { Peer } from './peer.ts'

/** What a seek needs of the replicator. */
export interface SeekHost {
  readonly core: Core
  readonly peers: readonly Peer[]
  /** Resolves after the next scheduling pass (rejects when `signal` aborts). */
  nextPass(signal: AbortSignal): Promise<void>
  /** Asks peers that may have `index` for their bitfield around it (once per window). */
  askWhoHas(index: number): void
  /** A request whose answer the caller awaits (null on noData, timeout or peer loss). */
  ask(peer: Peer, message: Omit<RequestMessage, 'id'>, kind: { hash: number }): Promise<DataMessage | null>
}

/** `[block, offset]` of plaintext byte `bytes`. */
export async function seekBytes(
  host: SeekHost,
  bytes: number,
  padding: number,
  signal: AbortSignal
): Promise<[number, number]> {
  const core = host.core
  let askedFor = ''
  for (;;) {
    signal.throwIfAborted()
    const beyond = bytes > core.byteLength - core.length * padding
    const found = beyond ? null : await core.tree.seekOrNarrow(bytes, padding)
    if (found !== null && 'at' in found) return found.at
    if (found === null) {
      await host.nextPass(signal) // past our length (or roots): wait for an upgrade
      continue
    }
    const [first, last] = found.range
    const key = `${core.fork}:${core.length}:${first}:${last}`
    if (key !== askedFor) {
      askedFor = key // one peer round per range: if it did not narrow it, fetch a block
      if (await seekFromPeers(host, bytes, padding, first, last, signal)) continue
    }
    const held = heldInRange(host, first, last)
    if (held === null) {
      host.askWhoHas(first)
      host.askWhoHas(last)
      await host.nextPass(signal)
      askedFor = ''
      continue
    }
    await core.waitForBlock(held[1], { signal })
  }
}

/** A peer that holds a block of `[first, last]` we lack, and can prove it to our tree. */
function heldInRange(host: SeekHost, first: number, last: number): [Peer, number] | null {
  const core = host.core
  for (const peer of host.peers) {
    if (!peer.remoteOpened || peer.remoteFork !== core.fork) continue
    let index = peer.remote.firstHave(first)
    while (index !== -1 && index <= last && (core.has(index) || peer.notAvailable.has(index)))
      index = peer.remote.firstHave(index + 1)
    if (index !== -1 && index <= last && peer.canRequest(index)) return [peer, index]
  }
  return null
}

/** Hash + seek proofs from peers holding a block of the range; false when none could help. */
async function seekFromPeers(
  host: SeekHost,
  bytes: number,
  padding: number,
  first: number,
  last: number,
  signal: AbortSignal
): Promise<boolean> {
  const core = host.core
  const nodes = flat.depth(first + last) // the levels from a leaf up to the range's root
  const tried = new Set<Peer>()
  for (;;) {
    const held = heldInRange(host, first, last)
    if (held === null || tried.has(held[0])) return false
    const [peer, index] = held
    tried.add(peer)
    const message = {
      fork: core.fork,
      block: null,
      hash: { index: 2 * index, nodes },
      seek: peer.remoteSeeks ? { bytes, padding } : null,
      upgrade: null,
      manifest: false,
      priority: 0
    }
    const m = await host.ask(peer, message, { hash: 2 * index })
    signal.throwIfAborted()
    if (m === null || m.fork !== core.fork || !m.hash) {
      peer.notAvailable.add(index)
      continue
    }
    try {
      await core.applyData(proofOf(m), null, peer, null)
      return true
    } catch (err) {
      peer.drop(err instanceof HypercoreError ? err : new ProtocolError('invalid seek proof', { cause: err }))
    }
  }
}
