import { describe, expect, it } from 'vitest'
import { openMemoryStorage, StorageLockedError } from '../src/index.ts'
import { defineConformanceSuite } from './conformance.ts'

defineConformanceSuite('memory', { open: (name, opts) => openMemoryStorage(name, opts) })

describe('memory adapter specifics', () => {
  it('gives every unnamed opener a private root', async () => {
    const a = await openMemoryStorage()
    const b = await openMemoryStorage()
    await a.write([{ type: 'put', store: 'meta', key: new Uint8Array([1]), value: new Uint8Array([1]) }])
    expect(await b.get('meta', new Uint8Array([1]))).toBeNull()
    await a.close()
    await b.close()
  })

  it('keeps a given-away value that fills a quarter of its buffer or more as it is, and copies the rest', async () => {
    const st = await openMemoryStorage()
    const key = (n: number) => new Uint8Array([n])
    const whole = new Uint8Array(16_384).fill(1)
    const quarter = new Uint8Array(400).fill(2).subarray(0, 100)
    const small = new Uint8Array(401).fill(3).subarray(0, 100) // a message in a received chunk
    const plain = new Uint8Array(16_384).fill(4)
    await st.write([
      { type: 'put', store: 'blocks', key: key(1), value: whole, owned: true },
      { type: 'put', store: 'blocks', key: key(2), value: quarter, owned: true },
      { type: 'put', store: 'blocks', key: key(3), value: small, owned: true },
      { type: 'put', store: 'blocks', key: key(4), value: plain }
    ])
    const borrowed = await st.getMany('blocks', [1, 2, 3, 4].map(key), { borrow: true })
    expect(borrowed[0]).toBe(whole)
    expect(borrowed[1]).toBe(quarter)
    expect(borrowed[2]!.buffer).not.toBe(small.buffer)
    expect(borrowed[3]!.buffer).not.toBe(plain.buffer)
    // a borrower reads the store's own bytes; a plain reader gets copies
    expect((await st.getMany('blocks', [key(4)], { borrow: true }))[0]).toBe(borrowed[3])
    const [copy] = await st.getMany('blocks', [key(1)])
    expect(copy).not.toBe(whole)
    expect(copy).toEqual(whole)
    await st.close()
  })

  it('keeps the small given-away values of one batch that together fill a quarter of their buffer', async () => {
    const st = await openMemoryStorage()
    const key = (n: number) => new Uint8Array([n])
    // four 4 KiB blocks of one 64 KiB received frame, committed together: a quarter between them
    const frame = new Uint8Array(65_536).fill(5)
    const blocks = [0, 1, 2, 3].map((i) => frame.subarray(i * 4400, i * 4400 + 4096))
    // three of another frame: less than a quarter, so copied (they would hold 64 KiB for 12)
    const other = new Uint8Array(65_536).fill(6)
    const few = [0, 1, 2].map((i) => other.subarray(i * 4400, i * 4400 + 4096))
    await st.write([
      ...blocks.map((value, i) => ({
        type: 'put' as const,
        store: 'blocks' as const,
        key: key(i),
        value,
        owned: true
      })),
      ...few.map((value, i) => ({
        type: 'put' as const,
        store: 'blocks' as const,
        key: key(10 + i),
        value,
        owned: true
      })),
      // the same bytes, not given away, count for nothing
      { type: 'put', store: 'blocks', key: key(20), value: other.subarray(20_000, 24_096) }
    ])
    const kept = await st.getMany('blocks', [0, 1, 2, 3].map(key), { borrow: true })
    for (let i = 0; i < 4; i++) expect(kept[i]).toBe(blocks[i])
    const copied = await st.getMany('blocks', [10, 11, 12, 20].map(key), { borrow: true })
    for (const v of copied) {
      expect(v!.buffer).not.toBe(other.buffer)
      expect(v).toEqual(new Uint8Array(4096).fill(6))
    }
    await st.close()
  })

  it('shares a named root between openers in one process', async () => {
    const a = await openMemoryStorage('shared-root')
    await expect(openMemoryStorage('shared-root')).rejects.toBeInstanceOf(StorageLockedError)
    const reader = await openMemoryStorage('shared-root', { lock: 'readonly' })
    await a.write([{ type: 'put', store: 'user', key: new Uint8Array([9]), value: new Uint8Array([42]) }])
    expect(await reader.get('user', new Uint8Array([9]))).toEqual(new Uint8Array([42]))
    await a.destroy()
    expect(reader.closed).toBe(true)
  })
})
