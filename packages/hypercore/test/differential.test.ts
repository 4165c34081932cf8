/**
 * Differential suite: every scenario runs once against the real hypercore 11 (the reference) and
 * once against Orchard, each recording a trace of what a user observes — returned values (bytes
 * normalised), lengths, byte lengths, forks, writability, events in order, error codes — and the
 * two traces must be equal. Replication scenarios run real⇄real and ours⇄ours.
 *
 * A step that hangs is recorded as `{ hang }` after a few seconds, and a whole run is cut off
 * after `SCENARIO_MS`, so a hang shows up as a failed comparison rather than a stalled run.
 * Set `DIFFERENTIAL_DEBUG=1` to print both traces.
 */
import { ready } from '@orchard/crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { localDataScenarios } from './differential/local-data.ts'
import { localSessionScenarios } from './differential/local-sessions.ts'
import { namedSessionScenarios } from './differential/named-sessions.ts'
import { replicationScenarios } from './differential/replication.ts'
import { oursTarget, realTarget, type Scenario, type Target } from './differential/targets.ts'
import { errorRecord, ScenarioTimeout, Trace, type TraceRecord, withTimeout } from './differential/trace.ts'

const SCENARIO_MS = 8_000

beforeAll(() => ready())

interface Run {
  records: TraceRecord[]
  /** Why the run stopped early (a hang or an exception outside any step), if it did. */
  aborted: string | null
}

async function runOn(make: () => Target, scenario: Scenario): Promise<Run> {
  const target = make()
  const t = new Trace(target.name)
  try {
    await withTimeout(scenario.run(target, t), SCENARIO_MS, () => `no end after ${SCENARIO_MS} ms`)
    return { records: t.records.slice(), aborted: null }
  } catch (err) {
    const why =
      err instanceof ScenarioTimeout
        ? { hang: SCENARIO_MS, lastStep: t.current }
        : { threw: errorRecord(err), lastStep: t.current }
    return {
      records: [...t.records, ['scenario aborted', why]],
      aborted: `[${target.name}] ${JSON.stringify(why)}`
    }
  } finally {
    t.unwatchAll()
    await target.teardown()
  }
}

function define(group: string, scenarios: Scenario[]): void {
  describe(group, () => {
    for (const scenario of scenarios) {
      it(scenario.name, async () => {
        const real = await runOn(realTarget, scenario)
        // the reference must get through the whole story, or the scenario itself is wrong
        expect(real.aborted, 'the real hypercore did not finish the scenario').toBeNull()
        const ours = await runOn(oursTarget, scenario)
        if (process.env.DIFFERENTIAL_DEBUG) {
          console.log(scenario.name, JSON.stringify({ real: real.records, ours: ours.records }, null, 1))
        }
        expect(ours.records).toEqual(real.records)
      }, 30_000)
    }
  })
}

define('differential: one core', localDataScenarios)
define('differential: sessions, snapshots, lifecycle', localSessionScenarios)
define('differential: named sessions and commit', namedSessionScenarios)
define('differential: replication (real⇄real vs ours⇄ours)', replicationScenarios)
