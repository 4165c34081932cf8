/**
 * Mark and sweep, as hypercore 11 has it: while a session marks, every block read (or marked by
 * hand) is kept; `sweep` then clears every other stored block, in runs. Marks live in memory for
 * the core's lifetime (hypercore keeps them in storage; a reopened core starts unmarked).
 */
import type { Core } from './core.ts'

/** Clears every block of `core` not marked since marking started, then stops marking. */
export async function sweepUnmarked(core: Core): Promise<void> {
  const marks = core.marks ?? new Set<number>()
  let start = -1
  for (let i = 0; i <= core.length; i++) {
    const unmarked = i < core.length && !marks.has(i)
    if (unmarked && start === -1) start = i
    if (!unmarked && start !== -1) {
      await core.clear(start, i)
      start = -1
    }
  }
  core.marks = null
}
