/**
 * `@orchard/wire/node-stream` on the real thing: hyperdht connections (Holepunch's
 * `NoiseSecretStream`) on a loopback testnet, and Node TCP sockets. An Orchard hypercore replicates
 * with an unmodified hypercore 11 through the adapter both ways; backpressure, half-close,
 * destroy and errors map both ways; and the adapter passes the Duplex conformance suite over both
 * kinds of stream.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import RealSecretStream from '@hyperswarm/secret-stream'
import { ready } from '@orchard/crypto'
import type HyperDHT from 'hyperdht'
import { Duplex as StreamxDuplex } from 'streamx'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Hypercore } from '../../hypercore/src/index.ts'
import { openMemoryStorage } from '../../storage/src/index.ts'
import { type Duplex, Protomux, WireError } from '../src/index.ts'
import { fromNodeStream, NodeStreamDuplex, NoiseStreamDuplex } from '../src/node-stream.ts'
import { type DuplexPair, duplexChecks } from './duplex-conformance.ts'
import { hex } from './helpers.ts'

// hyperdht, @hyperswarm/testnet and hypercore are not devDependencies of @orchard/wire (yet): the
// relay package has them
const fromRelay = createRequire(new URL('../../relay/package.json', import.meta.url))

/** A hyperdht connection (`@hyperswarm/secret-stream`), with the members the swarm's typing leaves out. */
type NoiseSecretStream = ReturnType<HyperDHT['connect']> & { userData: unknown; setTimeout(ms: number): void }
interface Testnet {
  createNode(opts?: object): HyperDHT
  destroy(): Promise<void>
}
const createTestnet = fromRelay('@hyperswarm/testnet') as (
  size: number,
  opts: { host: string }
) => Promise<Testnet>
// biome-ignore lint/suspicious/noExplicitAny: the real hypercore is untyped
const RealHypercore = fromRelay('hypercore') as any

/** Every hyperdht node binds loopback on this machine. */
const LOOPBACK = '127.0.0.1'

let testnet: Testnet
let dialler: HyperDHT
let listener: HyperDHT
let server: ReturnType<HyperDHT['createServer']>
const dir = mkdtempSync(join(tmpdir(), 'orchard-node-stream-'))
let n = 0

beforeAll(async () => {
  await ready()
  testnet = await createTestnet(3, { host: LOOPBACK })
  dialler = testnet.createNode({ host: LOOPBACK })
  listener = testnet.createNode({ host: LOOPBACK })
  server = listener.createServer({}, (conn) => {
    // the tests wrap or replicate on it; until then a failure must not throw
    conn.on('error', () => {})
  })
  await server.listen(listener.defaultKeyPair)
}, 60_000)

afterAll(async () => {
  await testnet.destroy()
  rmSync(dir, { recursive: true, force: true })
})

/** A fresh hyperdht connection from `dialler` to `listener`, open on both ends. */
async function dial(): Promise<{ client: NoiseSecretStream; server: NoiseSecretStream }> {
  const accepted = new Promise<NoiseSecretStream>((resolve) => server.once('connection', resolve))
  const client = dialler.connect(listener.defaultKeyPair.publicKey) as NoiseSecretStream
  client.on('error', () => {})
  const remote = await accepted
  expect(await client.opened).toBe(true)
  expect(await remote.opened).toBe(true)
  return { client, server: remote }
}

/** Resolves on `close`: with our duplex's error, or null (a hyperdht connection's carries none). */
function closed(stream: Duplex | NoiseSecretStream): Promise<Error | null> {
  return new Promise((resolve) => (stream as Duplex).once('close', (err) => resolve(err ?? null)))
}

/** Records the events of a duplex, in order. */
function record(d: Duplex): string[] {
  const events: string[] = []
  d.on('end', () => events.push('end'))
  d.on('error', (err) => events.push(`error ${(err as WireError).code ?? err.message}`))
  d.on('close', (err) => events.push(err ? 'close with error' : 'close'))
  return events
}

/** Block `i` of a test core: sizes vary, one of them large. */
function block(i: number, seed = 0): Uint8Array {
  const size = i === 7 ? 200_000 : 1 + ((i * 97) % 3000)
  return new Uint8Array(size).map((_, k) => (i * 31 + k + seed) & 0xff)
}

function blocks(from: number, count: number, seed = 0): Uint8Array[] {
  return Array.from({ length: count }, (_, k) => block(from + k, seed))
}

async function realCore(key?: Uint8Array) {
  const core = new RealHypercore(join(dir, `real-${++n}`), key ? Buffer.from(key) : undefined)
  await core.ready()
  return core
}

describe('an Orchard hypercore replicates with hypercore 11 over a hyperdht connection', () => {
  it('Orchard writes on the accepting side, the real hypercore dials and reads', async () => {
    const ours = new Hypercore(openMemoryStorage())
    await ours.append(blocks(0, 100))
    const real = await realCore(ours.key!)
    const { client, server: accepted } = await dial()
    const duplex = fromNodeStream(accepted)
    expect(duplex).toBeInstanceOf(NoiseStreamDuplex)
    ours.replicate(duplex)
    real.replicate(client)

    for (let i = 0; i < 100; i++) expect(hex(await real.get(i, { timeout: 10_000 }))).toBe(hex(block(i)))
    await ours.append(blocks(100, 5))
    expect(hex(await real.get(104, { timeout: 10_000 }))).toBe(hex(block(104)))
    expect(real.length).toBe(105)

    // the session's identity is the connection's
    expect(duplex.isInitiator).toBe(false)
    expect(hex(duplex.remotePublicKey)).toBe(hex(dialler.defaultKeyPair.publicKey))
    expect(hex(duplex.remotePublicKey)).toBe(hex(client.publicKey))
    expect(hex(duplex.publicKey)).toBe(hex(listener.defaultKeyPair.publicKey))
    expect(hex(duplex.handshakeHash)).toBe(hex(client.handshakeHash))
    expect(duplex.handshakeHash!.constructor).toBe(Uint8Array)
    // the core's protomux sits on the connection too, where Holepunch code looks for it
    expect(accepted.userData).toBeInstanceOf(Protomux)
    expect(Protomux.from(duplex)).toBe(accepted.userData)

    const gone = closed(duplex)
    client.destroy()
    await gone
    await Promise.all([ours.close(), real.close()])
  })

  it('the real hypercore writes on the accepting side, Orchard dials and reads', async () => {
    const real = await realCore()
    await real.append(blocks(0, 100, 5).map((b) => Buffer.from(b)))
    const ours = new Hypercore(openMemoryStorage(), new Uint8Array(real.key))
    const { client, server: accepted } = await dial()
    real.replicate(accepted)
    const duplex = fromNodeStream(client)
    ours.replicate(duplex) // before ours is ready, as apps do

    for (let i = 0; i < 100; i++) expect(hex(await ours.get(i, { timeout: 10_000 }))).toBe(hex(block(i, 5)))
    expect(ours.length).toBe(100)
    await real.append(Buffer.from(block(100, 5)))
    expect(hex(await ours.get(100, { timeout: 10_000 }))).toBe(hex(block(100, 5)))

    expect(duplex.isInitiator).toBe(true)
    expect(hex(duplex.remotePublicKey)).toBe(hex(listener.defaultKeyPair.publicKey))
    expect(hex(duplex.remotePublicKey)).toBe(hex(accepted.publicKey))
    expect(hex(duplex.publicKey)).toBe(hex(accepted.remotePublicKey))
    expect(hex(duplex.handshakeHash)).toBe(hex(accepted.handshakeHash))

    const gone = closed(accepted)
    duplex.destroy()
    await gone
    await Promise.all([ours.close(), real.close()])
  })

  it('cores replicated on fromNodeStream(conn) share one adapter and one protomux', async () => {
    const writers = [0, 1].map(() => new Hypercore(openMemoryStorage()))
    await Promise.all(writers.map((w, i) => w.append(blocks(0, 3, i))))
    const readers = await Promise.all(writers.map((w) => realCore(w.key!)))
    const { client, server: accepted } = await dial()
    for (const w of writers) w.replicate(fromNodeStream(accepted))
    for (const r of readers) r.replicate(client)
    expect(fromNodeStream(accepted)).toBe(fromNodeStream(accepted))
    for (let k = 0; k < 2; k++) {
      expect(hex(await readers[k].get(2, { timeout: 10_000 }))).toBe(hex(block(2, k)))
    }
    client.destroy()
    await Promise.all([...writers, ...readers].map((c) => c.close()))
  })
})

describe('backpressure over a hyperdht connection', () => {
  it('write returns false under a burst, drain follows, and every message arrives whole and in order', async () => {
    const { client, server: accepted } = await dial()
    const a = fromNodeStream(client)
    const b = fromNodeStream(accepted)
    const size = 64 * 1024
    const count = 256 // 16 MiB
    const message = (i: number) => {
      const m = new Uint8Array(size).fill(i & 0xff)
      new DataView(m.buffer).setUint32(0, i)
      return m
    }
    const got: Uint8Array[] = []
    const all = new Promise<void>((resolve) =>
      b.on('data', (m) => {
        got.push(m.slice())
        if (got.length === count) resolve()
      })
    )
    let refused = 0
    let drains = 0
    a.on('drain', () => drains++)
    for (let i = 0; i < count; i++) {
      if (!a.write(message(i))) {
        refused++
        await new Promise<void>((resolve) => a.once('drain', () => resolve()))
      }
    }
    await all
    expect(refused).toBeGreaterThan(0)
    expect(drains).toBeGreaterThanOrEqual(refused)
    expect(got.map((m) => m.byteLength)).toEqual(Array(count).fill(size))
    for (let i = 0; i < count; i++) expect(hex(got[i])).toBe(hex(message(i)))
    a.destroy()
    await closed(b)
  })
})

describe('end, close and errors over a hyperdht connection', () => {
  it('the remote’s end arrives after its last message; what the last side writes before ending is not cut off', async () => {
    const { client, server: accepted } = await dial()
    const a = fromNodeStream(client)
    const b = fromNodeStream(accepted)
    const aEvents = record(a)
    const bEvents = record(b)
    const burst = Array.from({ length: 64 }, (_, i) => new Uint8Array(64 * 1024).fill(i))
    let received = 0
    let last = -1
    a.on('data', (m) => {
      received += m.byteLength
      last = m[0]!
    })
    const aEnded = new Promise<number>((resolve) => a.on('end', () => resolve(received)))
    // b answers a's end with a burst and ends at once: both ended, b is done, yet the burst is sent
    b.on('end', () => {
      for (const m of burst) b.write(m)
      b.end()
    })
    // the connections close by themselves once both sides ended and everything went out
    const connsClosed = Promise.all([closed(client), closed(accepted)])
    a.end()
    expect(await aEnded).toBe(64 * 64 * 1024)
    expect(last).toBe(63)
    await connsClosed
    expect(aEvents).toEqual(['end', 'close'])
    expect(bEvents).toEqual(['end', 'close'])
    expect(a.destroyed && b.destroyed).toBe(true)
  })

  it('the connection destroyed with an error: a typed WireError, then close; the remote closes too', async () => {
    const { client, server: accepted } = await dial()
    const a = fromNodeStream(client)
    const b = fromNodeStream(accepted)
    const events = record(a)
    const errors: Error[] = []
    a.on('error', (err) => errors.push(err))
    const closeErr = closed(a)
    const boom = new Error('boom')
    client.destroy(boom)
    const err = (await closeErr) as WireError
    expect(events).toEqual(['error STREAM_CLOSED', 'close with error'])
    expect(errors).toEqual([err])
    expect(err).toBeInstanceOf(WireError)
    expect(err.code).toBe('STREAM_CLOSED')
    expect(err.cause).toBe(boom)
    expect(a.destroyed).toBe(true)
    expect(a.write(new Uint8Array([1]))).toBe(false)
    await closed(b)
    expect(b.destroyed).toBe(true)
  })

  it('the connection destroyed without an error: close, no error', async () => {
    const { client } = await dial()
    const a = fromNodeStream(client)
    const events = record(a)
    const gone = closed(a)
    client.destroy()
    expect(await gone).toBe(null)
    expect(events).toEqual(['close'])
  })

  it('a secret-stream timeout surfaces as a WireError with code TIMEOUT', async () => {
    const { client } = await dial()
    const a = fromNodeStream(client)
    const gone = closed(a)
    client.setTimeout(200) // the remote sends keep-alives every 5 s only
    const err = (await gone) as WireError
    expect(err).toBeInstanceOf(WireError)
    expect(err.code).toBe('TIMEOUT')
    expect((err.cause as Error).message).toBe('Stream timed out')
  })

  it('destroying ours destroys the connection, and the remote sees it close', async () => {
    const { client, server: accepted } = await dial()
    const a = fromNodeStream(client)
    const b = fromNodeStream(accepted)
    const events = record(a)
    const connClosed = closed(client)
    const remoteClosed = closed(b)
    a.destroy()
    expect(events).toEqual(['close'])
    await connClosed
    expect(client.destroyed).toBe(true)
    await remoteClosed
    expect(accepted.destroyed).toBe(true)
  })

  it('destroying ours with an error reports it on both, once', async () => {
    const { client, server: accepted } = await dial()
    const a = fromNodeStream(client)
    const events = record(a)
    const connErrors: Error[] = []
    client.on('error', (err: Error) => connErrors.push(err))
    const connClosed = closed(client)
    const boom = new Error('boom')
    a.destroy(boom)
    a.destroy()
    await connClosed
    expect(events).toEqual(['error boom', 'close with error'])
    expect(connErrors).toEqual([boom])
    await closed(accepted)
  })
})

describe('Node and streamx streams that are not encrypted connections', () => {
  it('a TCP socket is a byte duplex with no session identity; its mux lives on the adapter', async () => {
    const { a, b, cleanup } = await tcpPair()
    const duplex = fromNodeStream(a.stream as Socket)
    expect(duplex).toBe(a)
    expect(duplex).toBeInstanceOf(NodeStreamDuplex)
    expect(duplex).not.toBeInstanceOf(NoiseStreamDuplex)
    expect(duplex.isInitiator).toBe(null)
    expect(duplex.remotePublicKey).toBe(null)
    expect(duplex.handshakeHash).toBe(null)
    const mux = Protomux.from(duplex)
    expect(Protomux.from(duplex)).toBe(mux)
    expect('userData' in a.stream).toBe(false) // a socket is left as it is
    const data = new Promise<Uint8Array>((resolve) => b.once('data', resolve))
    a.write(new Uint8Array([1, 2, 3]))
    const chunk = await data
    expect(chunk.constructor).toBe(Uint8Array)
    expect([...chunk]).toEqual([1, 2, 3])
    a.destroy()
    await cleanup()
  })

  it('an Orchard hypercore replicates with hypercore 11 on a TCP socket (ours runs the secret-stream)', async () => {
    const ours = new Hypercore(openMemoryStorage())
    await ours.append(blocks(0, 20))
    const real = await realCore(ours.key!)
    const tcp = createServer((socket) => {
      socket.on('error', () => {})
      real.replicate(new RealSecretStream(false, socket))
    })
    await new Promise<void>((r) => tcp.listen(0, LOOPBACK, r))
    const socket = netConnect((tcp.address() as { port: number }).port, LOOPBACK)
    const stream = ours.replicate(true, { stream: fromNodeStream(socket), keepAlive: 0 })
    for (let i = 0; i < 20; i++) expect(hex(await real.get(i, { timeout: 10_000 }))).toBe(hex(block(i)))
    stream.destroy()
    await Promise.all([ours.close(), real.close()])
    await new Promise((r) => tcp.close(r))
  })

  it('a stream that carries text is destroyed with INVALID_FRAME, and so is the stream', async () => {
    const sx = new StreamxDuplex({})
    const d = fromNodeStream(sx)
    const gone = closed(d)
    sx.push('not bytes')
    const err = (await gone) as WireError
    expect(err).toBeInstanceOf(WireError)
    expect(err.code).toBe('INVALID_FRAME')
    await new Promise((r) => setImmediate(r))
    expect(sx.destroyed).toBe(true)
  })
})

/** Two TCP sockets on loopback, each wrapped by the adapter. */
async function tcpPair(): Promise<DuplexPair & { a: NodeStreamDuplex; b: NodeStreamDuplex }> {
  let tcp!: Server
  const accepted = new Promise<Socket>((resolve) => {
    tcp = createServer(resolve)
  })
  await new Promise<void>((r) => tcp.listen(0, LOOPBACK, r))
  const socket = netConnect((tcp.address() as { port: number }).port, LOOPBACK)
  await new Promise((r) => socket.once('connect', r))
  const a = fromNodeStream(socket)
  const b = fromNodeStream(await accepted)
  return { a, b, cleanup: () => new Promise<void>((r) => tcp.close(() => r())) }
}

function duplexConformance(name: string, connect: () => Promise<DuplexPair>): void {
  describe(`Duplex conformance: ${name}`, () => {
    for (const [check, run] of Object.entries(duplexChecks)) it(check, () => run(connect))
  })
}

duplexConformance('fromNodeStream on TCP sockets', tcpPair)

duplexConformance('fromNodeStream on hyperdht connections', async () => {
  const { client, server: accepted } = await dial()
  return { a: fromNodeStream(client), b: fromNodeStream(accepted), cleanup: () => {} }
})
