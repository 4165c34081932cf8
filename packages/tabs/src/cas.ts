/**
 * Compare-and-swap across tabs. Hyperbee runs a `cas(current, next)` callback under its write
 * lock; a shared bee cannot send the callback to the owner, and cannot hold the owner's lock while
 * it runs. So the callback runs here, on the entry read from the owner, and the write goes out
 * with a condition: "only if the key still has that entry" (its seq; -1 for absent). The owner
 * checks it atomically with the write and refuses the write if another write came between; then
 * this loop reads again and asks the callback again. What any tab observes is what one Hyperbee
 * would give: each successful cas saw the entry it replaced.
 */
import { BadArgumentError, type BeeNode } from '@orchard/hyperbee'
import type { SharedBee, SharedBeeWriteOptions } from './bee.ts'

/** Runs a put (`value`) or del of `key` with `opts.cas`; see the module comment. */
export async function casWrite<K, V>(
  bee: SharedBee<K, V>,
  type: 'put' | 'del',
  key: K,
  value: V | undefined,
  opts: SharedBeeWriteOptions<K, V>
): Promise<void> {
  const { cas, ...plain } = opts
  if (typeof cas !== 'function') throw new BadArgumentError('cas must be a function')
  for (;;) {
    const prev = await bee.get(key, plain)
    if (prev === null && type === 'del') return // nothing to delete: Hyperbee asks no callback
    if (prev !== null) {
      // the seq the write lands at if nobody writes first (Hyperbee's `next.seq`)
      const next = { seq: Math.max(1, bee.core.length), key, value: type === 'put' ? value : null }
      if (!(await cas(prev, next as BeeNode<K, V | null>))) return
    }
    const op = type === 'put' ? bee._put(key, value, plain) : bee._del(key, plain)
    op.expect = prev === null ? -1 : prev.seq
    if (await bee._write([op], true)) return
  }
}
