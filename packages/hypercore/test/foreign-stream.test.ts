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

  it('cores opened on demand share one Holepunch stream, and destroying it from one side is clean', async () => {
    const writers = [0, 1].map(() => new Hypercore(openMemoryStorage(), { valueEncoding: 'utf-8' }))
    await Promise.all(writers.map((w, i) => w.append(`from ${i}`)))
    const readers = writers.map((w) => new Hypercore(openMemoryStorage(), w.key!, { valueEncoding: 'utf-8' }))
    const [a, b] = realPair()
    const asked: number[] = []
    const stream = Hypercore.createProtocolStream(a, {
      ondiscoverykey: (discoveryKey) => {
        const i = writers.findIndex((w) => Buffer.from(w.discoveryKey!).equals(discoveryKey))
        asked.push(i)
        if (i >= 0) writers[i]!.replicate(stream, { keepAlive: false })
      }
    })
    // the remote's streams are the Holepunch stream itself; destroying it must not throw an
    // unhandled error out of the pipe (protomux listens for 'error' and handles it on 'close')
    const remotes = readers.map((r) => r.replicate(b, { keepAlive: false }))
    expect(await Promise.all(readers.map((r) => r.get(0, { timeout: 5000 })))).toEqual(['from 0', 'from 1'])
    expect(asked.sort()).toEqual([0, 1])
    const closed = new Promise((resolve) => a.once('close', resolve))
    ;(remotes[0] as unknown as { destroy(): void }).destroy()
    await closed
    await Promise.all([...writers, ...readers].map((c) => c.close()))
  })
})
