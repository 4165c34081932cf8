/**
 * A hyperswarm connection is Holepunch's own secret-stream (`@hyperswarm/secret-stream`), and Pear
 * apps hand it straight to `core.replicate(conn)`. Ours must replicate on it as it is — no
 * wrapping — with a real hypercore at the other end, both directions.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import RealSecretStream from '@hyperswarm/secret-stream'
import { ready } from '@orchard/crypto'
import { openMemoryStorage } from '@orchard/storage'
import RealHypercore from 'hypercore'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Hypercore } from '../src/index.ts'

const dir = mkdtempSync(join(tmpdir(), 'orchard-foreign-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
beforeAll(() => ready())

/** Two real secret-streams joined raw stream to raw stream, as two hyperswarm peers are. */
function realPair() {
  const a = new RealSecretStream(true)
  const b = new RealSecretStream(false)
  a.rawStream.pipe(b.rawStream).pipe(a.rawStream)
  return [a, b] as const
}

describe('replicating on a Holepunch secret-stream (a hyperswarm connection)', () => {
  it('ours writes, the real hypercore reads', async () => {
    const ours = new Hypercore(openMemoryStorage(), { valueEncoding: 'utf-8' })
    await ours.append(['one', 'two', 'three'])
    const real = new RealHypercore(join(dir, 'r1'), Buffer.from(ours.key!), { valueEncoding: 'utf-8' })
    await real.ready()
    const [a, b] = realPair()
    ours.replicate(a)
    real.replicate(b)
    expect(await real.get(2, { timeout: 5000 })).toBe('three')
    await ours.append('four')
    expect(await real.get(3, { timeout: 5000 })).toBe('four')
    a.destroy()
    b.destroy()
    await Promise.all([ours.close(), real.close()])
  })

  it('the real hypercore writes, ours reads', async () => {
    const real = new RealHypercore(join(dir, 'r2'), { valueEncoding: 'utf-8' })
    await real.append(['alpha', 'beta'])
    const ours = new Hypercore(openMemoryStorage(), new Uint8Array(real.key), { valueEncoding: 'utf-8' })
    const [a, b] = realPair()
    real.replicate(a)
    ours.replicate(b) // before ready, as apps do
    expect(await ours.get(1, { timeout: 5000 })).toBe('beta')
    expect(ours.length).toBe(2)
    a.destroy()
    b.destroy()
    await Promise.all([ours.close(), real.close()])
  })
})
