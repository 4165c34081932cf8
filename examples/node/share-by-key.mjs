// Sharing by key: a writer, and readers that know only the writer's key. They replicate over
// streams (the same protocol runs over TCP, WebSockets, WebRTC or hyperswarm connections), and
// every block a reader gets is verified against the writer's signature before it is stored.
//
//   node examples/node/share-by-key.mjs
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Hypercore } from '@orchard/hypercore'
import { openMemoryStorage } from '@orchard/storage'
import { memoryPair } from '@orchard/wire'

const dir = await mkdtemp(join(tmpdir(), 'orchard-share-'))
try {
  const writer = new Hypercore(join(dir, 'writer'), { valueEncoding: 'utf-8' })
  await writer.append(['the first entry', 'the second entry'])
  console.log('writer has', writer.length, 'blocks; its key is', writer.id)

  // A reader starts empty (here in memory) and opens the core by its key: bytes, hex or z-base-32.
  const reader = new Hypercore(openMemoryStorage(), writer.key, { valueEncoding: 'utf-8' })
  await reader.ready()
  console.log('reader opened by key; writable?', reader.writable)

  // Connect them over a byte transport: here an in-memory pair of duplex streams. With a WebSocket
  // (`fromWebSocket`) or a TCP socket (`@orchard/wire/tcp`) it is the same two lines.
  const [a, b] = memoryPair()
  writer.replicate(true, { stream: a })
  reader.replicate(false, { stream: b })

  const block = await reader.get(1)
  console.log('reader gets block 1:', JSON.stringify(block))
  assert.equal(block, 'the second entry')

  // New appends reach the reader live.
  const appended = new Promise((resolve) => reader.once('append', resolve))
  await writer.append('a live entry')
  await appended
  console.log('reader saw the append: length', reader.length, '->', JSON.stringify(await reader.get(2)))

  // hypercore's own way needs no transport object: replicate() returns a raw stream, and two raw
  // streams are piped into each other.
  const second = new Hypercore(openMemoryStorage(), writer.id, { valueEncoding: 'utf-8' })
  const s1 = writer.replicate(true)
  const s2 = second.replicate(false)
  s1.pipe(s2).pipe(s1)
  console.log('a second reader, by z-base-32 id, over piped streams:', JSON.stringify(await second.get(0)))

  assert.equal(await second.get(2), 'a live entry')
  await second.close()
  await reader.close()
  await writer.close()
} finally {
  await rm(dir, { recursive: true, force: true })
}
