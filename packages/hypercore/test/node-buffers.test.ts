/**
 * `@orchard/hypercore/node`: Node apps ported from hypercore 11 get `Buffer`s where hypercore gives
 * them (binary blocks, user data), in sessions and snapshots too; other encodings are unchanged.
 */
import { Buffer } from 'node:buffer'
import { ready } from '@orchard/crypto'
import { openMemoryStorage } from '@orchard/storage'
import { memoryPair } from '@orchard/wire'
import { beforeAll, describe, expect, it } from 'vitest'
import { Hypercore as IsomorphicHypercore } from '../src/index.ts'
import { bufferEncoding, Hypercore } from '../src/node.ts'

beforeAll(() => ready())

describe('@orchard/hypercore/node', () => {
  it('gives Buffers for binary blocks, in sessions, snapshots and streams', async () => {
    const core = new Hypercore(openMemoryStorage())
    await core.append([Buffer.from('hello'), 'world'])
    const block = await core.get(0)
    expect(Buffer.isBuffer(block)).toBe(true)
    expect(block!.toString()).toBe('hello')
    expect(Buffer.isBuffer(await core.get(1, { valueEncoding: 'binary' }))).toBe(true)
    expect(Buffer.isBuffer(await core.get(1, { raw: true }))).toBe(true)

    const session = core.session()
    expect(session).toBeInstanceOf(Hypercore)
    expect((await session.get(1))!.toString()).toBe('world')
    const snapshot = core.snapshot()
    expect(Buffer.isBuffer(await snapshot.get(0))).toBe(true)
    const streamed: unknown[] = []
    for await (const b of core.createReadStream()) streamed.push(b)
    expect(streamed.every((b) => Buffer.isBuffer(b))).toBe(true)
    expect(streamed.map(String)).toEqual(['hello', 'world'])
    await Promise.all([session.close(), snapshot.close(), core.close()])
  })

  it('keeps other encodings, takes every argument shape, and returns user data as a Buffer', async () => {
    const text = new Hypercore({ storage: openMemoryStorage(), valueEncoding: 'utf-8' })
    await text.append('plain text')
    expect(await text.get(0)).toBe('plain text')
    const raw = await text.get(0, { raw: true })
    expect(Buffer.isBuffer(raw)).toBe(true)
    expect(String(raw)).toBe('plain text')
    await text.setUserData('note', Buffer.from('kept'))
    const note = await text.getUserData('note')
    expect(Buffer.isBuffer(note)).toBe(true)
    expect(note!.toString()).toBe('kept')

    const reader = new Hypercore(openMemoryStorage(), text.key!, {})
    const [x, y] = memoryPair()
    const a = text.replicate(true, { stream: x, keepAlive: 0 })
    const b = reader.replicate(false, { stream: y, keepAlive: 0 })
    const replicated = await reader.get(0)
    expect(Buffer.isBuffer(replicated)).toBe(true)
    expect(replicated!.toString()).toBe('plain text')
    a.destroy()
    b.destroy()
    await Promise.all([text.close(), reader.close()])
  })

  it('is the same core underneath: the isomorphic class reads the same bytes as Uint8Arrays', async () => {
    const storage = openMemoryStorage()
    const plain = new IsomorphicHypercore(storage, { closeStorage: false })
    await plain.append(new TextEncoder().encode('bytes'))
    const block = await plain.get(0)
    expect(Buffer.isBuffer(block)).toBe(false)
    await plain.close()
    const core = new Hypercore(storage)
    const same = await core.get(0)
    expect(Buffer.isBuffer(same)).toBe(true)
    expect(same).toEqual(Buffer.from('bytes'))
    expect(bufferEncoding.decode(block as Uint8Array)).toEqual(Buffer.from('bytes'))
    await core.close()
  })
})
