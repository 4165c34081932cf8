/**
 * Our Hypercore replicates over the upgraded (direct) path, and goes back to the relayed
 * connection when the direct path dies — the relayed connection standing in for a relay is an
 * in-memory pipe, the direct path WebRTC in Node (`@roamhq/wrtc`).
 */
import { ready } from '@orchard/crypto'
import { Hypercore } from '@orchard/hypercore'
import { openMemoryStorage } from '@orchard/storage'
import { beforeAll, describe, expect, it } from 'vitest'
import { type PeerDuplex, upgrade, WebRtcError } from '../src/index.ts'
import { relayedPair, wrtc } from './helpers.ts'

beforeAll(() => ready())

describe('replication over the upgraded path', () => {
  it('moves to the direct path, and back to the relayed one when it dies', async () => {
    const writer = new Hypercore(openMemoryStorage(), { valueEncoding: 'utf-8' })
    await writer.append(['one', 'two', 'three'])
    const reader = new Hypercore(openMemoryStorage(), writer.key!, { valueEncoding: 'utf-8' })
    const relayed = await relayedPair()

    // upgrade first, then replicate on the direct path only
    const [directW, directR] = await Promise.all([
      upgrade(relayed.a, { keyPair: relayed.keys.a, wrtc }),
      upgrade(relayed.b, { keyPair: relayed.keys.b, wrtc })
    ])
    let directBytes = 0
    directR.rawStream!.on('data', (chunk) => {
      directBytes += chunk.byteLength
    })
    let relayedBytes = 0
    relayed.b.rawStream!.on('data', (chunk) => {
      relayedBytes += chunk.byteLength
    })
    writer.replicate(directW)
    reader.replicate(directR)
    expect(await reader.get(2, { timeout: 10_000 })).toBe('three')
    const big = 'x'.repeat(200_000)
    await writer.append(big)
    expect(await reader.get(3, { timeout: 10_000 })).toBe(big)
    // the block went direct; at most the signalling channel's close crossed the relayed path
    expect(directBytes).toBeGreaterThan(200_000)
    expect(relayedBytes).toBeLessThan(1024)
    const relayedBefore = relayedBytes

    // the direct path dies (its ICE transport fails): the cores go back to the relayed connection
    const died = new Promise<Error | null>((resolve) => directR.once('close', resolve))
    ;(directW.rawStream as PeerDuplex).peer.destroy(
      Object.assign(new Error('Ice connection failed.'), { code: 'ERR_ICE_CONNECTION_FAILURE' })
    )
    const err = await died
    expect(err).toBeInstanceOf(WebRtcError)
    writer.replicate(relayed.a)
    reader.replicate(relayed.b)
    await writer.append('after the fallback')
    expect(await reader.get(4, { timeout: 10_000 })).toBe('after the fallback')
    expect(relayedBytes - relayedBefore).toBeGreaterThan(18) // the block, sealed

    relayed.a.destroy()
    await writer.close()
    await reader.close()
  })
})
