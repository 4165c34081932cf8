/**
 * The nodes a replicating core trusts without reading storage: its node cache (stored nodes) plus
 * nodes of answers verified but not yet committed. Answers are committed in groups, and a later
 * answer in a pipeline may connect to a node an earlier one brought (see
 * `replication/promised.ts`), before that group is written.
 */
import type { CachedNodes } from './cache.ts'
import type { TreeNode } from './nodes.ts'
import type { Known } from './verify.ts'

export class VerifiedNodes implements Known {
  readonly #cache: CachedNodes
  readonly #pending = new Map<number, TreeNode>()

  constructor(cache: CachedNodes) {
    this.#cache = cache
  }

  peek(index: number): TreeNode | undefined {
    return this.#cache.peek(index) ?? this.#pending.get(index)
  }

  /** 1 if the node is cached (stored), 2 if verified and not yet stored, 0 if neither. */
  held(index: number): 0 | 1 | 2 {
    return this.#cache.peek(index) !== undefined ? 1 : this.#pending.has(index) ? 2 : 0
  }

  /** Remembers a verified answer's nodes until its group is committed or refused. */
  add(nodes: readonly TreeNode[]): void {
    for (const n of nodes) this.#pending.set(n.index, n)
  }

  /** Forgets them again (committed nodes are in the cache by now; refused ones are not trusted). */
  settle(nodes: readonly TreeNode[]): void {
    for (const n of nodes) if (this.#pending.get(n.index) === n) this.#pending.delete(n.index)
  }

  /** Drops every pending node (the tree was cut: they may belong to the old fork). */
  clear(): void {
    this.#pending.clear()
  }
}
