// The packaging test's plain-Node script: run with `node` (no loader) in a folder where the packed
// @orchard/* tarballs were installed with npm. It does what the seed's examples do and prints each
// check; any failure exits non-zero.
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { backend } from '@orchard/crypto'
import { Hypercore } from '@orchard/hypercore'
import { openMemoryStorage } from '@orchard/storage'
import { kernelSource } from '@orchard/wasm'
import { memoryPair } from '@orchard/wire'

const dir = mkdtempSync(join(tmpdir(), 'orchard-smoke-'))
const enc = new TextEncoder()
const dec = new TextDecoder()
const text = (b) => dec.decode(b)
const ok = (what) => console.log(`ok - ${what}`)

try {
  // a core on disk: append and get
  const core = new Hypercore(join(dir, 'log'))
  await core.ready()
  await core.append([enc.encode('hello'), enc.encode('world')])
  await core.append(enc.encode('!'))
  assert.equal(core.length, 3)
  assert.equal(text(await core.get(1)), 'world')
  assert.ok(readdirSync(join(dir, 'log')).length > 0)
  ok(`a core on disk: length ${core.length}, block 1 = "world" (crypto backend: ${backend()})`)
  assert.equal(kernelSource(), 'asset')
  ok('the hashing kernel was read from its .wasm file')

  // the discovery key: 32 bytes, derived from the key, equal to the static helper's
  assert.equal(core.discoveryKey.byteLength, 32)
  assert.deepEqual(core.discoveryKey, Hypercore.discoveryKey(core.key))
  assert.notDeepEqual(core.discoveryKey, core.key)
  ok('the discovery key is 32 bytes, derived from the key')

  // a second core opened by key replicates over an in-memory pipe
  const clone = new Hypercore(openMemoryStorage(), core.key)
  await clone.ready()
  assert.equal(clone.writable, false)
  const [a, b] = memoryPair()
  core.replicate(true, { stream: a, keepAlive: 0 })
  clone.replicate(false, { stream: b, keepAlive: 0 })
  assert.equal(text(await clone.get(2)), '!')
  await clone.download({ start: 0, end: 3 }).done()
  assert.equal(clone.length, 3)
  assert.equal(text(await clone.get(0, { wait: false })), 'hello')
  ok('a second core opened by key replicated every block')

  // a session shares the core; a snapshot stays at its length
  const session = core.session()
  const snapshot = core.snapshot()
  await snapshot.ready()
  await session.append(enc.encode('from the session'))
  assert.equal(core.length, 4)
  assert.equal(snapshot.length, 3)
  assert.equal(text(await core.get(3)), 'from the session')
  ok(`a session appended (length ${core.length}); the snapshot still has length ${snapshot.length}`)

  await snapshot.close()
  await session.close()
  await clone.close()
  await core.close()

  // reopened from disk
  const again = new Hypercore(join(dir, 'log'))
  await again.ready()
  assert.equal(again.length, 4)
  assert.equal(text(await again.get(0)), 'hello')
  await again.close()
  ok('reopened from disk with all 4 blocks')
} finally {
  rmSync(dir, { recursive: true, force: true })
}
console.log('all checks passed')
