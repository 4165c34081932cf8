import { describe, expect, it } from 'vitest'
import { CachedNodes } from '../src/merkle/cache.ts'
import type { TreeNode, TreeNodeReader } from '../src/merkle/nodes.ts'

// The tree's node cache must not keep alive the buffers the nodes' hashes were decoded from: a
// proof's hashes are views into the whole transport frame (megabytes of blocks), and a download
// that cached those views held every frame it received — a 1 GiB download held 1 GiB.

const FRAME = 1 << 20

/** Nodes whose hashes are views into one big frame, as a decoded proof's are. */
function nodesInFrame(indexes: number[]): { frame: ArrayBuffer; nodes: TreeNode[] } {
  const frame = new ArrayBuffer(FRAME)
  const nodes = indexes.map((index, i) => {
    const hash = new Uint8Array(frame, 1000 + i * 32, 32)
    hash.fill(index + 1)
    return { index, size: 64, hash }
  })
  return { frame, nodes }
}

function storageOf(nodes: TreeNode[]): TreeNodeReader {
  const byIndex = new Map(nodes.map((n) => [n.index, n]))
  return {
    getNode: async (index) => byIndex.get(index) ?? null,
    getNodes: async (indexes) => indexes.map((i) => byIndex.get(i) ?? null)
  }
}

describe('tree node cache', () => {
  it('keeps copies of hashes that are views into a large buffer, with the same bytes', () => {
    const { frame, nodes } = nodesInFrame([0, 1, 2])
    const cache = new CachedNodes(storageOf([]))
    cache.add(nodes)
    for (const n of nodes) {
      const cached = cache.peek(n.index)!
      expect(cached.hash.buffer).not.toBe(frame)
      expect(cached.hash.buffer.byteLength).toBe(32)
      expect(cached.hash).toEqual(n.hash)
      expect(cached.size).toBe(n.size)
    }
  })

  it('copies such hashes read from storage too', async () => {
    const { frame, nodes } = nodesInFrame([4, 6, 8])
    const cache = new CachedNodes(storageOf(nodes))
    expect((await cache.getNode(4))!.hash).toEqual(nodes[0]!.hash)
    await cache.getNodes([6, 8])
    for (const index of [4, 6, 8]) expect(cache.peek(index)!.hash.buffer).not.toBe(frame)
  })

  it('keeps a hash on a small buffer of its own as it is', () => {
    const stored = new Uint8Array(40).fill(7)
    const node = { index: 3, size: 10, hash: stored.subarray(0, 32) }
    const cache = new CachedNodes(storageOf([]))
    cache.add([node])
    expect(cache.peek(3)).toBe(node)
  })

  it('a node displaced by another in its slot is read from storage again, and never mistaken for it', async () => {
    const hash = (fill: number) => new Uint8Array(32).fill(fill)
    const low = { index: 5, size: 1, hash: hash(1) }
    const high = { index: 5 + (1 << 16), size: 2, hash: hash(2) } // same slot as index 5
    let reads = 0
    const stored = storageOf([low, high])
    const cache = new CachedNodes({
      getNode: (i) => {
        reads++
        return stored.getNode(i)
      },
      getNodes: (is) => {
        reads += is.length
        return stored.getNodes(is)
      }
    })
    cache.add([low])
    expect(cache.peek(5)).toBe(low)
    expect(cache.peek(high.index)).toBeUndefined()
    cache.add([high])
    expect(cache.peek(5)).toBeUndefined()
    expect((await cache.getNode(5))!.size).toBe(1)
    expect(reads).toBe(1)
    expect(await cache.getNodes([5, high.index])).toMatchObject([{ size: 1 }, { size: 2 }])
    expect(reads).toBe(2) // 5 was cached by the read, the high one displaced by it again
    cache.clear()
    expect(cache.peek(5)).toBeUndefined()
  })
})
