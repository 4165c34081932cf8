/**
 * The store itself (acceptance 4 and the basics): one core per key however often it is opened,
 * namespaces and sessions, typed errors on bad input, every core and the primary key in one
 * storage root (files, reopened), and many new cores opened at once without id collisions.
 */
import { join } from 'node:path'
import { ready } from '@orchard/crypto'
import { Hypercore, HypercoreError } from '@orchard/hypercore'
import { openMemoryStorage } from '@orchard/storage'
import { openFileStorage } from '@orchard/storage/fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Corestore } from '../src/index.ts'
import { block, cleanup, hex, RealHypercore, realCrypto, tmp, toArray, until } from './helpers.ts'

beforeAll(() => ready())
afterAll(() => cleanup())

const code = async (p: Promise<unknown>) => {
  try {
    await p
  } catch (err) {
    return (err as HypercoreError).code
  }
  return 'resolved'
}

describe('get', () => {
  it('the same core opened twice (in parallel or not) shares one core', async () => {
    const store = new Corestore(openMemoryStorage())
    const a = store.get({ name: 'test' })
    const b = store.get({ name: 'test' })
    await Promise.all([a.ready(), b.ready()])
    expect(a.core).toBe(b.core)
    const c = store.get(a.key!)
    const d = store.get({ key: hex(a.key) })
    await Promise.all([c.ready(), d.ready()])
    expect(c.core).toBe(a.core)
    expect(d.core).toBe(a.core)
    // the key pair is stored with the core: a session by key alone can write
    expect(c.writable).toBe(true)
    await a.append('one')
    expect(new TextDecoder().decode((await d.get(0))!)).toBe('one')
    expect(a.manifest!.signers.length).toBe(1)
    expect(hex(a.key)).not.toBe(hex(a.manifest!.signers[0]!.publicKey))
    await store.close()
    for (const s of [a, b, c, d]) expect(s.closed).toBe(true)
  })

  it('a given key, key pair or manifest is known at once', async () => {
    const store = new Corestore(openMemoryStorage())
    const key = new Uint8Array(32).fill(7)
    expect(hex(store.get({ key }).key)).toBe(hex(key))
    const keyPair = Hypercore.keyPair()
    const byPair = store.get({ keyPair })
    const expected = RealHypercore.key({
      version: 1,
      signers: [{ publicKey: Buffer.from(keyPair.publicKey) }]
    })
    expect(hex(byPair.key)).toBe(hex(expected))
    await byPair.ready()
    expect(byPair.writable).toBe(true)
    expect(hex(byPair.key)).toBe(hex(expected))
    const manifest = { quorum: 1, signers: [{ publicKey: new Uint8Array(32).fill(3) }] }
    expect(hex(store.get({ manifest }).key)).toBe(
      hex(RealHypercore.key({ quorum: 1, signers: [{ publicKey: Buffer.alloc(32, 3) }] }))
    )
    await store.close()
  })

  it('bad arguments give typed errors', async () => {
    const store = new Corestore(openMemoryStorage())
    expect(() => store.get({})).toThrow(HypercoreError)
    expect(() => store.get(new Uint8Array(5))).toThrow(/32 bytes/)
    expect(() => store.get('not a key')).toThrow(HypercoreError)
    expect(() => store.get({ name: 42 as unknown as string })).toThrow(HypercoreError)
    expect(() => store.namespace(7 as unknown as string)).toThrow(HypercoreError)
    expect(() => new Corestore(openMemoryStorage(), { primaryKey: new Uint8Array(32) })).toThrow(/unsafe/)
    expect(() => new Corestore(openMemoryStorage(), { primaryKey: new Uint8Array(3), unsafe: true })).toThrow(
      HypercoreError
    )
    expect(await code(store.get({ discoveryKey: new Uint8Array(32) }).ready())).toBe('STORAGE_EMPTY')
    expect(await code(store.get({ key: new Uint8Array(32).fill(1), createIfMissing: false }).ready())).toBe(
      'STORAGE_EMPTY'
    )
    await store.close()
    expect(() => store.get({ name: 'late' })).toThrow(HypercoreError)
    expect(() => store.session()).toThrow(HypercoreError)
    expect(() => store.replicate(true)).toThrow(HypercoreError)
  })

  it('opens a stored core by discovery key', async () => {
    const store = new Corestore(openMemoryStorage())
    const a = store.get({ name: 'dk' })
    await a.append('x')
    await a.close()
    const b = store.get({ discoveryKey: a.discoveryKey! })
    await b.ready()
    expect(hex(b.key)).toBe(hex(a.key))
    expect(b.length).toBe(1)
    await store.close()
  })

  it('a manifest given later for a core opened by key is learned and kept', async () => {
    const dir = tmp()
    const publicKey = realCrypto.randomBytes(32)
    const manifest = { quorum: 1, signers: [{ publicKey: new Uint8Array(publicKey) }] }
    const key = Hypercore.key(manifest)
    {
      const store = new Corestore(openFileStorage(dir))
      const a = store.get({ key })
      await a.ready()
      expect(a.manifest).toBe(null)
      const a2 = store.get({ manifest })
      await a2.ready()
      expect(a.manifest).not.toBe(null)
      await store.close()
    }
    {
      const store = new Corestore(openFileStorage(dir))
      const a = store.get({ key })
      await a.ready()
      expect(a.manifest).not.toBe(null)
      await store.close()
    }
  })
})

describe('namespaces and sessions', () => {
  it('namespaces separate names; chains are stable; a session starts in the root namespace', async () => {
    const store = new Corestore(openMemoryStorage())
    const a = store.namespace('a').get({ name: 'x' })
    const b = store.namespace('b').get({ name: 'x' })
    const ab = store.namespace('a').namespace('b').get({ name: 'x' })
    const ab2 = store.namespace('a').namespace('b').get({ name: 'x' })
    const root = store.get({ name: 'x' })
    const fromSession = store.namespace('a').session().get({ name: 'x' })
    await Promise.all([a, b, ab, ab2, root, fromSession].map((s) => s.ready()))
    const keys = new Set([a, b, ab, root].map((s) => hex(s.key)))
    expect(keys.size).toBe(4)
    expect(ab2.core).toBe(ab.core)
    expect(fromSession.core).toBe(root.core) // as corestore 7: session() resets the namespace
    await store.close()
  })

  it('closing a store session closes its sessions only; the root closes everything once', async () => {
    const storage = await openMemoryStorage()
    let closes = 0
    const close = storage.close.bind(storage)
    storage.close = () => {
      closes++
      return close()
    }
    const store = new Corestore(storage)
    const view = store.session()
    const ns = store.namespace('n')
    const a = view.get({ name: 'a' })
    const b = store.get({ name: 'a' })
    const c = ns.get({ name: 'c' })
    await Promise.all([a.ready(), b.ready(), c.ready()])
    expect(store.corestores.size).toBe(2)
    await view.close()
    expect(a.closed).toBe(true)
    expect(b.closed).toBe(false)
    expect(store.corestores.size).toBe(1)
    await b.append('still open')
    await store.close()
    expect(b.closed).toBe(true)
    expect(c.closed).toBe(true)
    expect(ns.closed).toBe(true)
    expect(storage.closed).toBe(true)
    expect(closes).toBe(1)
    expect(store.corestores.size).toBe(0)
  })

  it('a core nobody uses is closed after a few idle rounds; opening it again reads it back', async () => {
    const store = new Corestore(openMemoryStorage())
    const a = store.get({ name: 'idle' })
    await a.append('kept')
    const core = a.core
    await a.close()
    expect(core.closed).toBe(false) // not at once: corestore 7 lingers (4 rounds of 2 s)
    await until(() => core.closed, 15_000, 'the idle core to close')
    const again = store.get({ name: 'idle' })
    await again.ready()
    expect(again.core).not.toBe(core)
    expect(new TextDecoder().decode((await again.get(0))!)).toBe('kept')
    await store.close()
  }, 30_000)

  it('findingPeers makes update() wait until done, and is drained on close', async () => {
    const store = new Corestore(openMemoryStorage())
    const done = store.findingPeers()
    const core = store.get({ key: new Uint8Array(32) })
    let waited = false
    setTimeout(() => {
      waited = true
      done()
    }, 300)
    await core.update()
    expect(waited).toBe(true)
    const again = store.findingPeers()
    await store.close()
    again() // after close: harmless
  })

  it('watch() sees cores open; unwatch and close clear watchers', async () => {
    const store = new Corestore(openMemoryStorage())
    const seen: string[] = []
    const fn = (core: { discoveryKey: Uint8Array }) => seen.push(hex(core.discoveryKey))
    store.watch(fn)
    const a = store.get({ name: 'w1' })
    await a.ready()
    expect(seen).toEqual([hex(a.discoveryKey)])
    store.unwatch(fn)
    await store.get({ name: 'w2' }).ready()
    expect(seen.length).toBe(1)
    store.watch(fn)
    expect(store.watchers).not.toBe(null)
    await store.close()
    expect(store.watchers).toBe(null)
  })
})

describe('one storage root', () => {
  it('reopening a file root finds the primary key and every core with its data', async () => {
    const dir = join(tmp(), 'root')
    const made: { name: string; key: string; dk: string }[] = []
    let primaryKey = ''
    {
      const store = new Corestore(dir) // a name: a folder in Node
      await store.ready()
      primaryKey = hex(store.primaryKey)
      for (let i = 0; i < 30; i++) {
        const s = (i % 3 === 0 ? store.namespace('ns') : store).get({ name: `core-${i}` })
        await s.append([block(i, 0), block(i, 1)])
        made.push({ name: `core-${i}`, key: hex(s.key), dk: hex(s.discoveryKey) })
      }
      const byPair = store.get({ keyPair: Hypercore.keyPair() })
      await byPair.append(block(99, 0))
      made.push({ name: '', key: hex(byPair.key), dk: hex(byPair.discoveryKey) })
      await store.close()
    }
    const store = new Corestore(openFileStorage(dir))
    await store.ready()
    expect(hex(store.primaryKey)).toBe(primaryKey)
    const listed = (await toArray(store.list())).map(hex)
    expect(listed.slice().sort()).toEqual(made.map((m) => m.dk).sort())
    expect(listed).toEqual(listed.slice().sort()) // in discovery-key order, as corestore 7
    const inNs = (await toArray(store.list(store.namespace('ns').ns))).map(hex)
    expect(inNs.sort()).toEqual(
      made
        .filter((_, i) => i < 30 && i % 3 === 0)
        .map((m) => m.dk)
        .sort()
    )
    for (let i = 0; i < 30; i++) {
      const s = (i % 3 === 0 ? store.namespace('ns') : store).get({ name: `core-${i}` })
      await s.ready()
      expect(hex(s.key)).toBe(made[i]!.key)
      expect(s.length).toBe(2)
      expect(await s.get(1)).toEqual(block(i, 1))
    }
    const byDk = store.get({ discoveryKey: made[30]!.dk })
    await byDk.ready()
    expect(hex(byDk.key)).toBe(made[30]!.key)
    expect(byDk.writable).toBe(true)
    expect(await byDk.get(0)).toEqual(block(99, 0))
    await store.close()
  })

  it('a different primary key on a stored root is refused', async () => {
    const storage = openMemoryStorage()
    const store = new Corestore(storage, { primaryKey: new Uint8Array(32).fill(1), unsafe: true })
    await store.ready()
    const other = new Corestore(storage, { primaryKey: new Uint8Array(32).fill(2), unsafe: true })
    expect(await code(other.ready())).toBe('STORAGE_CONFLICT')
  })

  it('hypercore: concurrent creations in one root get distinct core ids (storage-layout fix)', async () => {
    const storage = await openMemoryStorage()
    const cores = Array.from({ length: 40 }, () => new Hypercore(storage, { closeStorage: false }))
    await Promise.all(cores.map((c) => c.ready()))
    await Promise.all(cores.map((c, i) => c.append(block(i, 0))))
    for (const [i, c] of cores.entries()) expect(await c.get(0)).toEqual(block(i, 0))
    // the first core created is the root's default core, and only it
    const reopened = new Hypercore(storage, { closeStorage: false })
    await reopened.ready()
    expect(hex(reopened.key)).toBe(hex(cores[0]!.key))
    for (const c of [...cores, reopened]) await c.close()
  })

  it('300 new cores opened at once get distinct storage and keep their data across a reopen', async () => {
    const dir = tmp()
    const n = 300
    const keys: string[] = []
    {
      const store = new Corestore(openFileStorage(dir))
      const cores = Array.from({ length: n }, (_, i) =>
        i % 2 === 0 ? store.get({ name: `c${i}` }) : store.get({ keyPair: Hypercore.keyPair() })
      )
      await Promise.all(cores.map((c, i) => c.append(block(i, 0))))
      for (const [i, c] of cores.entries()) {
        expect(await c.get(0)).toEqual(block(i, 0))
        keys.push(hex(c.key))
      }
      expect(new Set(keys).size).toBe(n)
      await store.close()
    }
    const store = new Corestore(openFileStorage(dir))
    expect((await toArray(store.list())).length).toBe(n)
    for (let i = 0; i < n; i++) {
      const c = store.get({ key: keys[i]! })
      expect(await c.get(0, { wait: false })).toEqual(block(i, 0))
    }
    await store.close()
  })
})
