/**
 * A simple-peer data channel passes the shared Duplex conformance suite, in Node over
 * `@roamhq/wrtc` (which connects on loopback; it has no `bufferedamountlow`, so the polled
 * backpressure path runs here — the event path runs in Chromium, see netns.test.ts).
 */
import { concatBytes, equalBytes } from '@orchard/codec'
import { ready } from '@orchard/crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { duplexChecks } from '../../wire/test/duplex-conformance.ts'
import { createPeer, fromPeerError, fromSimplePeer, WebRtcError } from '../src/index.ts'
import { connectedPeers, link, until, wrtc } from './helpers.ts'

beforeAll(() => ready())

describe('Duplex conformance: simple-peer data channel (wrtc)', () => {
  for (const [check, run] of Object.entries(duplexChecks)) {
    it(check, () =>
      run(async () => {
        const { a, b } = await connectedPeers()
        return {
          a,
          b,
          cleanup: () => {
            a.destroy()
            b.destroy()
          }
        }
      })
    )
  }
})

describe('PeerDuplex', () => {
  it("takes the channel's messages from simple-peer: its own stream sees none of them", async () => {
    const { a, b } = await connectedPeers()
    let seenBySimplePeer = 0
    b.peer.on('data', () => seenBySimplePeer++)
    const got = new Promise<number>((resolve) => {
      let n = 0
      b.on('data', (chunk) => {
        n += chunk.byteLength
        if (n === 50_000) resolve(n)
      })
    })
    for (let i = 0; i < 50; i++) a.write(new Uint8Array(1000).fill(i))
    expect(await got).toBe(50_000)
    await new Promise((r) => setTimeout(r, 20)) // simple-peer pushes through its stream on a later tick
    expect(seenBySimplePeer).toBe(0)
    a.destroy()
    b.destroy()
  })

  it('sends small writes of one turn as full 16 KiB messages, the tail at the end of the turn, in order', async () => {
    const { a, b } = await connectedPeers()
    const channel = a.peer._channel!
    const send = channel.send.bind(channel)
    const sizes: number[] = []
    channel.send = (data: Parameters<typeof channel.send>[0]) => {
      if (typeof data !== 'string') sizes.push((data as Uint8Array).byteLength)
      send(data)
    }
    const total = 66_000 // 66 writes: four full messages and a tail of 464 bytes
    let received = 0
    const got: Uint8Array[] = []
    const all = new Promise<void>((resolve) =>
      b.on('data', (chunk) => {
        got.push(chunk.slice())
        received += chunk.byteLength
        if (received === total) resolve()
      })
    )
    for (let at = 0; at < total; at += 1000) a.write(new Uint8Array(1000).fill(at / 1000))
    expect(sizes).toEqual([16384, 16384, 16384, 16384]) // the tail waits for the end of the turn
    await all
    expect(sizes).toEqual([16384, 16384, 16384, 16384, 464])
    const bytes = concatBytes(got)
    for (let i = 0; i < total / 1000; i++) expect(bytes[i * 1000 + 999]).toBe(i)
    a.destroy()
    b.destroy()
  })

  it('hands one large write to the channel only up to the high-water mark; the rest follows on drain', async () => {
    // a corked replication batch is one write of megabytes: sent whole, it is a burst that stalls
    // Chromium's SCTP for seconds (see HIGH_WATER_MARK)
    const highWaterMark = 64 * 1024
    const pa = createPeer({ initiator: true, wrtc })
    const pb = createPeer({ initiator: false, wrtc })
    link(pa, pb)
    const a = fromSimplePeer(pa, { highWaterMark })
    const b = fromSimplePeer(pb)
    await until(() => pa.connected && pb.connected)
    const channel = pa._channel!
    const send = channel.send.bind(channel)
    let handedOver = 0
    channel.send = (data: Parameters<typeof channel.send>[0]) => {
      handedOver += typeof data === 'string' ? 0 : (data as Uint8Array).byteLength
      send(data)
    }
    const big = new Uint8Array(4 * 1024 * 1024).map((_, i) => i * 7)
    const got: Uint8Array[] = []
    let received = 0
    const all = new Promise<void>((resolve) =>
      b.on('data', (chunk) => {
        got.push(chunk.slice())
        received += chunk.byteLength
        if (received === big.byteLength) resolve()
      })
    )
    expect(a.write(big)).toBe(false)
    expect(handedOver).toBeGreaterThan(0)
    expect(handedOver).toBeLessThanOrEqual(highWaterMark)
    await new Promise<void>((resolve) => a.once('drain', () => resolve()))
    await all
    expect(handedOver).toBe(4 * 1024 * 1024)
    const bytes = concatBytes(got)
    expect(bytes[1]).toBe(7)
    expect(bytes[highWaterMark + 1]).toBe(((highWaterMark + 1) * 7) & 0xff)
    expect(bytes[bytes.byteLength - 1]).toBe(((4 * 1024 * 1024 - 1) * 7) & 0xff)
    a.destroy()
    b.destroy()
  })

  it('is connecting until the channel opens, queues writes and an end meanwhile, then delivers them in order', async () => {
    const pa = createPeer({ initiator: true, wrtc })
    const pb = createPeer({ initiator: false, wrtc })
    const a = fromSimplePeer(pa)
    const b = fromSimplePeer(pb)
    expect(a.connecting).toBe(true)
    const connected = new Promise<void>((resolve) => a.once('connect', () => resolve()))
    const got: Uint8Array[] = []
    b.on('data', (chunk) => got.push(chunk.slice()))
    const ended = new Promise<void>((resolve) => b.once('end', () => resolve()))
    const big = new Uint8Array(100_000).map((_, i) => i)
    expect(a.write(new Uint8Array([1, 2, 3]))).toBe(true)
    a.write(big)
    a.end()
    link(pa, pb) // signalling starts only now
    await connected
    expect(a.connecting).toBe(false)
    await ended
    const all = concatBytes(got)
    expect(all.byteLength).toBe(3 + big.byteLength)
    expect(equalBytes(all.subarray(3), big)).toBe(true)
    // a true half-close: b may still write, and a still reads
    const back = new Promise<Uint8Array>((resolve) => a.once('data', (chunk) => resolve(chunk.slice())))
    b.write(new Uint8Array([9, 9]))
    expect(await back).toEqual(new Uint8Array([9, 9]))
    const closes = [a, b].map((d) => new Promise<Error | null>((resolve) => d.once('close', resolve)))
    b.end()
    expect(await Promise.all(closes)).toEqual([null, null])
  })

  it('loses no byte to the close when both sides end right after a burst', async () => {
    for (let round = 0; round < 3; round++) {
      const { a, b } = await connectedPeers()
      const sizes = [100_000, 3, 400_000]
      const total = sizes.reduce((x, y) => x + y, 0)
      let atA = 0
      let atB = 0
      a.on('data', (chunk) => {
        atA += chunk.byteLength
      })
      b.on('data', (chunk) => {
        atB += chunk.byteLength
      })
      const closes = [a, b].map((d) => new Promise<Error | null>((resolve) => d.once('close', resolve)))
      for (const n of sizes) {
        a.write(new Uint8Array(n))
        b.write(new Uint8Array(n))
      }
      a.end()
      b.end()
      expect(await Promise.all(closes)).toEqual([null, null])
      expect([atA, atB]).toEqual([total, total])
    }
  })

  it('holds what a writer that ignores drain sends past the high-water mark, and delivers all of it in order', async () => {
    const { a, b } = await connectedPeers()
    const CHUNK = 64 * 1024
    const COUNT = 400 // 25 MiB, past a data channel's own send queue (16 MiB in Chromium)
    let got = 0
    let inOrder = true
    b.on('data', (chunk) => {
      for (let i = 0; i < chunk.byteLength; i += 4096) {
        if (chunk[i] !== Math.floor((got + i) / CHUNK) % 251) inOrder = false
      }
      got += chunk.byteLength
    })
    const closed = new Promise<Error | null>((resolve) => a.once('close', resolve))
    let refused = 0
    for (let i = 0; i < COUNT; i++) if (!a.write(new Uint8Array(CHUNK).fill(i % 251))) refused++
    expect(refused).toBeGreaterThan(0)
    await until(() => got === COUNT * CHUNK || a.destroyed, 60_000)
    expect(a.destroyed, 'the channel survived').toBe(false)
    expect(got).toBe(COUNT * CHUNK)
    expect(inOrder).toBe(true)
    a.end()
    b.end()
    expect(await closed).toBe(null)
  }, 90_000)

  it('reports a remote that went away without ending as a CHANNEL_FAILED error', async () => {
    const { a, b } = await connectedPeers()
    const closed = new Promise<Error | null>((resolve) => b.once('close', resolve))
    a.destroy()
    const err = await closed
    expect(err).toBeInstanceOf(WebRtcError)
    expect((err as WebRtcError).code).toBe('CHANNEL_FAILED')
  })

  it('refuses writes past its high-water mark before the channel opens, and drains once it does', async () => {
    const pa = createPeer({ initiator: true, wrtc })
    const pb = createPeer({ initiator: false, wrtc })
    const a = fromSimplePeer(pa, { highWaterMark: 64 * 1024 })
    const b = fromSimplePeer(pb)
    let received = 0
    b.on('data', (chunk) => {
      received += chunk.byteLength
    })
    expect(a.write(new Uint8Array(40 * 1024))).toBe(true)
    expect(a.write(new Uint8Array(40 * 1024))).toBe(false)
    const drained = new Promise<void>((resolve) => a.once('drain', () => resolve()))
    link(pa, pb)
    await drained
    await until(() => received === 80 * 1024)
    a.destroy()
  })

  it("reports the peer's failure as a typed WebRtcError, the original as its cause", async () => {
    const { a, b } = await connectedPeers()
    const closed = new Promise<Error | null>((resolve) => a.once('close', resolve))
    const failure = Object.assign(new Error('Ice connection failed.'), { code: 'ERR_ICE_CONNECTION_FAILURE' })
    a.peer.destroy(failure)
    const err = await closed
    expect(err).toBeInstanceOf(WebRtcError)
    expect((err as WebRtcError).code).toBe('ICE_FAILED')
    expect((err as WebRtcError).cause).toBe(failure)
    // the remote sees its channel close
    await new Promise((r) => (b.destroyed ? r(null) : b.once('close', r)))
  })
})

describe('fromPeerError', () => {
  it("maps simple-peer's error codes to WebRtcError codes", () => {
    const cases: [string | undefined, string][] = [
      ['ERR_WEBRTC_SUPPORT', 'NO_WEBRTC'],
      ['ERR_PC_CONSTRUCTOR', 'NO_WEBRTC'],
      ['ERR_ICE_CONNECTION_FAILURE', 'ICE_FAILED'],
      ['ERR_CONNECTION_FAILURE', 'ICE_FAILED'],
      ['ERR_SET_REMOTE_DESCRIPTION', 'SIGNALLING_FAILED'],
      ['ERR_ADD_ICE_CANDIDATE', 'SIGNALLING_FAILED'],
      ['ERR_SIGNALING', 'SIGNALLING_FAILED'],
      ['ERR_DATA_CHANNEL', 'CHANNEL_FAILED'],
      ['ERR_ICE_CONNECTION_CLOSED', 'CHANNEL_FAILED'],
      [undefined, 'CHANNEL_FAILED']
    ]
    for (const [code, expected] of cases) {
      const err = fromPeerError(Object.assign(new Error('x'), { code }))
      expect(err.code, String(code)).toBe(expected)
    }
  })

  it('throws NO_WEBRTC where there is no WebRTC (Node without wrtc)', () => {
    expect(() => createPeer({ initiator: true })).toThrow(
      expect.objectContaining({ name: 'WebRtcError', code: 'NO_WEBRTC' })
    )
  })
})
