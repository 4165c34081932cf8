/**
 * The conformance suite every {@link Duplex} transport passes: ordered bytes both ways whatever
 * the chunking, backpressure (`write` false → `drain`), half-close with `end`, `destroy` with and
 * without an error on either side, and the secret-stream running on top. Byte transports may
 * re-chunk, so received bytes are compared as one concatenation.
 */
import { ready } from '@orchard/crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { type Duplex, SecretStream } from '../src/index.ts'

/** A connected pair of a transport (`a` dialled `b`), and how to release what backs it. */
export interface DuplexPair {
  a: Duplex
  b: Duplex
  cleanup(): Promise<void> | void
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0))
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.byteLength
  }
  return out
}

/** Collects `d`'s bytes (copied: a transport may reuse its buffers) until `bytes` have arrived. */
function receive(d: Duplex, bytes: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const got: Uint8Array[] = []
    let n = 0
    d.on('data', (chunk) => {
      got.push(chunk.slice())
      n += chunk.byteLength
      if (n >= bytes) resolve(concat(got))
    })
    d.on('close', () => reject(new Error(`closed after ${n} of ${bytes} bytes`)))
  })
}

function closed(d: Duplex): Promise<Error | null> {
  return new Promise((resolve) => d.on('close', (err) => resolve(err)))
}

function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length)
  let x = seed * 2654435761
  for (let i = 0; i < length; i++) {
    x = (x ^ (x << 13)) >>> 0
    x = (x ^ (x >>> 17)) >>> 0
    x = (x ^ (x << 5)) >>> 0
    out[i] = x & 0xff
  }
  return out
}

/** Registers the suite for the transport `name`, whose pairs `connect` makes. */
export function duplexConformance(name: string, connect: () => Promise<DuplexPair>): void {
  describe(`Duplex conformance: ${name}`, () => {
    beforeAll(() => ready())

    it('delivers every byte, in order, both ways, whatever the chunk sizes', async () => {
      const { a, b, cleanup } = await connect()
      const sizes = [1, 0, 7, 1000, 65_536, 3, 200_000, 17]
      const chunks = sizes.map((s, i) => pattern(s, i + 1))
      const expected = concat(chunks)
      const atB = receive(b, expected.byteLength)
      const atA = receive(a, expected.byteLength)
      for (const c of chunks) a.write(c)
      for (const c of chunks) b.write(c)
      expect(Buffer.from(await atB).equals(Buffer.from(expected))).toBe(true)
      expect(Buffer.from(await atA).equals(Buffer.from(expected))).toBe(true)
      a.destroy()
      await cleanup()
    })

    it('asks the writer to wait (write → false) under a large burst, then emits drain', async () => {
      const { a, b, cleanup } = await connect()
      const chunk = pattern(256 * 1024, 9)
      const total = 64 * chunk.byteLength // 16 MiB, past any transport's buffer
      const atB = receive(b, total)
      let refused = 0
      let drains = 0
      a.on('drain', () => drains++)
      for (let sent = 0; sent < total; sent += chunk.byteLength) {
        if (!a.write(chunk)) {
          refused++
          await new Promise<void>((resolve) => a.once('drain', () => resolve()))
        }
      }
      const got = await atB
      expect(got.byteLength).toBe(total)
      expect(Buffer.from(got.subarray(total - chunk.byteLength)).equals(Buffer.from(chunk))).toBe(true)
      expect(refused).toBeGreaterThan(0)
      expect(drains).toBeGreaterThanOrEqual(refused)
      a.destroy()
      await cleanup()
    })

    it('half-closes: the remote sees end after the last byte, and both close once both ended', async () => {
      const { a, b, cleanup } = await connect()
      const order: string[] = []
      b.on('data', () => order.push('data'))
      const bEnded = new Promise<void>((resolve) =>
        b.on('end', () => {
          order.push('end')
          resolve()
        })
      )
      const aClosed = closed(a)
      const bClosed = closed(b)
      a.write(pattern(5000, 3))
      a.end()
      await bEnded
      expect(order.at(-1)).toBe('end')
      expect(order).toContain('data')
      b.end()
      expect(await aClosed).toBe(null)
      expect(await bClosed).toBe(null)
      expect(a.destroyed && b.destroyed).toBe(true)
      await cleanup()
    })

    it('destroys: close fires once on both sides, an error is reported, writes after it are refused', async () => {
      const { a, b, cleanup } = await connect()
      let aCloses = 0
      a.on('close', () => aCloses++)
      const errors: Error[] = []
      a.on('error', (err) => errors.push(err))
      const bClosed = closed(b)
      const boom = new Error('boom')
      a.destroy(boom)
      a.destroy() // a second destroy is a no-op
      await bClosed
      expect(aCloses).toBe(1)
      expect(errors).toEqual([boom])
      expect(a.write(new Uint8Array([1]))).toBe(false)
      expect(b.write(new Uint8Array([1]))).toBe(false)
      await cleanup()
    })

    it('carries a secret-stream: handshake, messages both ways, equal handshake hashes', async () => {
      const { a, b, cleanup } = await connect()
      const initiator = new SecretStream(true, a)
      const responder = new SecretStream(false, b)
      await Promise.all([initiator.opened, responder.opened])
      expect(Buffer.from(initiator.handshakeHash!).equals(Buffer.from(responder.handshakeHash!))).toBe(true)
      const messages = [pattern(10, 1), pattern(70_000, 2), pattern(1, 3)]
      const got: Uint8Array[] = []
      const all = new Promise<void>((resolve) =>
        responder.on('data', (m) => {
          got.push(m.slice())
          if (got.length === messages.length) resolve()
        })
      )
      for (const m of messages) initiator.write(m)
      await all
      expect(got.map((m) => Buffer.from(m).toString('hex'))).toEqual(
        messages.map((m) => Buffer.from(m).toString('hex'))
      )
      const back = new Promise<Uint8Array>((resolve) => initiator.once('data', (m) => resolve(m.slice())))
      responder.write(pattern(33, 4))
      expect(Buffer.from(await back).equals(Buffer.from(pattern(33, 4)))).toBe(true)
      initiator.destroy()
      await cleanup()
    })
  })
}
