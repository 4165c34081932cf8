/**
 * Test helper: replicates two of our cores over an in-memory pipe (`a` initiates) and returns a
 * function that cuts the link.
 */
import { memoryPair } from '@orchard/wire'
import type { Hypercore } from '../src/index.ts'

export function connect(a: Hypercore<unknown>, b: Hypercore<unknown>): () => void {
  const [x, y] = memoryPair()
  const sa = a.replicate(true, { stream: x, keepAlive: 0 })
  const sb = b.replicate(false, { stream: y, keepAlive: 0 })
  return () => {
    sa.destroy()
    sb.destroy()
  }
}
