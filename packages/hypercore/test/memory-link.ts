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

/** Fails with a clear message instead of hanging the run. */
export function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout>
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms)
  })
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}
