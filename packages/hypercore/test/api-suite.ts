/**
 * The Hypercore API suite: the same tests on every storage adapter — memory and files in Node,
 * IndexedDB in real Chromium. Imports nothing from Node.
 */
import { keyPair, ready } from '@orchard/crypto'
import type { Storage } from '@orchard/storage'
import { describe, expect, it } from 'vitest'
import { Hypercore, type HypercoreOptions } from '../src/index.ts'

export interface ApiSuiteTarget {
  /** Opens storage root `name`; the same name reaches the same data after a close. */
  open(name: string): Promise<Storage>
}

const enc = new TextEncoder()
const text = (b: unknown) => new TextDecoder().decode(b as Uint8Array)
let counter = 0
const fresh = () => `api-${Date.now().toString(36)}-${++counter}`

export function defineApiSuite(label: string, target: ApiSuiteTarget): void {
  const open = async (name: string, opts: HypercoreOptions = {}) => {
    const core = new Hypercore(await target.open(name), opts)
    await core.ready()
    return core
  }

  describe(`Hypercore API on ${label}`, () => {
    it('appends, reads and reports lengths', async () => {
      const core = await open(fresh())
      expect(core.writable).toBe(true)
      expect(core.length).toBe(0)
      expect(await core.append(enc.encode('a'))).toEqual({ length: 1, byteLength: 1 })
      expect(await core.append([enc.encode('bb'), enc.encode('ccc')])).toEqual({ length: 3, byteLength: 6 })
      expect(text(await core.get(1))).toBe('bb')
      expect(await core.has(0)).toBe(true)
      expect(await core.has(0, 3)).toBe(true)
      expect(await core.has(3)).toBe(false)
      expect(core.contiguousLength).toBe(3)
      const info = await core.info()
      expect(info).toMatchObject({ length: 3, byteLength: 6, fork: 0, contiguousLength: 3, padding: 0 })
      expect(core.key?.byteLength).toBe(32)
      expect(core.discoveryKey?.byteLength).toBe(32)
      await core.close()
      expect(core.closed).toBe(true)
    })

    it('reopens with everything restored', async () => {
      const name = fresh()
      const a = await open(name, { valueEncoding: 'utf-8' })
      await a.append(['one', 'two', 'three'])
      await a.setUserData('hello', 'world')
      const key = a.key!
      const hash = await a.treeHash()
      await a.close()

      const b = await open(name, { valueEncoding: 'utf-8' })
      expect(b.key).toEqual(key)
      expect(b.length).toBe(3)
      expect(b.byteLength).toBe(11)
      expect(b.writable).toBe(true)
      expect(await b.treeHash()).toEqual(hash)
      expect(await b.get(2)).toBe('three')
      expect(text(await b.getUserData('hello'))).toBe('world')
      await b.append('four')
      expect(await b.get(3)).toBe('four')
      await b.close()
    })

    it('seeks byte offsets to blocks', async () => {
      const core = await open(fresh())
      await core.append([enc.encode('aa'), enc.encode('bbb'), enc.encode(''), enc.encode('c')])
      expect(await core.seek(0)).toEqual([0, 0])
      expect(await core.seek(1)).toEqual([0, 1])
      expect(await core.seek(2)).toEqual([1, 0])
      expect(await core.seek(4)).toEqual([1, 2])
      expect(await core.seek(5)).toEqual([2, 0]) // the empty block 2 starts where block 3 does; hypercore picks 2
      expect(await core.seek(6)).toEqual([4, 0]) // the end of the core, as hypercore answers
      // past the end a seek waits for the core to grow (as hypercore): null without waiting
      expect(await core.seek(7, { wait: false })).toBe(null)
      await expect(core.seek(7, { timeout: 20 })).rejects.toMatchObject({ code: 'REQUEST_TIMEOUT' })
      await core.close()
    })

    it('truncates, bumps the fork and survives a reopen', async () => {
      const name = fresh()
      const core = await open(name, { valueEncoding: 'utf-8' })
      await core.append(['a', 'b', 'c', 'd', 'e'])
      const truncated: number[][] = []
      core.on('truncate', (ancestors, fork) => truncated.push([ancestors, fork]))
      await core.truncate(2)
      expect(truncated).toEqual([[2, 1]])
      expect(core.length).toBe(2)
      expect(core.fork).toBe(1)
      expect(await core.get(3, { wait: false })).toBe(null)
      await core.append(['x'])
      expect(await core.get(2)).toBe('x')
      await core.close()
      const again = await open(name, { valueEncoding: 'utf-8' })
      expect(again.length).toBe(3)
      expect(again.fork).toBe(1)
      expect(await again.get(2)).toBe('x')
      await again.close()
    })

    it('sessions share state and close independently', async () => {
      const core = await open(fresh(), { valueEncoding: 'utf-8' })
      const s = core.session({ valueEncoding: 'utf-8' })
      await s.ready()
      const appended: number[] = []
      s.on('append', () => appended.push(s.length))
      await core.append('x')
      expect(s.length).toBe(1)
      expect(await s.get(0)).toBe('x')
      expect(appended).toEqual([1])
      const binary = core.session({ valueEncoding: 'binary' })
      await binary.ready()
      expect(await binary.get(0)).toEqual(enc.encode('x'))
      await s.close()
      expect(s.closed).toBe(true)
      await core.append('y') // the core is still open for the other sessions
      await expect(s.get(0)).rejects.toMatchObject({ code: 'SESSION_CLOSED' })
      const ro = core.session({ writable: false })
      await ro.ready()
      expect(ro.writable).toBe(false)
      await expect(ro.append('z')).rejects.toMatchObject({ code: 'SESSION_NOT_WRITABLE' })
      await ro.close()
      await binary.close()
      await core.close()
    })

    it('snapshots keep their length across appends and fail sanely after truncation', async () => {
      const core = await open(fresh(), { valueEncoding: 'utf-8' })
      await core.append(['a', 'b', 'c'])
      const snap = core.snapshot({ valueEncoding: 'utf-8' })
      await snap.ready()
      await core.append(['d'])
      expect(snap.length).toBe(3)
      expect(core.length).toBe(4)
      expect(await snap.get(2)).toBe('c')
      await expect(snap.get(3)).rejects.toMatchObject({ code: 'SNAPSHOT_NOT_AVAILABLE' })
      await core.truncate(1)
      expect(await snap.get(0)).toBe('a')
      expect(await snap.get(1)).toBe('b') // kept for the snapshot, as hypercore keeps it
      await snap.close()
      await core.close()
    })

    it('encrypts blocks, reads them back, and rejects a wrong key on reopen', async () => {
      const name = fresh()
      const encryptionKey = new Uint8Array(32).fill(7)
      const core = await open(name, { encryptionKey, valueEncoding: 'utf-8' })
      await core.append(['secret', 'message'])
      expect(core.padding).toBe(8)
      expect(core.byteLength).toBe(13)
      const raw = (await core.get(0, { raw: true })) as Uint8Array
      expect(raw.byteLength).toBe(6 + 8)
      expect(text(raw.subarray(8))).not.toBe('secret')
      expect(await core.get(0)).toBe('secret')
      await core.close()
      const wrong = new Hypercore(await target.open(name), { encryptionKey: new Uint8Array(32).fill(8) })
      await expect(wrong.ready()).rejects.toMatchObject({ code: 'INVALID_ENCRYPTION_KEY' })
      const right = await open(name, { encryptionKey, valueEncoding: 'utf-8' })
      expect(await right.get(1)).toBe('message')
      await right.close()
    })

    it('streams blocks, live appends and byte ranges', async () => {
      const core = await open(fresh(), { valueEncoding: 'utf-8' })
      await core.append(['a', 'bc', 'def'])
      const seen: unknown[] = []
      for await (const b of core.createReadStream()) seen.push(b)
      expect(seen).toEqual(['a', 'bc', 'def'])
      const ranged: unknown[] = []
      for await (const b of core.createReadStream({ start: 1, end: 2 })) ranged.push(b)
      expect(ranged).toEqual(['bc'])

      const live: unknown[] = []
      const done = (async () => {
        for await (const b of core.createReadStream({ start: 2, live: true })) {
          live.push(b)
          if (live.length === 3) break
        }
      })()
      await core.append('g')
      await core.append('h')
      await done
      expect(live).toEqual(['def', 'g', 'h'])

      const bytes: string[] = []
      for await (const chunk of core.createByteStream({ byteOffset: 2, byteLength: 4 }))
        bytes.push(text(chunk))
      expect(bytes.join('')).toBe('cdef')
      await core.close()
    })

    it('rejects bad input with typed errors and leaves the core unchanged', async () => {
      const core = await open(fresh(), { maxBlockSize: 16 })
      await core.append(enc.encode('ok'))
      const hash = await core.treeHash()
      await expect(core.append(new Uint8Array(17))).rejects.toMatchObject({ code: 'BAD_ARGUMENT' })
      expect(await core.get(5, { wait: false })).toBe(null)
      await expect(core.get(-1)).rejects.toMatchObject({ code: 'ERR_ASSERTION' })
      await expect(core.truncate(5)).rejects.toMatchObject({ code: 'INVALID_OPERATION' })
      await expect(core.get(0, { valueEncoding: 'json' })).rejects.toMatchObject({ code: 'DECODING_ERROR' })
      await expect(core.get(3, { timeout: 20 })).rejects.toMatchObject({ code: 'REQUEST_TIMEOUT' })
      expect(core.length).toBe(1)
      expect(await core.treeHash()).toEqual(hash)
      await core.close()
    })

    it('opens a core read-only by key and refuses writes', async () => {
      const writerStore = fresh()
      await ready()
      const kp = keyPair()
      const writer = await open(writerStore, { keyPair: kp })
      await writer.append(enc.encode('x'))
      const key = writer.key!
      await writer.close()
      const reader = await open(fresh(), { key })
      expect(reader.writable).toBe(false)
      expect(reader.length).toBe(0)
      await expect(reader.append(enc.encode('y'))).rejects.toMatchObject({ code: 'SESSION_NOT_WRITABLE' })
      expect(await reader.get(0, { wait: false })).toBe(null)
      await reader.close()
    })

    it('clears local blocks but keeps length and proofs', async () => {
      const name = fresh()
      const core = await open(name, { valueEncoding: 'utf-8' })
      await core.append(['a', 'b', 'c', 'd'])
      await core.clear(1, 3)
      expect(core.length).toBe(4)
      expect(await core.has(1)).toBe(false)
      expect(await core.has(3)).toBe(true)
      expect(core.contiguousLength).toBe(1)
      expect(await core.get(1, { wait: false })).toBe(null)
      await core.close()
      const again = await open(name, { valueEncoding: 'utf-8' })
      expect(await again.has(1)).toBe(false)
      expect(await again.has(3)).toBe(true)
      expect(await again.get(3)).toBe('d')
      await again.close()
    })
  })
}
