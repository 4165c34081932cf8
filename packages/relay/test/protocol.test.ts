import { createRequire } from 'node:module'
import { keyPair, randomBytes, ready, sign } from '@orchard/crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  announceSignable,
  DEFAULT_LIMITS,
  decodeMessage,
  dhtNamespaces,
  encodeMessage,
  holepunchSecret,
  type Message,
  MessageType,
  RelayError
} from '../src/index.ts'

const require = createRequire(import.meta.url)
const dhtRequire = createRequire(require.resolve('hyperdht'))

beforeAll(async () => {
  await ready()
})

function samples(): Message[] {
  const k = () => randomBytes(32)
  return [
    { type: 'CHALLENGE', version: 1, nonce: k(), maxFrame: 131072, signTimeout: 10000 },
    { type: 'OPEN', version: 1, publicKey: k(), signature: randomBytes(64) },
    { type: 'OPENED', maxStreams: 64, bytesPerSecond: 4194304 },
    { type: 'ERROR', id: 7, code: 6, message: 'over the byte rate limit – ünïcode' },
    { type: 'LOOKUP', id: 1, topic: k() },
    { type: 'ANNOUNCE', id: 2, topic: k() },
    { type: 'UNANNOUNCE', id: 3, topic: k() },
    { type: 'LISTEN', id: 4 },
    { type: 'UNLISTEN', id: 5 },
    { type: 'CONNECT', stream: 2, publicKey: k() },
    { type: 'CANCEL', id: 1 },
    { type: 'REPLY', id: 1, peers: [{ publicKey: k() }, { publicKey: k() }] },
    { type: 'DONE', id: 1 },
    {
      type: 'SIGN',
      id: 9,
      kind: 1,
      target: k(),
      nodeId: k(),
      token: k(),
      peer: randomBytes(38),
      refresh: new Uint8Array(0)
    },
    { type: 'SIGNED', id: 9, signature: randomBytes(64) },
    { type: 'SIGNED', id: 10, signature: null },
    { type: 'HANDSHAKE', stream: 3, op: 1, data: randomBytes(96) },
    {
      type: 'HANDSHAKE_REPLY',
      stream: 3,
      data: randomBytes(40),
      remotePublicKey: k(),
      holepunchSecret: null
    },
    { type: 'STREAM_OPEN', stream: 3, remotePublicKey: k() },
    { type: 'DATA', stream: 3, data: randomBytes(1000) },
    { type: 'DATA', stream: 4, data: new Uint8Array(0) },
    { type: 'END', stream: 3 },
    { type: 'CLOSE', stream: 3, code: 17, message: '' }
  ]
}

describe('frames', () => {
  it('every message type round-trips, and its first byte is its type', () => {
    const list = samples()
    expect(new Set(list.map((m) => m.type)).size).toBe(Object.keys(MessageType).length)
    for (const m of list) {
      const bytes = encodeMessage(m)
      expect(bytes[0]).toBe(MessageType[m.type])
      expect(decodeMessage(bytes)).toEqual(m)
    }
  })

  it('rejects malformed input with typed errors: empty, unknown type, truncated, trailing bytes', () => {
    const code = (bytes: Uint8Array) => {
      try {
        decodeMessage(bytes)
      } catch (err) {
        expect(err).toBeInstanceOf(RelayError)
        return (err as RelayError).code
      }
      return 'decoded'
    }
    expect(code(new Uint8Array(0))).toBe('BAD_FRAME')
    expect(code(new Uint8Array([200]))).toBe('UNKNOWN_TYPE')
    expect(code(new Uint8Array([21]))).toBe('UNKNOWN_TYPE')
    for (const m of samples()) {
      const bytes = encodeMessage(m)
      if (m.type !== 'DATA' && bytes.byteLength > 1)
        expect(code(bytes.subarray(0, bytes.byteLength - 1))).toBe('BAD_FRAME')
      if (m.type !== 'DATA') expect(code(new Uint8Array([...bytes, 0]))).toBe('BAD_FRAME')
    }
    // a uint length that claims more than the frame holds
    expect(code(new Uint8Array([MessageType.HANDSHAKE, 1, 0, 0xfd, 0xff, 0xff]))).toBe('BAD_FRAME')
  })

  it('the default frame limit leaves room for a 64 KiB DATA chunk', () => {
    expect(encodeMessage({ type: 'DATA', stream: 1, data: new Uint8Array(65536) }).byteLength).toBeLessThan(
      DEFAULT_LIMITS.maxFrame
    )
  })
})

describe('what the tab signs is what hyperdht verifies', () => {
  it('the namespaces are hyperdht’s', () => {
    const { NS } = dhtRequire('./lib/constants.js')
    const ns = dhtNamespaces()
    expect(Buffer.from(ns.ANNOUNCE)).toEqual(NS.ANNOUNCE)
    expect(Buffer.from(ns.UNANNOUNCE)).toEqual(NS.UNANNOUNCE)
    expect(Buffer.from(ns.PEER_HANDSHAKE)).toEqual(NS.PEER_HANDSHAKE)
    expect(Buffer.from(ns.PEER_HOLEPUNCH)).toEqual(NS.PEER_HOLEPUNCH)
  })

  it('announce/unannounce signatures equal hyperdht’s own for the same record', () => {
    const Persistent = dhtRequire('./lib/persistent.js')
    const c = dhtRequire('compact-encoding')
    const m = dhtRequire('./lib/messages.js')
    const kp = keyPair()
    const target = randomBytes(32)
    const token = randomBytes(32)
    const nodeId = randomBytes(32)
    const peer = { publicKey: Buffer.from(kp.publicKey), relayAddresses: [{ host: '127.0.0.1', port: 4000 }] }
    const ann = { peer, refresh: null }
    const dhtKp = { publicKey: Buffer.from(kp.publicKey), secretKey: Buffer.from(kp.secretKey) }
    for (const [kind, fn] of [
      [0, Persistent.signAnnounce],
      [1, Persistent.signUnannounce]
    ] as const) {
      const expected = fn(Buffer.from(target), Buffer.from(token), Buffer.from(nodeId), ann, dhtKp)
      const fields = { kind, target, nodeId, token, peer: c.encode(m.peer, peer), refresh: new Uint8Array(0) }
      expect(Buffer.from(sign(announceSignable(fields), kp.secretKey))).toEqual(expected)
    }
  })

  it('the holepunch secret is hyperdht’s (keyed BLAKE2b of its namespace by the handshake hash)', () => {
    const sodium = dhtRequire('sodium-universal')
    const { NS } = dhtRequire('./lib/constants.js')
    const hash = randomBytes(64)
    const expected = Buffer.alloc(32)
    sodium.crypto_generichash(expected, NS.PEER_HOLEPUNCH, Buffer.from(hash))
    expect(Buffer.from(holepunchSecret(hash))).toEqual(expected)
  })
})
