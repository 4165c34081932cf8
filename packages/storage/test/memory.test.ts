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
