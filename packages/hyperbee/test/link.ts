/**
 * Replication links between our cores and real hypercore 11 cores over an in-memory pipe: our side
 * runs our secret-stream on a memory duplex, the real side runs the real secret-stream on a streamx
 * bridge of the other end (as `packages/hypercore/test/interop/peers.ts`).
 */
import { realpathSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Hypercore } from '@orchard/hypercore'
import { memoryPair } from '@orchard/wire'
import { toStreamx } from '../../wire/test/helpers.ts'
import type { Real } from './helpers.ts'

const require = createRequire(import.meta.url)
const fromHypercore = createRequire(realpathSync(require.resolve('hypercore/package.json')))
const RealSecretStream = fromHypercore('@hyperswarm/secret-stream')

/** Connects `a` (initiator) and `b`; either may be ours or real. Returns a function that unlinks. */
export function link(
  a: { kind: 'ours' | 'real'; core: Real },
  b: { kind: 'ours' | 'real'; core: Real }
): () => void {
  const [x, y] = memoryPair()
  const streams: Array<{ destroy(): void }> = []
  for (const [side, raw, initiator] of [
    [a, x, true],
    [b, y, false]
  ] as const) {
    if (side.kind === 'ours')
      streams.push((side.core as Hypercore).replicate(initiator, { stream: raw, keepAlive: 0 }))
    else {
      const noise = new RealSecretStream(initiator, toStreamx(raw))
      side.core.replicate(noise, { keepAlive: false })
      streams.push(noise)
    }
  }
  return () => {
    for (const s of streams) s.destroy()
  }
}

/** Waits until `cond()` holds, or throws after `ms`. */
export async function until(
  cond: () => boolean | Promise<boolean>,
  ms = 15_000,
  what = 'condition'
): Promise<void> {
  const end = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}
