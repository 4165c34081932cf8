/**
 * The API suite's core part: Hypercore's sessions, appends, reads, events, errors, truncations,
 * streams, seeks, clears and downloads, through whatever holds the store.
 */
import { expect, it } from 'vitest'
import { collect, dec, enc, rejection, type SuiteErrors, toHex, type WithStore } from './suite-kit.ts'

/** Defines the core tests in the current `describe`. */
export function defineCoreTests(withStore: WithStore, errors: SuiteErrors): void {
  it(
    'appends to a named core and reads it back, with length, byteLength, keys and append events',
    withStore(async (store) => {
      const core = store.get({ name: 'log' })
      await core.ready()
      expect(core.key).toBeInstanceOf(Uint8Array)
      expect(core.key!.byteLength).toBe(32)
      expect(core.discoveryKey!.byteLength).toBe(32)
      expect(core.writable).toBe(true)
      expect(core.length).toBe(0)
      let appends = 0
      core.on('append', () => appends++)
      expect(await core.append(enc.encode('hello'))).toEqual({ length: 1, byteLength: 5 })
      expect(core.length).toBe(1)
      expect(await core.append(['a', 'bc'])).toEqual({ length: 3, byteLength: 8 })
      expect(core.length).toBe(3)
      expect(core.byteLength).toBe(8)
      expect(appends).toBe(2)
      expect(dec.decode(await core.get(0))).toBe('hello')
      expect(dec.decode(await core.get(2))).toBe('bc')
      expect(await core.get(3, { wait: false })).toBe(null)
      expect(await core.has(0, 3)).toBe(true)
      expect(await core.has(3)).toBe(false)
      expect(await core.get(1, { valueEncoding: 'utf-8' })).toBe('a')
    })
  )

  it(
    'shares one core between sessions: the same key, appends seen by the other, a waiting get',
    withStore(async (store) => {
      const a = store.get({ name: 'shared', valueEncoding: 'json' })
      const b = store.get({ name: 'shared', valueEncoding: 'json' })
      await Promise.all([a.ready(), b.ready()])
      expect(b.key).toEqual(a.key)
      const grown = new Promise<void>((resolve) => b.on('append', () => resolve()))
      const waiting = b.get(1)
      await a.append([{ n: 0 }, { n: 1 }])
      await grown
      expect(b.length).toBe(2)
      expect(await waiting).toEqual({ n: 1 })
      const byKey = store.get({ key: a.key! })
      await byKey.ready()
      expect(byKey.length).toBe(2)
      expect(dec.decode(await byKey.get(0))).toBe('{"n":0}')
      const other = store.namespace('elsewhere').get({ name: 'shared' })
      await other.ready()
      expect(other.key).not.toEqual(a.key)
      expect(other.length).toBe(0)
      await byKey.close()
      await other.close()
    })
  )

  it(
    'opens many cores at once, each its own',
    withStore(async (store) => {
      const cores = Array.from({ length: 6 }, (_, i) => store.get({ name: `many-${i}` }))
      await Promise.all(cores.map((c, i) => c.append(`block of ${i}`)))
      expect(new Set(cores.map((c) => toHex(c.key!))).size).toBe(6)
      for (const [i, c] of cores.entries()) expect(dec.decode(await c.get(0))).toBe(`block of ${i}`)
      await Promise.all(cores.map((c) => c.close()))
    })
  )

  it(
    'raises the owner errors as their own classes',
    withStore(async (store) => {
      const foreign = store.get({ key: crypto.getRandomValues(new Uint8Array(32)) })
      await foreign.ready()
      expect(foreign.writable).toBe(false)
      const err = await rejection(foreign.append('x'))
      expect(err).toBeInstanceOf(errors.SessionNotWritableError)
      expect(err.code).toBe('SESSION_NOT_WRITABLE')
      const core = store.get({ name: 'closing' })
      await core.ready()
      await core.close()
      expect(await rejection(core.get(0))).toBeInstanceOf(errors.SessionClosedError)
    })
  )

  it(
    'truncates: length, byte length and fork move, truncate events, cut blocks gone, appends go on',
    withStore(async (store) => {
      const core = store.get({ name: 'cut' })
      await core.ready()
      await core.append(['a', 'bb', 'ccc', 'dddd'].map((s) => enc.encode(s)))
      const events: [number, number][] = []
      core.on('truncate', (ancestors, fork) => events.push([ancestors, fork]))
      await core.truncate(2)
      expect([core.length, core.byteLength, core.fork]).toEqual([2, 3, 1])
      expect(events).toEqual([[2, 1]])
      expect(await core.get(2, { wait: false })).toBe(null)
      expect(dec.decode(await core.get(1))).toBe('bb')
      expect(await core.append(enc.encode('e'))).toEqual({ length: 3, byteLength: 4 })
      expect(dec.decode(await core.get(2))).toBe('e')
      await core.truncate(1, { fork: 5 })
      expect([core.length, core.fork]).toEqual([1, 5])
      await core.truncate(0, 7)
      expect([core.length, core.byteLength, core.fork]).toEqual([0, 0, 7])
      expect(events).toEqual([
        [2, 1],
        [1, 5],
        [0, 7]
      ])
      expect(await rejection(core.truncate(3))).toBeInstanceOf(errors.InvalidOperationError)
      const reader = store.get({ key: core.key! })
      await reader.ready()
      expect(reader.fork).toBe(7)
      await reader.close()
      await core.close()
    })
  )

  it(
    'reads blocks as streams (pages, ranges, live), seeks by byte, clears, and downloads',
    withStore(async (store) => {
      const core = store.get({ name: 'stream', valueEncoding: 'utf-8' })
      await core.ready()
      const words = Array.from({ length: 150 }, (_, i) => `w${i}`)
      await core.append(words)
      expect(await collect(core.createReadStream())).toEqual(words)
      expect(await collect(core.createReadStream({ start: 60, end: 70 }))).toEqual(words.slice(60, 70))
      const live = core.createReadStream({ start: 148, live: true })
      const got: unknown[] = []
      const reading = (async () => {
        for await (const block of live) {
          got.push(block)
          if (got.length === 4) break
        }
      })()
      await core.append(['x1', 'x2'])
      await reading
      expect(got).toEqual(['w148', 'w149', 'x1', 'x2'])

      // 'w0'..'w9' are 2 bytes each, 'w10'.. 3
      expect(await core.seek(0)).toEqual([0, 0])
      expect(await core.seek(5)).toEqual([2, 1])
      expect(await core.seek(21)).toEqual([10, 1])
      expect(await core.seek(core.byteLength + 10, { wait: false })).toBe(null)

      await core.download({ start: 0, end: 10 }).done() // all stored: done at once
      expect(await core.clear(0, 5, { diff: true })).toEqual({ blocks: 5 })
      expect(await core.has(0, 5)).toBe(false)
      expect(await core.get(0, { wait: false })).toBe(null)
      expect(await core.get(5)).toBe('w5')
      expect(await core.clear(0, 5, { diff: true })).toEqual({ blocks: 0 })
      expect(await core.clear(5, 6)).toBe(null)
      expect(core.length).toBe(152)
      // missing blocks and no peer: runs until destroyed
      const pending = core.download({ start: 0, end: 5 })
      pending.destroy()
      expect(await rejection(pending.done())).toMatchObject({ code: 'REQUEST_CANCELLED' })
      await core.close()
    })
  )
}
