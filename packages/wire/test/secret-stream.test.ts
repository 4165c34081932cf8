import RealSecretStream from '@hyperswarm/secret-stream'
import { keyPair, ready } from '@orchard/crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { memoryPair, SecretStream, WireError } from '../src/index.ts'
import { connect, listen } from '../src/tcp.ts'
import { hex, take, toStreamx } from './helpers.ts'

beforeAll(() => ready())

function payloads(): Uint8Array[] {
  return [
    new TextEncoder().encode('hello'),
    new Uint8Array(0),
    new Uint8Array(1024 * 1024).map((_, i) => i & 0xff),
    ...Array.from({ length: 50 }, (_, i) => new Uint8Array(i * 37).fill(i))
  ]
}

async function exchange(
  a: { write(m: Uint8Array): unknown; on: never },
  b: { write(m: Uint8Array): unknown; on: never }
) {
  const sent = payloads().filter((p) => p.byteLength > 0) // empty messages are keep-alives: not delivered
  const gotB = take(b as never, sent.length)
  const gotA = take(a as never, sent.length)
  for (const p of sent) (a as { write(m: Uint8Array): unknown }).write(p)
  for (const p of sent) (b as { write(m: Uint8Array): unknown }).write(p)
  expect((await gotB).map(hex)).toEqual(sent.map(hex))
  expect((await gotA).map(hex)).toEqual(sent.map(hex))
}

describe('secret-stream interop with @hyperswarm/secret-stream', () => {
  for (const oursInitiates of [true, false]) {
    it(`ours as ${oursInitiates ? 'initiator' : 'responder'} over an in-memory pipe`, async () => {
      const [x, y] = memoryPair()
      const oursKp = keyPair()
      const theirsKp = RealSecretStream.keyPair()
      const ours = new SecretStream(oursInitiates, x, { keyPair: oursKp })
      const theirs = new RealSecretStream(!oursInitiates, toStreamx(y), { keyPair: theirsKp })
      await Promise.all([ours.opened, theirs.opened])
      expect(hex(ours.handshakeHash)).toBe(hex(theirs.handshakeHash))
      expect(hex(ours.remotePublicKey)).toBe(hex(theirsKp.publicKey))
      expect(hex(theirs.remotePublicKey)).toBe(hex(oursKp.publicKey))
      await exchange(ours as never, theirs as never)
      ours.destroy()
    })

    it(`ours as ${oursInitiates ? 'initiator' : 'responder'} over TCP on loopback`, async () => {
      const accepted: Promise<unknown>[] = []
      let theirs!: InstanceType<typeof RealSecretStream>
      const net = await import('node:net')
      const server = net.createServer((socket) => {
        theirs = new RealSecretStream(!oursInitiates, socket)
        accepted.push(theirs.opened)
      })
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
      const port = (server.address() as { port: number }).port
      const ours = new SecretStream(oursInitiates, await connect(port))
      await ours.opened
      while (accepted.length === 0) await new Promise((r) => setTimeout(r, 5))
      await accepted[0]
      expect(hex(ours.handshakeHash)).toBe(hex(theirs.handshakeHash))
      await exchange(ours as never, theirs as never)
      ours.destroy()
      theirs.destroy()
      server.close()
    })
  }

  it('ours ⇄ ours over TCP, with keep-alives that never surface as data', async () => {
    let server: Awaited<ReturnType<typeof listen>> | null = null
    const remote = new Promise<SecretStream>((resolve) => {
      void listen((d) => resolve(new SecretStream(false, d, { keepAlive: 20 }))).then((s) => {
        server = s
      })
    })
    while (server === null) await new Promise((r) => setTimeout(r, 5))
    const a = new SecretStream(true, await connect((server as { port: number }).port), { keepAlive: 20 })
    const b = await remote
    await Promise.all([a.opened, b.opened])
    let stray = 0
    b.on('data', () => stray++)
    await new Promise((r) => setTimeout(r, 120)) // several keep-alive periods pass
    expect(stray).toBe(0)
    await exchange(a as never, b as never)
    a.destroy()
    ;(server as unknown as { close(): void }).close()
  })
})

describe('secret-stream delivery', () => {
  it('keeps messages that arrive before anyone listens and hands them, in order, to the first listener', async () => {
    const [x, y] = memoryPair()
    const a = new SecretStream(true, x)
    const b = new SecretStream(false, y)
    await Promise.all([a.opened, b.opened])
    const sent = ['first', 'second', 'third'].map((t) => new TextEncoder().encode(t))
    for (const m of sent) a.write(m)
    await new Promise((r) => setTimeout(r, 20)) // delivered while b has no data listener
    const got = await take(b as never, sent.length)
    expect(got.map(hex)).toEqual(sent.map(hex))
    a.destroy()
  })
})

describe('secret-stream decryption in place', () => {
  it('hands out each message as a view of the chunk it arrived in, over bytes that held its ciphertext', async () => {
    const [x, y] = memoryPair()
    const a = new SecretStream(true, x)
    const received: Uint8Array[] = []
    y.on('data', (chunk) => received.push(chunk)) // sees every chunk, before the secret-stream does
    const b = new SecretStream(false, y)
    await Promise.all([a.opened, b.opened])
    const sent = [new Uint8Array(3000).fill(9), new TextEncoder().encode('second')]
    const messages: Uint8Array[] = []
    const got = new Promise<void>((resolve) =>
      b.on('data', (m) => {
        if (messages.push(m) === sent.length) resolve()
      })
    )
    for (const m of sent) a.write(m)
    await got
    expect(messages.map(hex)).toEqual(sent.map(hex))
    const last = received.slice(-sent.length)
    for (let i = 0; i < sent.length; i++) {
      // frame: uint24 length ‖ encrypted tag ‖ message ‖ MAC — the message sits at byte 4
      expect(messages[i]!.buffer).toBe(last[i]!.buffer)
      expect(messages[i]!.byteOffset).toBe(last[i]!.byteOffset + 4)
    }
    a.destroy()
  })
})

describe('secret-stream inbox order', () => {
  it('delivers kept messages before ones that arrive while the first listener is being added', async () => {
    const [x, y] = memoryPair()
    const a = new SecretStream(true, x)
    const b = new SecretStream(false, y)
    await Promise.all([a.opened, b.opened])
    const first = new TextEncoder().encode('kept before anyone listened')
    const second = new TextEncoder().encode('arrived after')
    a.write(first)
    await new Promise((r) => setTimeout(r, 20)) // b keeps `first`
    a.write(second) // delivered on the transport's next microtask
    const got = await take(b as never, 2)
    expect(got.map(hex)).toEqual([hex(first), hex(second)])
    a.destroy()
  })
})

describe('secret-stream inbox bound', () => {
  it('drops a peer that floods it before anyone listens, with a typed error', async () => {
    const [x, y] = memoryPair()
    const a = new SecretStream(true, x)
    const b = new SecretStream(false, y)
    await Promise.all([a.opened, b.opened])
    const closedWith = new Promise<Error | null>((resolve) => b.on('close', (err) => resolve(err)))
    b.on('error', () => {})
    const chunk = new Uint8Array(1024 * 1024)
    for (let i = 0; i < 20 && !a.destroyed; i++) {
      a.write(chunk)
      await new Promise((r) => setTimeout(r, 1))
    }
    const err = await closedWith
    expect(err).toBeInstanceOf(WireError)
    expect((err as WireError).code).toBe('PROTOCOL_ERROR')
  })
})

describe('secret-stream vectors and failures', () => {
  it('reproduces the deterministic XX handshake vector byte for byte (holepunch-formats §5.6)', async () => {
    const seed = (n: number) => new Uint8Array(32).fill(n)
    const [x, y] = memoryPair()
    const toResponder: Uint8Array[] = []
    const toInitiator: Uint8Array[] = []
    y.on('data', (c) => toResponder.push(new Uint8Array(c)))
    x.on('data', (c) => toInitiator.push(new Uint8Array(c)))
    const i = new SecretStream(true, x, {
      keyPair: keyPair(seed(1)),
      noise: { ephemeral: keyPair(seed(3)) },
      header: new Uint8Array(24).fill(5)
    })
    const r = new SecretStream(false, y, {
      keyPair: keyPair(seed(2)),
      noise: { ephemeral: keyPair(seed(4)) }
    })
    await Promise.all([i.opened, r.opened])
    expect(hex(i.handshakeHash)).toBe(
      'aa42bcea44d843e3803e549191ae7eac847a85dccf21ef3918a7cf228d87b7889b194cdb190b8b2cf82daf543e71e86871532b84ba1d7982489eb3040dcfc412'
    )
    const got = take(r as never, 1)
    i.write(new TextEncoder().encode('hello'))
    expect(new TextDecoder().decode((await got)[0])).toBe('hello')
    const joined = (chunks: Uint8Array[]) => chunks.map(hex).join('')
    const msg1 = '200000ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d1'
    const msg2 =
      '600000ca93ac1705187071d67b83c7ff0efe8108e8ec4530575d7726879333dbdabe7c8924380c5066a7dcffff1174cebcbfefc17dafd675f6dc2e688de867ff96c431a1fcb7f80997fba29d5bbc64a50e8d74e82bc092a89c62eacaf68db17bb5d0b5'
    const msg3 =
      '400000585b6e8320c9dfc6764d48e242b912333244a85ae8769c90ee632f1d3bf6945d6d4729ee9c716f0f82946ce191158c480d53f508585c93bb66354bbee6b8bdad'
    const idFrame = `380000a1d1ba79814a026a75d3d0d86df2d767c48c1a62a59d9e5d47876ab9b0867673${'05'.repeat(24)}`
    const hello = '160000c5076b0d419ca99b0c82ccc250bec967d04f038266fc'
    expect(joined(toResponder)).toBe(msg1 + msg3 + idFrame + hello)
    expect(joined(toInitiator).startsWith(msg2)).toBe(true)
    i.destroy()
  })

  it('fails the handshake on a corrupted message with a typed error', async () => {
    const [x, y] = memoryPair()
    const ours = new SecretStream(false, x)
    const errors: Error[] = []
    ours.on('error', (e) => errors.push(e))
    // a valid-looking msg1 (32-byte key) then a garbage msg3
    y.write(new Uint8Array([32, 0, 0, ...keyPair().publicKey]))
    await new Promise((r) => setTimeout(r, 10))
    y.write(new Uint8Array([64, 0, 0, ...new Uint8Array(64).fill(9)]))
    expect(await ours.opened).toBe(false)
    expect(errors[0]).toBeInstanceOf(WireError)
    expect((errors[0] as WireError).code).toBe('HANDSHAKE_FAILED')
  })
})
