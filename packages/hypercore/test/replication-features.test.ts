/**
 * Replication features beyond plain downloads: extensions exchanged with the real hypercore both
 * ways, `download({ blocks })` against a real writer, the per-peer inflight limit, and requests
 * that time out on a silent peer and are retried with another one.
 */
import { uint } from '@orchard/codec'
import { ready } from '@orchard/crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Hypercore } from '../src/index.ts'
import { answerHonestly, attachBadPeer } from './interop/bad-peer.ts'
import {
  append,
  block,
  blocks,
  cleanup,
  close,
  keyOf,
  length,
  link,
  oursCore,
  type Real,
  realCore,
  until
} from './interop/peers.ts'

beforeAll(() => ready())
afterAll(() => cleanup())

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('extensions', () => {
  it('exchange messages with the real hypercore both ways (send to a peer and broadcast)', async () => {
    const writer = await realCore()
    await append(writer, blocks(0, 3))
    const reader = await oursCore(keyOf(writer))
    const ours = reader.core as Hypercore
    const real = writer.core as Real

    const atOurs: string[] = []
    const atReal: string[] = []
    const oursExt = ours.registerExtension<string>('orchard/test', {
      encoding: 'utf-8',
      onmessage: (msg) => atOurs.push(msg)
    })
    const realExt = real.registerExtension('orchard/test', {
      encoding: 'utf-8',
      onmessage: (msg: string, peer: Real) => {
        atReal.push(msg)
        realExt.send(`echo ${msg}`, peer)
      }
    })
    // a name only one side knows is ignored, not an error
    real.registerExtension('only/real', { encoding: 'utf-8' })

    await link(writer, reader, 'memory')
    await until(() => ours.peers.length === 1 && real.peers.length === 1, 10_000, 'peers')
    await until(() => length(reader) === 3, 10_000, 'upgrade')
    oursExt.broadcast('hello from the tab side')
    oursExt.send('direct', ours.peers[0])
    realExt.broadcast('hello from node')
    real.extensions.get('only/real')?.broadcast('nobody listens')
    await until(() => atReal.length === 2 && atOurs.length === 3, 10_000, 'extension messages')
    expect(atReal).toEqual(['hello from the tab side', 'direct'])
    expect(atOurs.sort()).toEqual(['echo direct', 'echo hello from the tab side', 'hello from node'])
    // the connection is unharmed
    expect(ours.peers.length).toBe(1)
    expect(await ours.get(2)).toEqual(block(2))
    await close(writer, reader)
  })

  it('carry codec-typed messages between our cores and drop what does not decode', async () => {
    const writer = await oursCore()
    await append(writer, blocks(0, 2))
    const reader = await oursCore(keyOf(writer))
    const a = writer.core as Hypercore
    const b = reader.core as Hypercore
    const got: number[] = []
    const typed = b.registerExtension<number>('numbers', { encoding: uint, onmessage: (n) => got.push(n) })
    const raw: number[][] = []
    // binary on the writer: it can send bytes that are not a uint
    const sender = a.registerExtension('numbers', { onmessage: (bytes: Uint8Array) => raw.push([...bytes]) })
    await link(writer, reader, 'memory')
    await until(() => a.peers.length === 1 && b.peers.length === 1, 10_000, 'peers')
    sender.broadcast(new Uint8Array([0xff])) // a truncated varint: dropped
    sender.broadcast(new Uint8Array([0xfd, 0x10, 0x27])) // 10 000
    await until(() => got.length === 1, 10_000, 'typed message')
    expect(got).toEqual([10_000])
    typed.broadcast(300)
    await until(() => raw.length === 1, 10_000, 'binary message')
    expect(raw).toEqual([[0xfd, 0x2c, 0x01]])
    expect(b.peers.length).toBe(1)
    await close(writer, reader)
  })
})

describe('downloads', () => {
  it('fetches exactly a set of blocks from a real writer with download({ blocks })', async () => {
    const writer = await realCore()
    await append(writer, blocks(0, 300))
    const reader = await oursCore(keyOf(writer))
    const ours = reader.core as Hypercore
    await link(writer, reader, 'tcp')
    await until(() => length(reader) === 300, 10_000, 'upgrade')
    const wanted = [299, 3, 77, 150, 151, 0]
    const download = ours.download({ blocks: wanted })
    await download.done()
    for (let i = 0; i < 300; i++) expect(await ours.has(i)).toBe(wanted.includes(i))
    for (const i of wanted) expect(await ours.get(i, { wait: false })).toEqual(block(i))
    await close(writer, reader)
  })

  it('downloads everything, live, when not sparse (eager mode), from a real writer', async () => {
    const writer = await realCore()
    await append(writer, blocks(0, 150))
    const reader = await oursCore(keyOf(writer), { sparse: false })
    const ours = reader.core as Hypercore
    await link(writer, reader, 'memory')
    await until(async () => ours.contiguousLength === 150, 10_000, 'eager download')
    await append(writer, blocks(150, 50))
    await until(async () => ours.contiguousLength === 200, 10_000, 'eager live download')
    for (let i = 0; i < 200; i += 13) expect(await ours.get(i, { wait: false })).toEqual(block(i))
    // a sparse reader on the same writer stores nothing it was not asked for
    const sparse = await oursCore(keyOf(writer))
    await link(writer, sparse, 'memory')
    await until(() => length(sparse) === 200, 10_000, 'sparse upgrade')
    expect(await (sparse.core as Hypercore).get(7)).toEqual(block(7))
    expect(await (sparse.core as Hypercore).has(8)).toBe(false)
    await close(writer, reader, sparse)
  })

  it('keeps at most maxInflight requests outstanding with one peer', async () => {
    const writer = await oursCore()
    await append(writer, blocks(0, 400))
    const reader = await oursCore(keyOf(writer))
    let outstanding = 0
    let most = 0
    attachBadPeer(
      writer.core as Hypercore,
      reader.core as Hypercore,
      {
        // an honest but slow peer: every answer takes a few milliseconds
        onrequest: async (req, ctx) => {
          outstanding++
          most = Math.max(most, outstanding)
          await sleep(2)
          outstanding--
          await answerHonestly(req, ctx)
        }
      },
      { maxInflight: 16 }
    )
    await until(() => length(reader) === 400, 10_000, 'upgrade')
    await (reader.core as Hypercore).download({ start: 0, end: 400 }).done()
    expect(most).toBeGreaterThan(1)
    expect(most).toBeLessThanOrEqual(16)
    await close(writer, reader)
  })

  it('refills a full request window in batches for a download, but asks for a waited-on block at once', async () => {
    const writer = await oursCore()
    await append(writer, blocks(0, 400))
    const reader = await oursCore(keyOf(writer))
    const ours = reader.core as Hypercore
    // a peer that holds block requests until the test answers them
    const held: Array<() => Promise<void>> = []
    const asked: number[] = []
    attachBadPeer(
      writer.core as Hypercore,
      ours,
      {
        onrequest: async (req, ctx) => {
          if (!req.block) return answerHonestly(req, ctx)
          asked.push(req.block.index)
          held.push(() => answerHonestly(req, ctx))
        }
      },
      { maxInflight: 16 } // a full window takes download requests again at 8 in flight
    )
    await until(() => length(reader) === 400, 10_000, 'upgrade')
    const download = ours.download({ start: 0, end: 300 })
    await until(() => asked.length === 16, 10_000, 'a full window')
    const answer = async (n: number) => {
      for (const reply of held.splice(0, n)) await reply()
    }
    await answer(1)
    await until(() => ours.contiguousLength >= 1, 10_000, 'the first answer')
    await sleep(50)
    expect(asked.length).toBe(16) // 15 in flight: no single download request to top it up
    const waited = ours.get(350) // someone waits for this one: it goes out at once
    await until(() => asked.includes(350), 10_000, 'the waited-on block')
    expect(asked.length).toBe(17)
    await answer(8) // 8 in flight: a refill
    await until(() => asked.length === 25, 10_000, 'a refill of 8')
    await sleep(50)
    expect(asked.length).toBe(25)
    const answering = setInterval(() => void answer(held.length), 5)
    await download.done()
    expect(await waited).toEqual(block(350))
    clearInterval(answering)
    await close(writer, reader)
  })

  it('retries requests that time out on a silent peer with another peer', async () => {
    const writer = await oursCore()
    await append(writer, blocks(0, 200))
    const reader = await oursCore(keyOf(writer))
    const ours = reader.core as Hypercore
    let unanswered = 0
    // the silent peer proves the length but never answers a block request
    attachBadPeer(
      writer.core as Hypercore,
      ours,
      {
        onrequest: async (req, ctx) => {
          if (req.block) unanswered++
          else await answerHonestly(req, ctx)
        }
      },
      { requestTimeout: 300 }
    )
    await until(() => length(reader) === 200, 10_000, 'upgrade from the silent peer')
    const silent = ours.peers[0]
    const download = ours.download({ start: 0, end: 200 })
    await until(() => unanswered > 0, 10_000, 'requests to the silent peer')
    const from = new Map<unknown, number>()
    ours.on('download', (_i: number, _bytes: number, peer: unknown) =>
      from.set(peer, (from.get(peer) ?? 0) + 1)
    )
    await link(writer, reader, 'memory')
    await download.done()
    for (let i = 0; i < 200; i += 7) expect(await ours.get(i, { wait: false })).toEqual(block(i))
    expect(from.get(silent) ?? 0).toBe(0)
    expect([...from.values()].reduce((a, b) => a + b, 0)).toBe(200)
    // slowness is not misbehaviour: the silent peer is still connected
    expect(ours.peers).toContain(silent)
    await close(writer, reader)
  })
})
