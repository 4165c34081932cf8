/**
 * Early stream bytes: a tab dialling a peer may send its first secret-stream bytes once it holds
 * the session keys — from the last handshake step on (`HANDSHAKE` recv), before `STREAM_OPEN` —
 * and the relay holds at most `EARLY_DATA_MAX` of them until hyperdht connects. Bytes sent any
 * earlier, or more than that, close only that stream with `PROTOCOL`.
 */
import { keyPair, ready } from '@orchard/crypto'
import { NoiseHandshake } from '@orchard/wire'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RelayDHT } from '../src/client/index.ts'
import {
  dhtNamespaces,
  EARLY_DATA_MAX,
  ErrorCode,
  HandshakeOp,
  type Message,
  RelayServer
} from '../src/index.ts'
import { openTab } from './helpers.ts'
import { type RawSession, rawSession } from './raw-client.ts'

let relay: RelayServer
let listener: RelayDHT

beforeAll(async () => {
  await ready()
  relay = await RelayServer.start({})
  listener = await openTab(relay.url)
  await listener.createServer({}, (conn) => conn.on('error', () => {})).listen(listener.defaultKeyPair)
}, 60_000)

afterAll(async () => {
  await listener?.destroy()
  await relay?.close()
})

/** The next HANDSHAKE of `stream` with `op` the relay asks the raw tab for. */
async function handshakeStep(s: RawSession, stream: number, op: number) {
  const until = Date.now() + 30_000
  for (;;) {
    const m = s.messages.find((m) => m.type === 'HANDSHAKE' && m.stream === stream && m.op === op)
    if (m?.type === 'HANDSHAKE') return m
    if (Date.now() > until) throw new Error(`no HANDSHAKE op ${op} for stream ${stream}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** The CLOSE the relay sent for `stream`. */
async function closeOf(s: RawSession, stream: number): Promise<Message> {
  const until = Date.now() + 30_000
  for (;;) {
    const m = s.messages.find((m) => m.type === 'CLOSE' && m.stream === stream)
    if (m) return m
    if (Date.now() > until) throw new Error(`stream ${stream} was not closed`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** The session is still open: a lookup runs to DONE. */
async function stillOpen(s: RawSession, id: number): Promise<void> {
  s.send({ type: 'LOOKUP', id, topic: new Uint8Array(32).fill(id) })
  const until = Date.now() + 30_000
  while (!s.messages.some((m) => m.type === 'DONE' && m.id === id)) {
    if (Date.now() > until) throw new Error('the session stopped answering')
    await new Promise((r) => setTimeout(r, 10))
  }
  expect(s.messages.some((m) => m.type === 'ERROR' && m.id === 0)).toBe(false)
}

/** A raw tab that dials the listener on `stream` and answers the first handshake step for real. */
async function dial(stream: number) {
  const s = await rawSession(relay.url)
  const kp = keyPair()
  await s.open(kp)
  const noise = new NoiseHandshake(true, kp, {
    pattern: 'IK',
    remotePublicKey: listener.defaultKeyPair.publicKey,
    prologue: dhtNamespaces().PEER_HANDSHAKE
  })
  s.send({ type: 'CONNECT', stream, publicKey: listener.defaultKeyPair.publicKey })
  const first = await handshakeStep(s, stream, HandshakeOp.SEND)
  return { s, noise, first }
}

describe('early stream bytes of a dialled connection', () => {
  it('bytes before the tab holds the session keys close that stream with PROTOCOL, not the session', async () => {
    const { s } = await dial(2)
    // the relay asked for the first Noise message: no keys yet, so no stream bytes either
    s.send({ type: 'DATA', stream: 2, data: new Uint8Array(59) })
    expect(await closeOf(s, 2)).toMatchObject({ code: ErrorCode.PROTOCOL })
    await stillOpen(s, 1)
    s.ws.close()
  })

  it('after the last handshake step, up to EARLY_DATA_MAX bytes are held; more close the stream', async () => {
    const { s, noise, first } = await dial(4)
    s.send({
      type: 'HANDSHAKE_REPLY',
      stream: 4,
      data: noise.send(first.data),
      remotePublicKey: null,
      holepunchSecret: null
    })
    // the listener answered through its relay session: the relay now asks us to open its reply
    await handshakeStep(s, 4, HandshakeOp.RECV)
    s.send({ type: 'DATA', stream: 4, data: new Uint8Array(EARLY_DATA_MAX - 100) })
    s.send({ type: 'DATA', stream: 4, data: new Uint8Array(100) })
    // exactly the limit is held: the stream is still open
    await stillOpen(s, 1)
    expect(s.messages.some((m) => m.type === 'CLOSE' && m.stream === 4)).toBe(false)
    s.send({ type: 'DATA', stream: 4, data: new Uint8Array(1) })
    expect(await closeOf(s, 4)).toMatchObject({ code: ErrorCode.PROTOCOL })
    await stillOpen(s, 2)
    s.ws.close()
  })
})
