/**
 * Many cores on one replication stream, as corestore and hyperswarm apps use it: a core attached
 * twice to the same stream is one peer, not a second one that never connects.
 */
import { ready } from '@orchard/crypto'
import { openMemoryStorage } from '@orchard/storage'
import { memoryPair } from '@orchard/wire'
import { beforeAll, describe, expect, it } from 'vitest'
import { Hypercore } from '../src/index.ts'
import { within } from './memory-link.ts'

beforeAll(() => ready())

describe('one stream, many attachments', () => {
  it('a core attached twice to one stream still settles update({ wait: true })', async () => {
    const writer = new Hypercore(openMemoryStorage())
    await writer.append('hi')
    const reader = new Hypercore(openMemoryStorage(), writer.key!)
    const [x, y] = memoryPair()
    const a = writer.replicate(true, { stream: x, keepAlive: false })
    const b = reader.replicate(false, { stream: y, keepAlive: false })
    reader.replicate(b, { keepAlive: false }) // the same stream again
    expect(await within(5000, 'first update', reader.update({ wait: true }))).toBe(true)
    expect(await within(5000, 'writer update', writer.update({ wait: true }))).toBe(false)
    // before the fix the second attachment counted as a peer still connecting, forever
    expect(await within(5000, 'second update', reader.update({ wait: true }))).toBe(false)
    expect(reader.length).toBe(1)
    a.destroy()
    b.destroy()
    await Promise.all([writer.close(), reader.close()])
  })
})
