/**
 * Acceptance 2 and 3: one replication stream between our store and the real corestore 7 carries
 * 24 cores (12 each way), both directions of initiator. The writers' cores are not open when the
 * stream starts (our writer store is reopened fresh, so its cores open on demand when the real
 * store asks for them); the readers open their cores after the stream is up. Every block is read
 * back verified and compared. A remote asking for a core we do not hold learns nothing.
 */
import RealSecretStream from '@hyperswarm/secret-stream'
import { ready } from '@orchard/crypto'
import { Hypercore } from '@orchard/hypercore'
import { openMemoryStorage } from '@orchard/storage'
import { openFileStorage } from '@orchard/storage/fs'
import { memoryPair } from '@orchard/wire'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Corestore } from '../src/index.ts'
import { type Any, block, cleanup, hex, pipeToReal, RealCorestore, tmp, toArray, until } from './helpers.ts'

beforeAll(() => ready())
afterAll(() => cleanup())

const CORES = 12
const lengthOf = (c: number) => 1 + ((c * 17) % 40)

/** Our writer: cores made, then the store closed and reopened — nothing open. */
async function ourWriter(): Promise<{ store: Corestore; keys: Uint8Array[] }> {
  const dir = tmp()
  const keys: Uint8Array[] = []
  const first = new Corestore(openFileStorage(dir))
  for (let c = 0; c < CORES; c++) {
    const core =
      c % 2 === 0
        ? first.namespace('w').get({ name: `ours-${c}` })
        : first.get({ keyPair: Hypercore.keyPair() })
    await core.append(Array.from({ length: lengthOf(c) }, (_, i) => block(c, i)))
    keys.push(core.key!)
  }
  await first.close()
  return { store: new Corestore(openFileStorage(dir)), keys }
}

/** The real writer: cores made, their sessions closed. */
async function realWriter(): Promise<{ store: Any; keys: Uint8Array[] }> {
  const store = new RealCorestore(tmp())
  const keys: Uint8Array[] = []
  for (let c = 0; c < CORES; c++) {
    const core = store.namespace('w').get({ name: `real-${c}` })
    await core.append(Array.from({ length: lengthOf(100 + c) }, (_, i) => Buffer.from(block(100 + c, i))))
    keys.push(new Uint8Array(core.key))
    await core.close()
  }
  return { store, keys }
}

/** One stream between our store and the real one (`oursInitiates` says who initiates). */
function connect(ours: Corestore, real: Any, oursInitiates: boolean) {
  const raw = ours.replicate(oursInitiates) as unknown as Parameters<typeof pipeToReal>[0]
  const theirs = real.replicate(!oursInitiates)
  pipeToReal(raw, theirs)
  return { raw, theirs }
}

describe('replicating with the real corestore 7 on one stream', () => {
  for (const oursInitiates of [true, false]) {
    it(`24 cores both ways, opened on demand (${oursInitiates ? 'ours' : 'real'} initiates)`, async () => {
      const ours = await ourWriter()
      const real = await realWriter()
      const opened: string[] = []
      ours.store.watch((core) => opened.push(hex(core.discoveryKey)))
      const { theirs } = connect(ours.store, real.store, oursInitiates)
      await new Promise((r) => setTimeout(r, 50)) // the stream is up before anyone opens a core

      // each reader opens the other's cores now
      const ourReaders = real.keys.map((key) => ours.store.get({ key }))
      const realReaders = ours.keys.map((key) => real.store.get({ key: Buffer.from(key) }))
      for (const [c, r] of ourReaders.entries()) {
        const want = lengthOf(100 + c)
        await until(() => r.length === want, 15_000, `our reader ${c}`)
        const got = await Promise.all(Array.from({ length: want }, (_, i) => r.get(i, { timeout: 10_000 })))
        expect(got).toEqual(Array.from({ length: want }, (_, i) => block(100 + c, i)))
      }
      for (const [c, r] of realReaders.entries()) {
        await r.ready()
        const want = lengthOf(c)
        await until(() => r.length === want, 15_000, `real reader ${c}`)
        const got = await Promise.all(Array.from({ length: want }, (_, i) => r.get(i, { timeout: 10_000 })))
        expect(got.map((b: Uint8Array) => new Uint8Array(b))).toEqual(
          Array.from({ length: want }, (_, i) => block(c, i))
        )
      }
      // our writer's cores were opened on demand, when the real store asked for them
      for (const key of ours.keys) expect(opened).toContain(hex(Hypercore.discoveryKey(key)))
      theirs.destroy()
      await ours.store.close()
      await real.store.close()
    }, 90_000)
  }

  it('a core opened after the stream is up, written later, reaches the real reader live', async () => {
    const ours = new Corestore(openMemoryStorage())
    const real = new RealCorestore(tmp())
    const { theirs } = connect(ours, real, true)
    const writer = ours.get({ name: 'late' })
    await writer.ready()
    const reader = real.get({ key: Buffer.from(writer.key!) })
    await writer.append(block(1, 0))
    expect(new Uint8Array(await reader.get(0, { timeout: 10_000 }))).toEqual(block(1, 0))
    await writer.append(block(1, 1))
    expect(new Uint8Array(await reader.get(1, { timeout: 10_000 }))).toEqual(block(1, 1))
    theirs.destroy()
    await ours.close()
    await real.close()
  })
})

describe('a remote asking for a core we do not hold', () => {
  for (const oursInitiates of [true, false]) {
    it(`learns nothing, and nothing is created (${oursInitiates ? 'ours' : 'real'} initiates)`, async () => {
      const storage = await openMemoryStorage()
      const ours = new Corestore(storage)
      const held = ours.get({ name: 'held' })
      await held.append('mine')
      const before = (await toArray(ours.list())).map(hex)
      const opened: string[] = []
      ours.watch((core) => opened.push(hex(core.discoveryKey)))

      const real = new RealCorestore(tmp())
      const secret = real.get({ name: 'not-shared' })
      await secret.append(Buffer.from('theirs'))
      const { theirs } = connect(ours, real, oursInitiates)

      // the real store asks for a core we do not hold (its own) and for a random key
      const stranger = real.get({ key: Buffer.alloc(32, 9) })
      await stranger.ready()
      // and for one we do hold, to show the stream works
      const reader = real.get({ key: Buffer.from(held.key!) })
      expect(Buffer.from(await reader.get(0, { timeout: 10_000 })).toString()).toBe('mine')

      await new Promise((r) => setTimeout(r, 300))
      expect(await stranger.get(0, { wait: false })).toBe(null)
      await expect(stranger.get(0, { timeout: 300 })).rejects.toThrow()
      expect(stranger.length).toBe(0)
      expect(stranger.peers.length).toBe(0)
      expect(secret.peers.length).toBe(0)
      expect(reader.peers.length).toBe(1)
      // nothing opened or created on our side
      expect(opened).toEqual([])
      expect((await toArray(ours.list())).map(hex)).toEqual(before)
      for (const dk of [secret.discoveryKey, stranger.discoveryKey]) {
        expect(
          await ours
            .get({ discoveryKey: new Uint8Array(dk) })
            .ready()
            .then(
              () => 'opened',
              (e) => e.code
            )
        ).toBe('STORAGE_EMPTY')
      }
      theirs.destroy()
      await ours.close()
      await real.close()
    })
  }
})

describe('on a Holepunch secret-stream (a hyperswarm connection)', () => {
  it('both stores replicate on the connection they are given; ours does not destroy it', async () => {
    const a = new RealSecretStream(true)
    const b = new RealSecretStream(false)
    a.rawStream.pipe(b.rawStream).pipe(a.rawStream)
    const ours = new Corestore(openMemoryStorage())
    const real = new RealCorestore(tmp())
    const writer = ours.get({ name: 'conn' })
    await writer.append(block(5, 0))
    ours.replicate(a)
    real.replicate(b)
    const reader = real.get({ key: Buffer.from(writer.key!) })
    expect(new Uint8Array(await reader.get(0, { timeout: 10_000 }))).toEqual(block(5, 0))
    await ours.close()
    expect(a.destroyed).toBe(false) // external: the app owns the connection
    a.destroy()
    await real.close()
  })
})

describe('between two of our stores', () => {
  it('replicates as corestore 7 does (clone by key, opened on demand by the writer store)', async () => {
    const a = new Corestore(openMemoryStorage())
    const b = new Corestore(openMemoryStorage())
    const core = a.get({ name: 'foo' })
    await core.append('hello')
    await core.close()
    const clone = b.get(core.key!)
    const [x, y] = memoryPair()
    b.replicate(true, { stream: x, keepAlive: false })
    a.replicate(false, { stream: y, keepAlive: false })
    expect(new TextDecoder().decode((await clone.get(0, { timeout: 10_000 }))!)).toBe('hello')
    await a.close()
    await b.close()
  })
})
