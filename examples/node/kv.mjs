// A key-value database: a Hyperbee (a B-tree stored in a hypercore) on disk, with sorted range
// reads, atomic batches, a snapshot of an older version, and the history of changes.
//
//   node examples/node/kv.mjs
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Hyperbee } from '@orchard/hyperbee'
import { Hypercore } from '@orchard/hypercore'

const dir = await mkdtemp(join(tmpdir(), 'orchard-kv-'))
try {
  const core = new Hypercore(join(dir, 'db'))
  const db = new Hyperbee(core, { keyEncoding: 'utf-8', valueEncoding: 'json' })
  await db.ready()

  await db.put('fruit/apple', { colour: 'red' })
  await db.put('fruit/banana', { colour: 'yellow' })
  await db.put('veg/leek', { colour: 'green' })
  console.log('apple is', (await db.get('fruit/apple')).value)

  // Writes in a batch land as one atomic append.
  const batch = db.batch()
  await batch.put('fruit/cherry', { colour: 'dark red' })
  await batch.del('veg/leek')
  await batch.flush()
  const version = db.version
  console.log('after the batch, version', version)

  // Keys are sorted: a range read walks a prefix in order.
  const fruit = []
  for await (const { key, value } of db.createReadStream({ gte: 'fruit/', lt: 'fruit0' })) {
    fruit.push(key)
    console.log('  ', key, '->', value.colour)
  }
  assert.deepEqual(fruit, ['fruit/apple', 'fruit/banana', 'fruit/cherry'])

  // Every version stays readable: a checkout sees the database as it was.
  await db.put('fruit/apple', { colour: 'green' })
  const before = db.checkout(version)
  console.log(
    'apple now',
    (await db.get('fruit/apple')).value.colour,
    '- at version',
    version,
    'it was',
    (await before.get('fruit/apple')).value.colour
  )
  assert.equal((await before.get('fruit/apple')).value.colour, 'red')
  await before.close()

  // The history stream lists every change, in order.
  const changes = []
  for await (const { type, key } of db.createHistoryStream()) changes.push(`${type} ${key}`)
  console.log('history:', changes.join(', '))

  await db.close()
  await core.close()
} finally {
  await rm(dir, { recursive: true, force: true })
}
