/**
 * Ordered reads of a key range. The iterator keeps a stack of `{ node, i }` cursors from the root
 * down, where `i` walks a node's slots in order — even slots are children, odd slots are keys — so
 * a scan touches each node once and each key's block once, in order (or in reverse).
 */

import type { Batch } from '../batch.ts'
import { compare } from '../bytes.ts'
import type { EncodedRange } from '../range.ts'
import type { BeeNode } from '../tree.ts'
import { checkDepth, type EntryEncoding, type TreeNode } from '../tree.ts'

export type { RangeOptions } from '../range.ts'

interface Cursor {
  node: TreeNode
  i: number
}

/** An iterator over a key range of a batch's tree. @internal */
export class RangeIterator {
  readonly batch: Batch
  readonly encoding: EntryEncoding
  readonly stack: Cursor[] = []
  opened = false
  #limit: number
  readonly #gIncl: boolean
  readonly #gKey: Uint8Array | null
  readonly #lIncl: boolean
  readonly #lKey: Uint8Array | null
  readonly #reverse: boolean

  constructor(batch: Batch, encoding: EntryEncoding, range: EncodedRange) {
    this.batch = batch
    this.encoding = encoding
    this.#limit = range.limit
    this.#gIncl = !range.gt
    this.#gKey = range.gt || range.gte || null
    this.#lIncl = !range.lt
    this.#lKey = range.lt || range.lte || null
    this.#reverse = range.reverse
  }

  /** Finds the first entry of the range. */
  async open(): Promise<void> {
    await this.#open()
    this.opened = true
  }

  async #open(): Promise<void> {
    let node = await this.batch.getRoot(false)
    if (!node) return
    const incl = this.#reverse ? this.#lIncl : this.#gIncl
    const start = this.#reverse ? this.#lKey : this.#gKey

    if (!start) {
      this.stack.push({ node, i: this.#reverse ? node.keys.length << 1 : 0 })
      return
    }

    for (let depth = 0; ; depth++) {
      checkDepth(depth, node.block?.seq)
      const entry: Cursor = { node, i: this.#reverse ? node.keys.length << 1 : 0 }
      let s = 0
      let e = node.keys.length
      let c = 0
      while (s < e) {
        const mid = (s + e) >> 1
        c = compare(start, await node.getKey(mid))
        if (c === 0) {
          if (incl) entry.i = mid * 2 + 1
          else entry.i = mid * 2 + (this.#reverse ? 0 : 2)
          this.stack.push(entry)
          return
        }
        if (c < 0) e = mid
        else s = mid + 1
      }
      const i = c < 0 ? e : s
      entry.i = 2 * i + (this.#reverse ? -1 : 1)
      if (entry.i >= 0 && entry.i <= node.keys.length << 1) this.stack.push(entry)
      if (!node.children.length) return
      node = await node.getChildNode(i)
    }
  }

  /** The next entry, or null at the end of the range. */
  async next(): Promise<BeeNode | null> {
    const end = this.#reverse ? this.#gKey : this.#lKey
    const incl = this.#reverse ? this.#gIncl : this.#lIncl

    while (this.stack.length && (this.#limit === -1 || this.#limit > 0)) {
      const top = this.stack[this.stack.length - 1]!
      const isKey = (top.i & 1) === 1
      const n = this.#reverse ? (top.i < 0 ? top.node.keys.length : top.i-- >> 1) : top.i++ >> 1

      if (!isKey) {
        if (!top.node.children.length) continue
        checkDepth(this.stack.length, top.node.block?.seq)
        const node = top.node.getChildNodeCached(n) ?? (await top.node.getChildNode(n))
        // a stored node's children are reloaded on demand: let go of what was read
        if (top.node.block!.seq < this.batch.core.length) top.node.children[n]!.value = null
        this.stack.push({ i: this.#reverse ? node.keys.length << 1 : 0, node })
        continue
      }

      if (n >= top.node.keys.length) {
        this.stack.pop()
        continue
      }

      const seq = top.node.keys[n]!.seq
      const block = this.batch.getBlockCached(seq) ?? (await this.batch.getBlock(seq))
      if (end) {
        const c = compare(block.key, end)
        if (c === 0 ? !incl : this.#reverse ? c < 0 : c > 0) {
          this.#limit = 0
          break
        }
      }
      if (this.#limit > 0) this.#limit--
      return block.final(this.encoding)
    }
    return null
  }

  /** Releases the snapshot the iterator read from. */
  close(): Promise<void> {
    return this.batch.closeSnapshot()
  }
}
