/**
 * Crash safety of the file adapter: a child process writes numbered batches and is killed with
 * SIGKILL at random moments — while writing, fsyncing, compacting or still recovering from the
 * previous kill. After every kill the store must open, hold every batch the child acknowledged,
 * and hold no batch partially.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { openFileStorage } from '../src/fs.ts'
import { bundleFixture, removeFixtureBundles, runChild } from './fixtures/child.ts'
import { checkState, readHead } from './fixtures/crash-batches.ts'

const KILLS = 60
const dir = mkdtempSync(join(tmpdir(), 'orchard-storage-crash-'))
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  await removeFixtureBundles()
})

/** xorshift32, seeded so a failing run can be replayed. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 0x100000000
  }
}

describe('file storage under SIGKILL', () => {
  it(`keeps every acknowledged batch and no partial one, over ${KILLS} kills`, {
    timeout: 240_000
  }, async () => {
    const script = await bundleFixture(fileURLToPath(new URL('./fixtures/crash-writer.ts', import.meta.url)))
    const seed = Number(process.env.ORCHARD_CRASH_SEED ?? Date.now() % 1_000_000)
    const rand = prng(seed)
    let acked = -1
    let killedWhileOpening = 0
    const generationsSeen = new Set<number>()
    for (let round = 0; round < KILLS; round++) {
      const child = runChild(script, [dir])
      // A few kills land while the child is still opening (recovering from the previous kill).
      const early = rand() < 0.15
      if (!early) await child.waitFor('ready')
      await new Promise((r) => setTimeout(r, early ? rand() * 40 : 20 + rand() * 250))
      child.proc.kill('SIGKILL')
      const { signal } = await child.exited
      expect(signal, `round ${round} (seed ${seed})`).toBe('SIGKILL')
      if (!child.lines.some((l) => l.startsWith('ready'))) killedWhileOpening++
      for (const line of child.lines) {
        if (line.startsWith('ack ')) acked = Math.max(acked, Number(line.slice(4)))
      }

      const st = await openFileStorage(dir)
      const head = await readHead(st)
      // Everything acknowledged is there; at most the batches in flight at the kill are extra.
      expect(head, `round ${round} (seed ${seed}): head ${head}, acked ${acked}`).toBeGreaterThanOrEqual(
        acked
      )
      expect(head, `round ${round} (seed ${seed})`).toBeLessThanOrEqual(acked + 2)
      // Byte-compare the recent batches every round, everything every tenth round.
      const problems = await checkState(st, head, round % 10 === 9 ? 0 : Math.max(0, head - 300))
      expect(problems, `round ${round} (seed ${seed})`).toEqual([])
      generationsSeen.add(st.stats().generation)
      await st.close()
      acked = head
    }
    // The run exercised what it claims to: kills during recovery, compactions in between.
    expect(killedWhileOpening).toBeGreaterThan(0)
    expect(generationsSeen.size).toBeGreaterThan(1)
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([])
  })
})
