/** The signalling channel: what it accepts from the remote, and how it opens and closes. */
import { ready } from '@orchard/crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  MAX_SIGNAL_BYTES,
  MAX_SIGNALS,
  parseSignal,
  SIGNAL_PROTOCOL,
  SignalChannel,
  type SignalData,
  type WebRtcError
} from '../src/index.ts'
import { relayedPair, stillCarries } from './helpers.ts'

beforeAll(() => ready())

const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value))

describe('parseSignal', () => {
  it('accepts offers, answers and candidates, keeping only their known fields', () => {
    expect(parseSignal(bytes({ type: 'offer', sdp: 'v=0', extra: 1 }))).toEqual({ type: 'offer', sdp: 'v=0' })
    expect(parseSignal(bytes({ type: 'answer', sdp: 'v=0' }))).toEqual({ type: 'answer', sdp: 'v=0' })
    const candidate = {
      candidate: 'candidate:1 1 udp 1 10.0.0.1 5000 typ host',
      sdpMLineIndex: 0,
      sdpMid: '0'
    }
    expect(parseSignal(bytes({ type: 'candidate', candidate }))).toEqual({ type: 'candidate', candidate })
  })

  it('refuses anything else with SIGNALLING_FAILED', () => {
    const bad: Uint8Array[] = [
      new Uint8Array([0xff, 0xfe]),
      new TextEncoder().encode('{not json'),
      bytes(null),
      bytes('offer'),
      bytes({ type: 'offer' }),
      bytes({ type: 'renegotiate', renegotiate: true }),
      bytes({ type: 'transceiverRequest', transceiverRequest: { kind: 'audio' } }),
      bytes({ type: 'candidate', candidate: { sdpMid: '0' } }),
      bytes({ type: 'candidate', candidate: { candidate: 'c', sdpMLineIndex: 'zero' } }),
      bytes({ type: 'offer', sdp: 'x'.repeat(MAX_SIGNAL_BYTES) })
    ]
    for (const b of bad) {
      expect(() => parseSignal(b)).toThrow(expect.objectContaining({ code: 'SIGNALLING_FAILED' }))
    }
  })
})

describe('SignalChannel', () => {
  it(`opens under '${SIGNAL_PROTOCOL}' when both sides create it, carries signals and done both ways`, async () => {
    const relayed = await relayedPair()
    const a = new SignalChannel(relayed.a)
    const b = new SignalChannel(relayed.b)
    const versions: number[] = []
    a.on('open', (v) => versions.push(v))
    b.on('open', (v) => versions.push(v))
    expect(await Promise.all([a.opened, b.opened])).toEqual([true, true])
    expect(versions).toEqual([1, 1])
    const atB = new Promise<SignalData>((resolve) => b.once('signal', resolve))
    a.send({ type: 'offer', sdp: 'v=0\r\n' })
    expect(await atB).toEqual({ type: 'offer', sdp: 'v=0\r\n' })
    const doneAtA = new Promise<void>((resolve) => a.once('done', () => resolve()))
    b.sendDone()
    await doneAtA
    const closedAtB = new Promise<boolean>((resolve) => b.once('close', resolve))
    a.close()
    expect(await closedAtB).toBe(true)
    expect(await stillCarries(relayed.a, relayed.b, 'connection unaffected')).toBe('connection unaffected')
    relayed.a.destroy()
  })

  it('closes, without touching the connection, when the remote floods it with signals', async () => {
    const relayed = await relayedPair()
    const a = new SignalChannel(relayed.a)
    const b = new SignalChannel(relayed.b)
    await Promise.all([a.opened, b.opened])
    const invalid = new Promise<WebRtcError>((resolve) => b.once('invalid', resolve))
    const candidate = { type: 'candidate', candidate: { candidate: 'c' } } as const
    for (let i = 0; i <= MAX_SIGNALS; i++) a.send(candidate)
    expect((await invalid).code).toBe('SIGNALLING_FAILED')
    expect(b.closed).toBe(true)
    expect(await stillCarries(relayed.b, relayed.a, 'connection unaffected')).toBe('connection unaffected')
    relayed.a.destroy()
  })
})
