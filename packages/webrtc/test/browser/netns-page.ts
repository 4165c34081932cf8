/**
 * The page of the network-namespace test (bundled by esbuild, served by the Node child inside the
 * namespace). Two tabs of it meet through the child's WebSocket relay: a secret-stream runs over
 * the relay end to end (the "relayed connection"), then `upgrade` moves them to a direct WebRTC
 * data channel, signalled over that connection. `window.runUpgrade(role, room)` returns what this
 * tab saw; `window.runConformance()` puts in-page simple-peer pairs through the Duplex
 * conformance suite (Chromium has `bufferedamountlow`, which Node's WebRTC port lacks).
 */
import { utf8 } from '@orchard/codec'
import { ready } from '@orchard/crypto'
import { type Duplex, fromWebSocket, Protomux, SecretStream } from '@orchard/wire'
import { duplexChecks } from '../../../wire/test/duplex-conformance.ts'
import {
  createPeer,
  fromSimplePeer,
  PeerDuplex,
  type SimplePeerLike,
  upgrade,
  WebRtcError
} from '../../src/index.ts'
import { selectedRemoteAddress } from './ice.ts'

/** What one tab reports. */
export interface UpgradeReport {
  publicKey: string
  remotePublicKey: string
  relayedRemotePublicKey: string
  directIsPeerDuplex: boolean
  remoteAddress: string | null
  greeting: string
  bigReceived: number
  bigIntact: boolean
  closedWith: string | null
  relayedAfter: string
}

const hex = (b: Uint8Array | null) =>
  b ? Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('') : ''

function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff
  return out
}

/**
 * A chat channel on `stream`'s protomux, opened by whichever side gets there first (the other is
 * paired to it): `say` sends one message and resolves with the remote's.
 */
function chatOn(stream: Duplex): { say(text: string): Promise<string> } {
  const mux = Protomux.from(stream)
  let heard!: (text: string) => void
  const received = new Promise<string>((resolve) => {
    heard = resolve
  })
  let channel: ReturnType<Protomux['createChannel']> = null
  const open = () => {
    if (channel === null) {
      channel = mux.createChannel({
        protocol: 'test/chat',
        messages: [{ encoding: utf8, onmessage: heard }]
      })!
      channel.open()
    }
    return channel
  }
  mux.pair({ protocol: 'test/chat' }, () => {
    open()
  })
  return {
    say(text) {
      open().messages[0]!.send(text)
      return received
    }
  }
}

/** Where `runUpgrade` is, for the test to report when it hangs. */
let step = 'loading'

/** The remote address of the ICE candidate pair the peer connection selected. */
function peerRemoteAddress(peer: SimplePeerLike): Promise<string | null> {
  return selectedRemoteAddress((peer as unknown as { _pc: RTCPeerConnection })._pc)
}

async function runUpgrade(role: 'a' | 'b', room: string): Promise<UpgradeReport> {
  step = 'relaying'
  await ready()
  const keyPair = SecretStream.keyPair()
  const ws = new WebSocket(`ws://${location.host}/relay?room=${room}`)
  const relayed = new SecretStream(role === 'a', fromWebSocket(ws), { keyPair })
  if (!(await relayed.opened)) throw new Error('the relayed connection did not open')
  const chat = chatOn(relayed)

  step = 'upgrading'
  const direct = await upgrade(relayed, { keyPair, timeout: 20_000 })
  step = 'exchanging'
  const remoteAddress = await peerRemoteAddress((direct.rawStream as PeerDuplex).peer)

  // a greeting, then 1 MiB, each way, over the direct path
  const received: Uint8Array[] = []
  const gotAll = new Promise<void>((resolve) =>
    direct.on('data', (m) => {
      received.push(m.slice())
      if (received.length === 2) resolve()
    })
  )
  direct.write(new TextEncoder().encode(`hello from ${role}`))
  const big = pattern(1 << 20, role === 'a' ? 2 : 1)
  direct.write(pattern(1 << 20, role === 'a' ? 1 : 2))
  await gotAll
  const bigIntact = received[1]!.every((x, i) => x === big[i])

  // end the direct path; the relayed connection stays and carries on
  step = 'ending'
  const closed = new Promise<Error | null>((resolve) => direct.once('close', resolve))
  direct.end()
  const err = await closed
  step = 'chatting over the relay'
  const relayedAfter = await chat.say(`still relayed, from ${role}`)
  const report: UpgradeReport = {
    publicKey: hex(keyPair.publicKey),
    remotePublicKey: hex(direct.remotePublicKey),
    relayedRemotePublicKey: hex(relayed.remotePublicKey),
    directIsPeerDuplex: direct.rawStream instanceof PeerDuplex,
    remoteAddress,
    greeting: new TextDecoder().decode(received[0]),
    bigReceived: received[1]!.byteLength,
    bigIntact,
    closedWith: err ? (err instanceof WebRtcError ? err.code : err.message) : null,
    relayedAfter
  }
  step = 'done'
  // give the remote time to read our last relayed message before the relay socket goes
  setTimeout(() => relayed.destroy(), 1000)
  return report
}

async function connectPair() {
  const pa = createPeer({ initiator: true })
  const pb = createPeer({ initiator: false })
  pa.on('signal', (s) => pb.signal(s))
  pb.on('signal', (s) => pa.signal(s))
  const a = fromSimplePeer(pa)
  const b = fromSimplePeer(pb)
  await Promise.all([a, b].map((d) => new Promise((resolve) => d.once('connect', () => resolve(null)))))
  return {
    a,
    b,
    cleanup: () => {
      a.destroy()
      b.destroy()
    }
  }
}

async function runConformance(): Promise<Record<string, string>> {
  await ready()
  const results: Record<string, string> = {}
  for (const [name, check] of Object.entries(duplexChecks)) {
    try {
      await check(connectPair)
      results[name] = 'ok'
    } catch (err) {
      results[name] = String((err as Error).stack ?? err)
    }
  }
  // the event path ran, not the poll: Chromium's channels have bufferedAmountLowThreshold
  const probe = createPeer({ initiator: true })
  results['bufferedamountlow supported'] =
    typeof probe._channel?.bufferedAmountLowThreshold === 'number' ? 'ok' : 'no bufferedAmountLowThreshold'
  probe.destroy()
  return results
}

Object.assign(window, { runUpgrade, runConformance, step: () => step })
;(globalThis as { ready?: boolean }).ready = true
