// An append-only log on disk: open a core by folder name, append, read back, stream, reopen.
//
//   node examples/node/log.mjs
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Hypercore } from '@orchard/hypercore'

const dir = await mkdtemp(join(tmpdir(), 'orchard-log-'))
try {
  // In Node a name is a folder (in a browser it would be an IndexedDB database).
  const folder = join(dir, 'my-log')
  const core = new Hypercore(folder, { valueEncoding: 'utf-8' })
  await core.ready()
  console.log('opened a new core in', folder)
  console.log('  key', core.id)

  const { length, byteLength } = await core.append(['hello', 'append-only', 'world'])
  console.log(`appended 3 blocks: length ${length}, ${byteLength} bytes`)

  console.log('block 1 is', JSON.stringify(await core.get(1)))

  const blocks = []
  for await (const block of core.createReadStream()) blocks.push(block)
  console.log('read stream:', blocks.join(' | '))
  assert.deepEqual(blocks, ['hello', 'append-only', 'world'])
  await core.close()

  // The log survives the process: reopen the folder, and it is still there, still writable.
  const again = new Hypercore(folder, { valueEncoding: 'utf-8' })
  await again.ready()
  await again.append('one more')
  console.log(
    `reopened: length ${again.length}, last block ${JSON.stringify(await again.get(again.length - 1))}`
  )
  assert.equal(await again.get(3), 'one more')
  await again.close()
} finally {
  await rm(dir, { recursive: true, force: true })
}
