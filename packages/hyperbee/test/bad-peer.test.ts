/**
 * Acceptance (bad input): a peer's bee node that fails verification is refused like any block. A
 * reader bee replicates from a peer that answers every block request with the block tampered (one
 * byte flipped, proofs otherwise honest): the reader drops that peer with a typed error and stores
 * nothing; then, from an honest peer, the same `get` completes and scans give the writer's entries.
 */
import { ready } from '@orchard/crypto'
import { Hypercore, HypercoreError } from '@orchard/hypercore'
import { openMemoryStorage } from '@orchard/storage'
import { memoryPair } from '@orchard/wire'
import { beforeAll, describe, expect, it } from 'vitest'
import { MESSAGE_TYPES } from '../../hypercore/src/replication/messages.ts'
import { answerHonestly, attachBadPeer, type Behaviour } from '../../hypercore/test/interop/bad-peer.ts'
import { Hyperbee } from '../src/index.ts'
import { collect } from './helpers.ts'

const enc = { keyEncoding: 'utf-8', valueEncoding: 'json' } as const
const key = (i: number) => `key-${String(i).padStart(4, '0')}`

let writer: Hyperbee<string, { n: number }>

beforeAll(async () => {
  await ready()
  writer = new Hyperbee(new Hypercore(openMemoryStorage()), enc)
  await writer.ready()
  // a few hundred keys: a tree several levels deep, spread over many blocks
  for (let i = 0; i < 300; i += 100) {
    const b = writer.batch()
    for (let k = i; k < i + 100; k++) await b.put(key(k), { n: k })
    await b.flush()
  }
  await writer.put('single', { n: -1 })
})

/** Answers honestly, except that every block it sends has one byte flipped. */
const tamperBlocks: Behaviour = {
  async onrequest(req, ctx) {
    const proof = await ctx.honest(req)
    if (proof === null || proof.block === null) return answerHonestly(req, ctx)
    proof.block.value[proof.block.value.byteLength >> 1]! ^= 0x5a
    ctx.send(MESSAGE_TYPES.data, {
      request: req.id,
      ...proof,
      manifest: req.manifest ? ctx.core.manifest : null
    })
  }
}

describe('a bee replicating from a bad peer', () => {
  it('drops a peer whose bee node fails verification, stores nothing, and reads from an honest peer', async () => {
    const core = new Hypercore(openMemoryStorage(), writer.core.key!)
    const reader = new Hyperbee<string, { n: number }>(core, enc)
    await reader.ready()
    const errors: Error[] = []
    core.core.on('peer-error', (err) => errors.push(err))

    const bad = attachBadPeer(writer.core, core, tamperBlocks)
    bad.on('error', (err) => errors.push(err))
    // the upgrade carries no block, so it is honest: the reader learns the length
    await core.update({ wait: true })
    expect(core.length).toBe(writer.core.length)
    const before = await core.treeHash()

    // the bee's read needs the root node: the bad peer's answer fails verification
    const pending = reader.get(key(123))
    const deadline = Date.now() + 8000
    while (!bad.destroyed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
    expect(bad.destroyed, 'the bad peer was dropped').toBe(true)
    const typed = errors.find((e) => e instanceof HypercoreError)
    expect(typed, `a typed error (got ${errors.map((e) => e.message).join('; ')})`).toBeDefined()
    expect((typed as HypercoreError).code).toMatch(/INVALID_CHECKSUM|INVALID_SIGNATURE/)

    // nothing of the tampered answers was stored
    expect(core.length).toBe(writer.core.length)
    expect(await core.treeHash()).toEqual(before)
    for (let i = 0; i < core.length; i++) expect(await core.has(i)).toBe(false)

    // an honest peer: the waiting get completes, and scans match the writer's
    const [x, y] = memoryPair()
    const a = writer.core.replicate(false, { stream: x, keepAlive: 0 })
    const b = core.replicate(true, { stream: y, keepAlive: 0 })
    try {
      expect(await pending).toEqual({ seq: 124, key: key(123), value: { n: 123 } })
      expect(await reader.get('single')).toEqual(await writer.get('single'))
      expect(await collect(reader.createReadStream())).toEqual(await collect(writer.createReadStream()))
      const range = { gte: key(50), lt: key(250), reverse: true, limit: 120 }
      const got = await collect(reader.createReadStream(range))
      expect(got).toHaveLength(120)
      expect(got).toEqual(await collect(writer.createReadStream(range)))
      // every block it stored verifies against the writer's
      for (let i = 0; i < core.length; i++) {
        if (await core.has(i)) expect(await core.get(i, { wait: false })).toEqual(await writer.core.get(i))
      }
    } finally {
      a.destroy()
      b.destroy()
      await reader.close()
    }
  }, 30_000)
})
