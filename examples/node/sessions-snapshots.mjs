// Sessions and snapshots: several handles on one core share its state; a snapshot is a frozen
// view that keeps reading what it saw, even after the core is truncated.
//
//   node examples/node/sessions-snapshots.mjs
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Hypercore } from '@orchard/hypercore'

const dir = await mkdtemp(join(tmpdir(), 'orchard-sessions-'))
try {
  const core = new Hypercore(join(dir, 'core'), { valueEncoding: 'utf-8' })
  await core.append(['a', 'b', 'c'])

  // A session is another handle on the same core, with its own options (here: JSON values).
  const session = core.session({ valueEncoding: 'json' })
  await session.ready()
  await session.append({ n: 4 })
  console.log('the core sees the session’s append: length', core.length, '->', await core.get(3))

  // A snapshot freezes the length it was taken at. (Sessions take their own value encoding, as in
  // hypercore; none means raw bytes.)
  const snapshot = core.snapshot({ valueEncoding: 'utf-8' })
  await snapshot.ready()
  await core.append('e')
  console.log('after one more append: core length', core.length, ', snapshot length', snapshot.length)

  // Truncating the core does not take blocks away from the snapshot.
  await core.truncate(1)
  console.log('after truncate(1): core length', core.length, ', fork', core.fork)
  const kept = await snapshot.get(2)
  console.log('the snapshot still reads block 2:', JSON.stringify(kept))
  assert.equal(kept, 'c')
  assert.equal(snapshot.length, 4)

  // The core closes with its last session.
  await snapshot.close()
  await session.close()
  await core.close()
  console.log('all sessions closed: core closed?', core.closed)
} finally {
  await rm(dir, { recursive: true, force: true })
}
