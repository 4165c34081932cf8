import { afterAll, describe, expect, it } from 'vitest'
import { type LogStorageStats, openOpfsStorage, type StorageChange, StorageError } from '../src/index.ts'
import { OpfsWorker } from './browser/opfs-client.ts'
import { defineConformanceSuite } from './conformance.ts'

const host = new OpfsWorker()
afterAll(() => host.terminate())

defineConformanceSuite('OPFS (Chromium, dedicated worker)', { open: (name, opts) => host.open(name, opts) })

const enc = new TextEncoder()
const dec = new TextDecoder()
const s = (t: string) => enc.encode(t)
const text = (b: Uint8Array | null) => (b === null ? null : dec.decode(b))
const fresh = () => `opfs-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e9).toString(36)}`

describe('OPFS storage', () => {
  it('refuses to open outside a dedicated worker, with STORAGE_UNSUPPORTED', async () => {
    const err = await openOpfsStorage(fresh()).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StorageError)
    expect((err as StorageError).code).toBe('STORAGE_UNSUPPORTED')
  })

  it('keeps every acknowledged batch when its worker dies, and cuts a torn tail on the next open', async () => {
    const name = fresh()
    const doomed = new OpfsWorker()
    const st = await doomed.open(name)
    for (let i = 0; i < 50; i++) {
      await st.write([{ type: 'put', store: 'blocks', key: s(`k${i}`), value: new Uint8Array(3000).fill(i) }])
    }
    doomed.terminate() // no close: the worker is gone with its handles and its lock
    const after = new OpfsWorker()
    try {
      // what a batch cut short by a crash leaves: a record header announcing more than is there
      const torn = new Uint8Array(40).fill(0xab)
      new DataView(torn.buffer).setUint32(0, 5000, true)
      const sizeBefore = await after.extra<number>('tearTail', name, torn)
      const again = await after.open(name)
      expect(again.readOnly).toBe(false)
      for (let i = 0; i < 50; i++) {
        const v = await again.get('blocks', s(`k${i}`))
        expect(v?.byteLength).toBe(3000)
        expect(v![0]).toBe(i)
      }
      expect((await after.extra<LogStorageStats>('stats', name)).logBytes).toBe(sizeBefore)
      await again.write([{ type: 'put', store: 'meta', key: s('after'), value: s('crash') }])
      await again.close()
      const third = await after.open(name)
      expect(text(await third.get('meta', s('after')))).toBe('crash')
      expect((await third.get('blocks', s('k49')))![0]).toBe(49)
      await third.destroy()
    } finally {
      after.terminate()
    }
  })

  it('compacts into a new generation while a follower in another worker keeps reading', async () => {
    const name = fresh()
    const writer = await host.open(name)
    const other = new OpfsWorker()
    try {
      const follower = await other.open(name, { lock: 'readonly-if-locked' })
      expect(follower.readOnly).toBe(true)
      const changes: StorageChange[] = []
      follower.onChange((c) => changes.push(c))
      for (let round = 0; round < 20; round++) {
        const ops = Array.from({ length: 10 }, (_, i) => ({
          type: 'put' as const,
          store: 'user' as const,
          key: s(`key${i}`),
          value: new Uint8Array(10_000).fill(round)
        }))
        await writer.write(ops)
      }
      const before = await host.extra<LogStorageStats>('stats', name)
      await host.extra('compact', name)
      const compacted = await host.extra<LogStorageStats>('stats', name)
      expect(compacted.generation).toBe(before.generation + 1)
      expect(compacted.logBytes).toBeLessThan(before.logBytes / 10)
      await writer.write([{ type: 'put', store: 'user', key: s('late'), value: s('after compaction') }])
      // the follower moves to the new generation and sees the write that followed
      await expect
        .poll(() => follower.get('user', s('late')).then(text), { timeout: 5000 })
        .toBe('after compaction')
      expect((await follower.get('user', s('key3')))![9999]).toBe(19)
      expect(changes.length).toBeGreaterThan(0)
      expect(changes.some((c) => c.stores.includes('user'))).toBe(true)
      await follower.close()
      await writer.close()
      const reopened = await host.open(name)
      expect((await host.extra<LogStorageStats>('stats', name)).generation).toBe(compacted.generation)
      expect((await reopened.get('user', s('key9')))![0]).toBe(19)
      await reopened.destroy()
    } finally {
      other.terminate()
    }
  })

  it('lets a writer destroy the root while a follower (no listener) has it open; the follower closes', async () => {
    const name = fresh()
    const writer = await host.open(name)
    await writer.write([{ type: 'put', store: 'meta', key: s('k'), value: s('v') }])
    const other = new OpfsWorker()
    try {
      const follower = await other.open(name, { lock: 'readonly-if-locked' })
      expect(text(await follower.get('meta', s('k')))).toBe('v')
      await writer.destroy()
      await expect(follower.get('meta', s('k'))).rejects.toThrow(/destroyed/)
      const next = await host.open(name)
      expect(await next.get('meta', s('k'))).toBeNull()
      await next.destroy()
    } finally {
      other.terminate()
    }
  })
})
