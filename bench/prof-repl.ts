import { Hypercore } from '@orchard/hypercore'
import { openMemoryStorage } from '@orchard/storage'
import { memoryPair } from '@orchard/wire'
import { ready } from '@orchard/crypto'
await ready()
const BLOCKS = 20000
for (let round = 0; round < 3; round++) {
  const writer = new Hypercore(openMemoryStorage())
  await writer.ready()
  const data = Array.from({ length: 1000 }, (_, i) => new Uint8Array(1024).fill(i & 0xff))
  for (let i = 0; i < BLOCKS; i += 1000) await writer.append(data)
  const reader = new Hypercore(openMemoryStorage(), writer.key!)
  await reader.ready()
  const [x, y] = memoryPair()
  const t = performance.now()
  const a = writer.replicate(true, { stream: x, keepAlive: 0 })
  const b = reader.replicate(false, { stream: y, keepAlive: 0 })
  while (reader.length < BLOCKS) await new Promise((r) => setTimeout(r, 1))
  await reader.download({ start: 0, end: BLOCKS }).done()
  const ms = performance.now() - t
  console.log('blocks/s', Math.round((BLOCKS * 1000) / ms))
  a.destroy(); b.destroy()
  await writer.close(); await reader.close()
}
