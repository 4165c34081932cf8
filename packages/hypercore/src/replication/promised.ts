/**
 * Tree nodes that block requests in flight will bring.
 *
 * A download pipelines hundreds of block requests to a peer. Asked independently, each request
 * would carry every sibling up to the first node we hold — about log2 of the window, ~9 nodes per
 * block, a quarter of the bytes and most of the hashing. A peer answers its requests in order, so a
 * request may instead stop at a node that an earlier request to the same peer will deliver (its
 * leaf, siblings and the parents they make): answers then carry one node or two. The verified but
 * not yet stored nodes of earlier answers are what the later ones connect to (`Core.knownNode`).
 * When that assumption fails — the earlier answer was refused or cancelled, or came later — the
 * proof stops short of every node we hold; the replicator then asks again without assuming.
 */
import { TreeIterator } from '../flat-tree.ts'
import type { Inflight, Peer } from './peer.ts'

/** What planning needs of the core: whether a tree node is held (1 stored, 2 verified, 0 not). */
export interface KnownNodes {
  knownNode(index: number): 0 | 1 | 2
}

export class PromisedNodes {
  readonly #by = new Map<number, Inflight>()
  /** Whether the last {@link nodesFor} relied on a promised node. */
  assumed = false

  /**
   * The proof levels to ask for block `index` from `peer`: up to the first node on its path that
   * we hold or that an earlier request to `peer` brings. null when neither lies within the tree of
   * `length` blocks (the caller asks storage).
   */
  nodesFor(peer: Peer, index: number, length: number, known: KnownNodes): number | null {
    this.assumed = false
    const head = 2 * length
    const ite = new TreeIterator(2 * index)
    if (ite.rightSpan() >= head) return 0
    let count = 0
    while (!ite.contains(head)) {
      const held = known.knownNode(ite.index)
      if (held !== 0) {
        // a verified node not yet stored may still be refused: rely on it as on a promise
        if (held === 2) this.assumed = true
        return count
      }
      const by = this.#by.get(ite.index)
      if (by !== undefined && by.peer === peer) {
        this.assumed = true
        return count
      }
      count++
      ite.parent()
      if (count > 64) return null
    }
    return null
  }

  /** Records what `req` (block `req.block`, `req.nodes` levels) will bring. */
  add(req: Inflight): void {
    const ite = new TreeIterator(2 * req.block)
    this.#by.set(ite.index, req)
    for (let level = 0; level < req.nodes; level++) {
      this.#by.set(ite.sibling(), req)
      this.#by.set(ite.parent(), req)
    }
  }

  /** Forgets what `req` promised (it was answered, refused, cancelled or timed out). */
  delete(req: Inflight): void {
    const ite = new TreeIterator(2 * req.block)
    this.#drop(ite.index, req)
    for (let level = 0; level < req.nodes; level++) {
      this.#drop(ite.sibling(), req)
      this.#drop(ite.parent(), req)
    }
  }

  clear(): void {
    this.#by.clear()
  }

  #drop(index: number, req: Inflight): void {
    if (this.#by.get(index) === req) this.#by.delete(index)
  }
}
