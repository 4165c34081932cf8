import { ready } from '@orchard/crypto'
import { openMemoryStorage } from '@orchard/storage'
import { beforeAll, describe, expect, it } from 'vitest'
import { Hypercore } from '../src/index.ts'
import type * as m from '../src/replication/messages.ts'
import { answerHonestly, attachBadPeer } from './interop/bad-peer.ts'

// A download pipelines its block requests. Each asks only for the proof nodes that neither the
// reader nor an earlier answer from the same peer holds; when an earlier answer does not come
// first, the later one is asked again in full rather than blamed on the peer.

const N = 4096
let writer: Hypercore

beforeAll(async () => {
  await ready()
  writer = new Hypercore(openMemoryStorage())
  await writer.append(Array.from({ length: N }, (_, i) => new Uint8Array(64).fill(i & 0xff)))
})

async function expectComplete(reader: Hypercore): Promise<void> {
  await reader.download({ start: 0, end: N }).done()
  expect(reader.contiguousLength).toBe(N)
  expect(await reader.treeHash()).toEqual(await writer.treeHash())
  for (let i = 0; i < N; i += 97) expect(await reader.get(i, { wait: false })).toEqual(await writer.get(i))
}

describe('pipelined block requests', () => {
  it('ask for about one proof node per block over a whole download', async () => {
    const reader = new Hypercore(openMemoryStorage(), writer.key!)
    await reader.ready()
    let requests = 0
    let nodes = 0
    const stream = attachBadPeer(writer, reader, {
      onrequest(req, ctx) {
        if (req.block) {
          requests++
          nodes += req.block.nodes
        }
        return answerHonestly(req, ctx)
      }
    })
    await expectComplete(reader)
    expect(stream.destroyed).toBe(false)
    // each request independently would ask for ~log2(requests in flight) levels
    expect(requests).toBeGreaterThanOrEqual(N - 1)
    expect(nodes / requests).toBeLessThan(1.5)
    stream.destroy()
  })

  it('survive a peer that answers them out of order: nothing is dropped, late blocks are asked again', async () => {
    const reader = new Hypercore(openMemoryStorage(), writer.key!)
    await reader.ready()
    const asked = new Map<number, number>()
    let held: m.RequestMessage[] = []
    const stream = attachBadPeer(writer, reader, {
      onrequest(req, ctx) {
        if (req.block) asked.set(req.block.index, (asked.get(req.block.index) ?? 0) + 1)
        // hold what arrives in one turn, then answer it backwards
        if (held.length === 0) {
          setTimeout(async () => {
            const batch = held.reverse()
            held = []
            for (const r of batch) await answerHonestly(r, ctx)
          }, 0)
        }
        held.push(req)
      }
    })
    const dropped = new Promise<never>((_, reject) =>
      stream.on('close', () => reject(new Error('the honest, if unordered, peer was dropped')))
    )
    await Promise.race([expectComplete(reader), dropped])
    expect(stream.destroyed, 'the honest, if unordered, peer was kept').toBe(false)
    expect(
      [...asked.values()].some((n) => n > 1),
      'some block was asked again in full'
    ).toBe(true)
    stream.destroy()
  })
})
