/**
 * The conformance suite every {@link Duplex} transport passes: ordered bytes both ways whatever
 * the chunking, backpressure (`write` false → `drain`), half-close with `end`, `destroy` with and
 * without an error on either side, and the secret-stream running on top. Byte transports may
 * re-chunk, so received bytes are compared as one concatenation. A transport without half-close
 * (a bare data channel) runs {@link duplexChecksFor}`({ halfClose: false })`.
 *
 * The checks are plain async functions (no test runner, no Node APIs) so the same suite also runs
 * inside a browser page, for transports that only exist there (WebRTC data channels).
 */
import { concat } from '../src/bytes.ts'
import { type Duplex, SecretStream } from '../src/index.ts'

/** A connected pair of a transport (`a` dialled `b`), and how to release what backs it. */
export interface DuplexPair {
  a: Duplex
  b: Duplex
  cleanup(): Promise<void> | void
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

class ConformanceError extends Error {}

function check(cond: boolean, what: string): void {
  if (!cond) throw new ConformanceError(what)
}

function sameBytes(x: Uint8Array, y: Uint8Array): boolean {
  if (x.byteLength !== y.byteLength) return false
  for (let i = 0; i < x.byteLength; i++) if (x[i] !== y[i]) return false
  return true
}

/** The checks, by name; each connects its own pair and throws on a violation. */
export const duplexChecks: Record<string, (connect: () => Promise<DuplexPair>) => Promise<void>> = {
  async 'delivers every byte, in order, both ways, whatever the chunk sizes'(connect) {
    const { a, b, cleanup } = await connect()
    const sizes = [1, 0, 7, 1000, 65_536, 3, 200_000, 17]
    const chunks = sizes.map((s, i) => pattern(s, i + 1))
    const expected = concat(chunks)
    const atB = receive(b, expected.byteLength)
    const atA = receive(a, expected.byteLength)
    for (const c of chunks) a.write(c)
    for (const c of chunks) b.write(c)
    check(sameBytes(await atB, expected), 'a → b bytes differ')
    check(sameBytes(await atA, expected), 'b → a bytes differ')
    a.destroy()
    await cleanup()
  },

  async 'asks the writer to wait (write → false) under a large burst, then emits drain'(connect) {
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
    check(got.byteLength === total, `received ${got.byteLength} of ${total} bytes`)
    check(sameBytes(got.subarray(total - chunk.byteLength), chunk), 'the last chunk differs')
    check(refused > 0, 'write never asked the writer to wait')
    check(drains >= refused, `${drains} drain(s) for ${refused} refusal(s)`)
    a.destroy()
    await cleanup()
  },

  async 'half-closes: the remote sees end after the last byte, and both close once both ended'(connect) {
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
    check(order.at(-1) === 'end' && order.includes('data'), `events in order: ${order.join(', ')}`)
    b.end()
    check((await aClosed) === null, 'a closed with an error')
    check((await bClosed) === null, 'b closed with an error')
    check(a.destroyed && b.destroyed, 'not destroyed after both ended')
    await cleanup()
  },

  async 'both ending in one turn still delivers a burst the writer did not wait for'(connect) {
    const { a, b, cleanup } = await connect()
    const chunk = pattern(256 * 1024, 5)
    const total = 16 * chunk.byteLength // 4 MiB, past a high-water mark, written in one turn
    const atB = receive(b, total)
    const bEnded = new Promise<void>((resolve) => b.on('end', () => resolve()))
    const aClosed = closed(a)
    const bClosed = closed(b)
    // b's end reaches a while a may still hold part of the burst: a closing then must not drop it
    b.end()
    for (let sent = 0; sent < total; sent += chunk.byteLength) a.write(chunk)
    a.end()
    const got = await atB
    check(got.byteLength === total, `received ${got.byteLength} of ${total} bytes`)
    check(sameBytes(got.subarray(total - chunk.byteLength), chunk), 'the last chunk differs')
    await bEnded
    check((await aClosed) === null, 'a closed with an error')
    check((await bClosed) === null, 'b closed with an error')
    await cleanup()
  },

  async 'destroys: close fires once on both sides, an error is reported, writes after it are refused'(
    connect
  ) {
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
    check(aCloses === 1, `close fired ${aCloses} times`)
    check(errors.length === 1 && errors[0] === boom, 'the error was not reported once')
    check(a.write(new Uint8Array([1])) === false, 'a accepted a write after destroy')
    check(b.write(new Uint8Array([1])) === false, 'b accepted a write after closing')
    await cleanup()
  },

  async 'carries a secret-stream: handshake, messages both ways, equal handshake hashes'(connect) {
    const { a, b, cleanup } = await connect()
    const initiator = new SecretStream(true, a)
    const responder = new SecretStream(false, b)
    await Promise.all([initiator.opened, responder.opened])
    check(sameBytes(initiator.handshakeHash!, responder.handshakeHash!), 'handshake hashes differ')
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
    check(
      got.every((m, i) => sameBytes(m, messages[i]!)),
      'messages differ'
    )
    const back = new Promise<Uint8Array>((resolve) => initiator.once('data', (m) => resolve(m.slice())))
    responder.write(pattern(33, 4))
    check(sameBytes(await back, pattern(33, 4)), 'the reply differs')
    initiator.destroy()
    await cleanup()
  }
}

/** Checks that need a true half-close: after the remote's end, this side still sends. */
const needsHalfClose = new Set(['both ending in one turn still delivers a burst the writer did not wait for'])

/**
 * The checks a transport runs: all of them, or — for a transport without half-close, where
 * ending closes both ways (a bare data channel) — the ones that do not need it.
 */
export function duplexChecksFor(opts: { halfClose: boolean }): typeof duplexChecks {
  if (opts.halfClose) return duplexChecks
  return Object.fromEntries(Object.entries(duplexChecks).filter(([name]) => !needsHalfClose.has(name)))
}
