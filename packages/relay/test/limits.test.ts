import { keyPair, randomBytes, ready } from '@orchard/crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RelayDHT } from '../src/client/index.ts'
import { closeCode, decodeMessage, ErrorCode, encodeMessage, RelayServer } from '../src/index.ts'
import { equal, openTab } from './helpers.ts'
import { rawSession } from './raw-client.ts'

let relay: RelayServer
let healthy: RelayDHT
let healthyTopic: Uint8Array

beforeAll(async () => {
  await ready()
  relay = await RelayServer.start({
    limits: { maxFrame: 4096, bytesPerSecond: 16 * 1024, signTimeout: 400, openTimeout: 2000, maxSessions: 6 }
  })
  healthy = await openTab(relay.url)
  healthyTopic = randomBytes(32)
  await healthy.announce(healthyTopic)
})

afterAll(async () => {
  await healthy?.destroy()
  await relay?.close()
})

/** The healthy session still does DHT work after another session was closed. */
async function healthyStillWorks(): Promise<void> {
  const found: Uint8Array[] = []
  for await (const r of healthy.lookup(healthyTopic)) found.push(...r.peers.map((p) => p.publicKey))
  expect(found.some((k) => equal(k, healthy.defaultKeyPair.publicKey))).toBe(true)
  expect(healthy.destroyed).toBe(false)
}

/** The ERROR (id 0) the relay sent before closing, and the close code. */
async function closedWith(s: Awaited<ReturnType<typeof rawSession>>) {
  const { code, reason } = await s.closed
  const error = s.messages.find((m) => m.type === 'ERROR')
  return { code, reason, error }
}

describe('bad input closes only that session, with a reason', () => {
  it('a malformed frame (truncated OPEN) → BAD_FRAME', async () => {
    const s = await rawSession(relay.url)
    await s.next('CHALLENGE')
    s.send(new Uint8Array([1, 1, 2]))
    const { code, reason, error } = await closedWith(s)
    expect(code).toBe(closeCode('BAD_FRAME'))
    expect(reason).toMatch(/^BAD_FRAME/)
    expect(error).toMatchObject({ type: 'ERROR', id: 0, code: ErrorCode.BAD_FRAME })
    await healthyStillWorks()
  })

  it('an oversized frame → FRAME_TOO_LARGE', async () => {
    const s = await rawSession(relay.url)
    await s.open(keyPair())
    s.send(new Uint8Array(5000))
    expect((await closedWith(s)).code).toBe(closeCode('FRAME_TOO_LARGE'))
    await healthyStillWorks()
  })

  it('an unknown message type → UNKNOWN_TYPE', async () => {
    const s = await rawSession(relay.url)
    await s.open(keyPair())
    s.send(new Uint8Array([0xee, 0, 0]))
    const { code, error } = await closedWith(s)
    expect(code).toBe(closeCode('UNKNOWN_TYPE'))
    expect(error).toMatchObject({ code: ErrorCode.UNKNOWN_TYPE })
    await healthyStillWorks()
  })

  it('a flood over the byte rate limit → RATE_LIMITED', async () => {
    const s = await rawSession(relay.url)
    await s.open(keyPair())
    // valid frames (data for a stream that does not exist is dropped), 4 KiB each, far over 16 KiB/s
    const frame = encodeMessage({ type: 'DATA', stream: 2, data: new Uint8Array(4000) })
    for (let i = 0; i < 40; i++) s.send(frame)
    expect((await closedWith(s)).code).toBe(closeCode('RATE_LIMITED'))
    await healthyStillWorks()
  })

  it('a public key the tab cannot sign for → AUTH_FAILED', async () => {
    const s = await rawSession(relay.url)
    const claimed = keyPair()
    s.open(claimed, keyPair()).catch(() => {})
    const { code, error } = await closedWith(s)
    expect(code).toBe(closeCode('AUTH_FAILED'))
    expect(error).toMatchObject({ code: ErrorCode.AUTH_FAILED })
    expect(s.messages.some((m) => m.type === 'OPENED')).toBe(false)
    await healthyStillWorks()
  })

  it('a wrong protocol version → BAD_VERSION; a request before OPEN → PROTOCOL', async () => {
    const a = await rawSession(relay.url)
    await a.next('CHALLENGE')
    const kp = keyPair()
    a.send({ type: 'OPEN', version: 99, publicKey: kp.publicKey, signature: new Uint8Array(64) })
    expect((await closedWith(a)).code).toBe(closeCode('BAD_VERSION'))
    const b = await rawSession(relay.url)
    await b.next('CHALLENGE')
    b.send({ type: 'LOOKUP', id: 1, topic: randomBytes(32) })
    expect((await closedWith(b)).code).toBe(closeCode('PROTOCOL'))
    await healthyStillWorks()
  })

  it('a tab that never answers a signing request → SIGN_TIMEOUT', async () => {
    const s = await rawSession(relay.url)
    await s.open(keyPair())
    s.send({ type: 'ANNOUNCE', id: 1, topic: randomBytes(32) })
    const sign = await s.next('SIGN')
    expect(sign).toMatchObject({ type: 'SIGN', kind: 0 })
    const { code, error } = await closedWith(s)
    expect(code).toBe(closeCode('SIGN_TIMEOUT'))
    expect(error).toMatchObject({ code: ErrorCode.SIGN_TIMEOUT })
    await healthyStillWorks()
  })

  it('a tab that never opens → OPEN_TIMEOUT', async () => {
    const s = await rawSession(relay.url)
    await s.next('CHALLENGE')
    expect((await closedWith(s)).code).toBe(closeCode('OPEN_TIMEOUT'))
  })

  it('more sessions than the limit → TOO_MANY_SESSIONS for the extra one only', async () => {
    const held = []
    while (relay.sessions < 6) held.push(await rawSession(relay.url))
    const extra = await rawSession(relay.url)
    const { code, error } = await closedWith(extra)
    expect(code).toBe(closeCode('TOO_MANY_SESSIONS'))
    expect(error).toMatchObject({ code: ErrorCode.TOO_MANY_SESSIONS })
    for (const h of held) h.ws.close()
    await Promise.all(held.map((h) => h.closed))
    await healthyStillWorks()
  })
})

describe('operations', () => {
  it('/health answers JSON and /metrics Prometheus text with sessions, bytes and errors by kind', async () => {
    const base = relay.url.replace('ws:', 'http:')
    const health = await fetch(`${base}/health`)
    expect(health.status).toBe(200)
    expect(await health.json()).toMatchObject({ ok: true, sessions: relay.sessions })
    const text = await (await fetch(`${base}/metrics`)).text()
    expect(text).toMatch(/^# TYPE orchard_relay_sessions gauge$/m)
    expect(text).toMatch(/^orchard_relay_sessions \d+$/m)
    expect(text).toMatch(/^orchard_relay_bytes_total\{direction="in"\} [1-9]\d*$/m)
    expect(text).toMatch(/^orchard_relay_errors_total\{kind="BAD_FRAME"\} [1-9]/m)
    expect(text).toMatch(/^orchard_relay_errors_total\{kind="RATE_LIMITED"\} [1-9]/m)
    expect((await fetch(`${base}/nope`)).status).toBe(404)
  })

  it('close() unannounces with the tab’s signatures, then closes the sessions with SHUTDOWN', async () => {
    let unannounceSigns = 0
    const own = await RelayServer.start({
      tap: (_session, direction, bytes) => {
        if (direction !== 'ws-out') return
        const m = decodeMessage(bytes)
        if (m.type === 'SIGN' && m.kind === 1) unannounceSigns++
      }
    })
    const kp = keyPair()
    const tab = await openTab(own.url, kp)
    const topic = randomBytes(32)
    await tab.announce(topic, kp)
    let found = 0
    for await (const r of tab.lookup(topic)) found += r.peers.length
    expect(found).toBeGreaterThan(0)
    const closed = new Promise<Error | null>((resolve) => tab.on('close', resolve))
    await own.close()
    const err = await closed
    expect(err).toMatchObject({ code: 'SHUTDOWN' })
    // the unannounce ran before the close, signed by the tab (the relay asked it)
    expect(unannounceSigns).toBeGreaterThan(0)
  })
})
