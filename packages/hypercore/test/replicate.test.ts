import { ready } from '@orchard/crypto'
import { openMemoryStorage } from '@orchard/storage'
import { memoryPair } from '@orchard/wire'
import { beforeAll, describe, expect, it } from 'vitest'
import { Hypercore } from '../src/index.ts'
import { connect } from './memory-link.ts'

beforeAll(() => ready())

async function writerWith(n: number) {
  const core = new Hypercore(openMemoryStorage(), { valueEncoding: 'utf-8' })
  await core.ready()
  const blocks = Array.from({ length: n }, (_, i) => `block ${i}`)
  for (let i = 0; i < n; i += 500) await core.append(blocks.slice(i, i + 500))
  return core
}

describe('replication ours ⇄ ours', () => {
  it('reads blocks on demand and downloads everything', async () => {
    const writer = await writerWith(2000)
    const reader = new Hypercore(openMemoryStorage(), writer.key!, { valueEncoding: 'utf-8' })
    await reader.ready()
    const close = connect(writer, reader)
    expect(await reader.get(1234, { timeout: 5000 })).toBe('block 1234')
    expect(reader.length).toBe(2000)
    await reader.download({ start: 0, end: 2000 }).done()
    for (let i = 0; i < 2000; i += 97) expect(await reader.get(i, { wait: false })).toBe(`block ${i}`)
    expect(await reader.treeHash()).toEqual(await writer.treeHash())
    close()
    await writer.close()
    await reader.close()
  })

  it('gives a get that waited for a download its own copy: changing it leaves the stored block as it was', async () => {
    const writer = new Hypercore(openMemoryStorage())
    // 40 kB blocks travel one per frame, so the reader's store keeps them as they arrived
    const blocks = Array.from({ length: 4 }, (_, i) => new Uint8Array(40_000).fill(i + 1))
    await writer.append(blocks)
    const reader = new Hypercore(openMemoryStorage(), writer.key!)
    await reader.ready()
    const close = connect(writer, reader)
    const got = (await reader.get(2, { timeout: 5000 }))!
    expect(got).toEqual(blocks[2])
    got.fill(0)
    expect(await reader.get(2, { wait: false })).toEqual(blocks[2])
    await reader.download({ start: 0, end: 4 }).done()
    for (let i = 0; i < 4; i++) expect(await reader.get(i, { wait: false })).toEqual(blocks[i])
    close()
    await writer.close()
    await reader.close()
  })

  it('answers in turns while its transport is full, letting other tasks run in between', async () => {
    const writer = await writerWith(2000)
    const reader = new Hypercore(openMemoryStorage(), writer.key!, { valueEncoding: 'utf-8' })
    await reader.ready()
    const [x, y] = memoryPair()
    const write = x.write.bind(x)
    x.write = (chunk: Uint8Array) => {
      write(chunk)
      return false // still delivered, but the writer is told its transport is full
    }
    const sa = writer.replicate(true, { stream: x, keepAlive: 0 })
    const sb = reader.replicate(false, { stream: y, keepAlive: 0 })
    // blocks stored per turn of the event loop
    let turn = 0
    let running = true
    const tick = () => {
      turn++
      if (running) setImmediate(tick)
    }
    tick()
    const perTurn = new Map<number, number>()
    reader.on('download', () => perTurn.set(turn, (perTurn.get(turn) ?? 0) + 1))
    await reader.download({ start: 0, end: 2000 }).done()
    running = false
    expect([...perTurn.values()].reduce((a, b) => a + b, 0)).toBe(2000)
    // a turn holds one batch of answers (64), plus what the reader stored of the last one
    expect(Math.max(...perTurn.values())).toBeLessThanOrEqual(128)
    sa.destroy()
    sb.destroy()
    await writer.close()
    await reader.close()
  })

  it('replicates a core that is not open yet, on either side, losing nothing sent meanwhile', async () => {
    const writer = await writerWith(300)
    // a writer reopened from its storage root and a new reader, both replicating before `ready`
    const reader = new Hypercore(openMemoryStorage(), writer.key!, { valueEncoding: 'utf-8' })
    const lateWriter = writer.session()
    const close = connect(lateWriter, reader)
    expect(await reader.get(299, { timeout: 5000 })).toBe('block 299')
    await reader.download({ start: 0, end: 300 }).done()
    expect(await reader.treeHash()).toEqual(await writer.treeHash())
    close()
    await Promise.all([lateWriter.close(), writer.close(), reader.close()])
  })

  it('emits peer-add and peer-remove on every session as peers come and go', async () => {
    const writer = await writerWith(10)
    const reader = new Hypercore(openMemoryStorage(), writer.key!, { valueEncoding: 'utf-8' })
    const session = reader.session()
    const events: string[] = []
    reader.on('peer-add', () => events.push('add'))
    reader.on('peer-remove', () => events.push('remove'))
    session.on('peer-add', () => events.push('session add'))
    const close = connect(writer, reader)
    await reader.get(9, { timeout: 5000 })
    expect(events).toEqual(['add', 'session add'])
    expect(reader.peers.length).toBe(1)
    close()
    const deadline = Date.now() + 5000
    while (reader.peers.length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
    expect(events).toEqual(['add', 'session add', 'remove'])
    await Promise.all([session.close(), writer.close(), reader.close()])
  })

  it('follows live appends', async () => {
    const writer = await writerWith(3)
    const reader = new Hypercore(openMemoryStorage(), writer.key!, { valueEncoding: 'utf-8' })
    await reader.ready()
    const close = connect(writer, reader)
    const seen: unknown[] = []
    const done = (async () => {
      for await (const b of reader.createReadStream({ live: true })) {
        seen.push(b)
        if (seen.length === 6) break
      }
    })()
    await writer.append(['x', 'y'])
    await writer.append('z')
    await done
    expect(seen).toEqual(['block 0', 'block 1', 'block 2', 'x', 'y', 'z'])
    close()
  })
})
