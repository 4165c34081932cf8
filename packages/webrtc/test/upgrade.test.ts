/**
 * Two peers connected by secret-streams over an in-memory pipe (standing in for a relayed
 * connection) upgrade to a direct WebRTC path (Node's WebRTC, `@roamhq/wrtc`, on loopback) — and
 * every way that can fail is typed, leaving the relayed connection as it was.
 */
import { equalBytes } from '@orchard/codec'
import { ready } from '@orchard/crypto'
import { Protomux, SecretStream } from '@orchard/wire'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  createPeer,
  fromSimplePeer,
  PeerDuplex,
  SignalChannel,
  type SimplePeerLike,
  upgrade,
  WebRtcError
} from '../src/index.ts'
import { nextMessage, relayedPair, stillCarries, wrtc } from './helpers.ts'

beforeAll(() => ready())

/** Rejects with the upgrade's error (fails the test if it resolved). */
async function failure(p: Promise<unknown>): Promise<WebRtcError> {
  const outcome = await p.then(
    () => null,
    (err: unknown) => err
  )
  expect(outcome).toBeInstanceOf(WebRtcError)
  return outcome as WebRtcError
}

/** Both directions of the relayed connection still carry messages. */
async function relayedStillWorks(relayed: Awaited<ReturnType<typeof relayedPair>>): Promise<void> {
  expect(await stillCarries(relayed.a, relayed.b, 'a → b, relayed')).toBe('a → b, relayed')
  expect(await stillCarries(relayed.b, relayed.a, 'b → a, relayed')).toBe('b → a, relayed')
}

describe('upgrade', () => {
  it('opens a direct secret-stream with the same keys and a new session; both paths carry messages', async () => {
    const relayed = await relayedPair()
    const [a, b] = await Promise.all([
      upgrade(relayed.a, { keyPair: relayed.keys.a, wrtc }),
      upgrade(relayed.b, { keyPair: relayed.keys.b, wrtc })
    ])
    expect(equalBytes(a.remotePublicKey!, relayed.keys.b.publicKey)).toBe(true)
    expect(equalBytes(b.remotePublicKey!, relayed.keys.a.publicKey)).toBe(true)
    expect(a.isInitiator).toBe(relayed.a.isInitiator)
    expect(equalBytes(a.handshakeHash!, b.handshakeHash!)).toBe(true)
    expect(equalBytes(a.handshakeHash!, relayed.a.handshakeHash!)).toBe(false)
    // the direct stream runs on the data channel, not on the pipe
    expect(a.rawStream).toBeInstanceOf(PeerDuplex)
    expect(b.rawStream).toBeInstanceOf(PeerDuplex)

    const big = new Uint8Array(1 << 20).map((_, i) => i * 7)
    const atB = nextMessage(b)
    a.write(big)
    expect(equalBytes(await atB, big)).toBe(true)
    expect(await stillCarries(b, a, 'direct back')).toBe('direct back')
    await relayedStillWorks(relayed)

    // ending the direct path cleanly leaves the relayed one as it was
    const closes = [a, b].map((s) => new Promise<Error | null>((resolve) => s.once('close', resolve)))
    a.end()
    b.end()
    expect(await Promise.all(closes)).toEqual([null, null])
    await relayedStillWorks(relayed)
    relayed.a.destroy()
  })

  it('upgrades again after the direct path closed', async () => {
    const relayed = await relayedPair()
    for (let round = 0; round < 2; round++) {
      const [a, b] = await Promise.all([
        upgrade(relayed.a, { keyPair: relayed.keys.a, wrtc }),
        upgrade(relayed.b, { keyPair: relayed.keys.b, wrtc })
      ])
      expect(await stillCarries(a, b, `round ${round}`)).toBe(`round ${round}`)
      const closed = new Promise((r) => b.once('close', r))
      a.destroy()
      await closed
    }
    relayed.a.destroy()
  })

  it('refuses a key pair that is not the connection’s, before signalling anything', async () => {
    const relayed = await relayedPair()
    const err = await failure(upgrade(relayed.a, { keyPair: relayed.keys.b, wrtc }))
    expect(err.code).toBe('KEY_MISMATCH')
    await relayedStillWorks(relayed)
    relayed.a.destroy()
  })

  it('refuses a remote that proves a different key on the direct path (KEY_MISMATCH)', async () => {
    const relayed = await relayedPair()
    // the remote signals as an honest peer would, but runs the direct secret-stream with another key
    const impostor = SecretStream.keyPair()
    const signals = new SignalChannel(relayed.b)
    let peer: SimplePeerLike | null = null
    let impostorStream: SecretStream | null = null
    signals.on('open', () => {
      peer = createPeer({ initiator: relayed.b.isInitiator, wrtc })
      peer.on('signal', (data) => signals.send(data))
      impostorStream = new SecretStream(relayed.b.isInitiator, fromSimplePeer(peer), { keyPair: impostor })
      impostorStream.on('error', () => {})
    })
    signals.on('signal', (data) => peer?.signal(data))

    const err = await failure(upgrade(relayed.a, { keyPair: relayed.keys.a, wrtc }))
    expect(err.code).toBe('KEY_MISMATCH')
    // the impostor's direct stream is torn down with it
    const impostorClosed = impostorStream!.destroyed || new Promise((r) => impostorStream!.once('close', r))
    await impostorClosed
    await relayedStillWorks(relayed)
    relayed.a.destroy()
  })

  it('fails with REFUSED when the remote does not upgrade, and the connection carries on', async () => {
    const relayed = await relayedPair()
    Protomux.from(relayed.b) // the remote runs protomux, without a signalling channel: it rejects ours
    const err = await failure(upgrade(relayed.a, { keyPair: relayed.keys.a, wrtc }))
    expect(err.code).toBe('REFUSED')
    await relayedStillWorks(relayed)
    relayed.a.destroy()
  })

  it('fails with TIMEOUT when ICE finds no path (no candidates), the remote with REFUSED; the connection carries on', async () => {
    const relayed = await relayedPair()
    // TURN-only with no TURN server: no ICE candidate on either side
    const [errA, errB] = await Promise.all([
      failure(
        upgrade(relayed.a, { keyPair: relayed.keys.a, wrtc, iceTransportPolicy: 'relay', timeout: 1000 })
      ),
      failure(
        upgrade(relayed.b, { keyPair: relayed.keys.b, wrtc, iceTransportPolicy: 'relay', timeout: 30_000 })
      )
    ])
    expect(errA.code).toBe('TIMEOUT')
    expect(errB.code).toBe('REFUSED')
    await relayedStillWorks(relayed)
    relayed.a.destroy()
  })

  it('fails with ABORTED when the caller aborts', async () => {
    const relayed = await relayedPair()
    const controller = new AbortController()
    const upgrades = [
      failure(
        upgrade(relayed.a, {
          keyPair: relayed.keys.a,
          wrtc,
          iceTransportPolicy: 'relay',
          signal: controller.signal
        })
      ),
      failure(upgrade(relayed.b, { keyPair: relayed.keys.b, wrtc, iceTransportPolicy: 'relay' }))
    ]
    setTimeout(() => controller.abort(), 100)
    const [errA, errB] = await Promise.all(upgrades)
    expect(errA.code).toBe('ABORTED')
    expect(errB.code).toBe('REFUSED')
    await relayedStillWorks(relayed)
    relayed.a.destroy()
  })

  it('fails with BUSY while an upgrade of the same connection runs', async () => {
    const relayed = await relayedPair()
    const first = upgrade(relayed.a, { keyPair: relayed.keys.a, wrtc })
    const err = await failure(upgrade(relayed.a, { keyPair: relayed.keys.a, wrtc }))
    expect(err.code).toBe('BUSY')
    const [a] = await Promise.all([first, upgrade(relayed.b, { keyPair: relayed.keys.b, wrtc })])
    a.destroy()
    relayed.a.destroy()
  })

  it('fails with RELAY_CLOSED on both sides when the relayed connection closes mid-upgrade', async () => {
    const relayed = await relayedPair()
    const upgrades = [
      failure(upgrade(relayed.a, { keyPair: relayed.keys.a, wrtc, iceTransportPolicy: 'relay' })),
      failure(upgrade(relayed.b, { keyPair: relayed.keys.b, wrtc, iceTransportPolicy: 'relay' }))
    ]
    setTimeout(() => relayed.a.destroy(), 100)
    const errors = await Promise.all(upgrades)
    expect(errors.map((e) => e.code)).toEqual(['RELAY_CLOSED', 'RELAY_CLOSED'])
    expect((await failure(upgrade(relayed.a, { keyPair: relayed.keys.a, wrtc }))).code).toBe('RELAY_CLOSED')
  })

  it('fails with SIGNALLING_FAILED on a malformed signal, and the connection carries on', async () => {
    const relayed = await relayedPair()
    const signals = new SignalChannel(relayed.b)
    signals.on('open', () => signals.send({ type: 'offer' } as never))
    const err = await failure(upgrade(relayed.a, { keyPair: relayed.keys.a, wrtc }))
    expect(err.code).toBe('SIGNALLING_FAILED')
    await relayedStillWorks(relayed)
    relayed.a.destroy()
  })

  it('reports the direct path dying later as a typed error on the direct stream; the relayed one carries on', async () => {
    const relayed = await relayedPair()
    const [a, b] = await Promise.all([
      upgrade(relayed.a, { keyPair: relayed.keys.a, wrtc }),
      upgrade(relayed.b, { keyPair: relayed.keys.b, wrtc })
    ])
    const closedA = new Promise<Error | null>((resolve) => a.once('close', resolve))
    const closedB = new Promise<Error | null>((resolve) => b.once('close', resolve))
    // ICE dies under b's connection (as when its network goes away)
    const peerB = (b.rawStream as PeerDuplex).peer
    peerB.destroy(Object.assign(new Error('Ice connection failed.'), { code: 'ERR_ICE_CONNECTION_FAILURE' }))
    const [errA, errB] = await Promise.all([closedA, closedB])
    expect(errB).toBeInstanceOf(WebRtcError)
    expect((errB as WebRtcError).code).toBe('ICE_FAILED')
    expect(errA).toBeInstanceOf(WebRtcError)
    expect((errA as WebRtcError).code).toBe('CHANNEL_FAILED')
    await relayedStillWorks(relayed)
    relayed.a.destroy()
  })
})
