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
