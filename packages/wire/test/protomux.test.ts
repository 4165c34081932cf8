import RealSecretStream from '@hyperswarm/secret-stream'
import { buffer, struct, uint, utf8 } from '@orchard/codec'
import { ready } from '@orchard/crypto'
import c from 'compact-encoding'
import RealProtomux from 'protomux'
import { beforeAll, describe, expect, it } from 'vitest'
import { type Duplex, memoryPair, Protomux, SecretStream, type WireError } from '../src/index.ts'
import { toStreamx } from './helpers.ts'

beforeAll(() => ready())

const greeting = struct({ n: uint, text: utf8 })
const realGreeting = {
  preencode(s: unknown, m: { n: number; text: string }) {
    c.uint.preencode(s, m.n)
    c.string.preencode(s, m.text)
  },
  encode(s: unknown, m: { n: number; text: string }) {
    c.uint.encode(s, m.n)
    c.string.encode(s, m.text)
  },
  decode(s: unknown) {
    return { n: c.uint.decode(s), text: c.string.decode(s) }
  }
}

/** Ours on one side, the real protomux (on a real secret-stream) on the other. */
async function pair() {
  const [x, y] = memoryPair()
  const ours = new SecretStream(true, x)
  const theirs = new RealSecretStream(false, toStreamx(y))
  await Promise.all([ours.opened, theirs.opened])
  return {
    ours: new Protomux(ours),
    theirs: new RealProtomux(theirs),
    oursStream: ours,
    theirsStream: theirs
  }
}

function collector<T>() {
  const got: T[] = []
  let wake: (() => void) | null = null
  return {
    got,
    push(v: T) {
      got.push(v)
      wake?.()
    },
    async until(n: number) {
      while (got.length < n) await new Promise<void>((r) => (wake = r))
    }
  }
}

describe('protomux interop with the real protomux', () => {
  it('opens channels with handshakes and exchanges typed messages both ways, batched or not', async () => {
    const { ours, theirs } = await pair()
    const oursGot = collector<{ n: number; text: string }>()
    const theirsGot = collector<{ n: number; text: string }>()
    const oursOpen = collector<unknown>()
    const theirsOpen = collector<unknown>()
    const id = new Uint8Array(32).fill(7)
    const a = ours.createChannel({
      protocol: 'orchard/test',
      id,
      handshake: greeting,
      messages: [{ encoding: greeting, onmessage: (m) => oursGot.push(m as never) }, { encoding: uint }],
      onopen: (h) => oursOpen.push(h)
    })!
    const b = theirs.createChannel({
      protocol: 'orchard/test',
      id,
      handshake: realGreeting,
      messages: [
        { encoding: realGreeting, onmessage: (m: never) => theirsGot.push(m) },
        { encoding: c.uint }
      ],
      onopen: (h: unknown) => theirsOpen.push(h)
    })
    a.open({ n: 1, text: 'ours' })
    b.open({ n: 2, text: 'theirs' })
    await oursOpen.until(1)
    await theirsOpen.until(1)
    expect(oursOpen.got[0]).toEqual({ n: 2, text: 'theirs' })
    expect(theirsOpen.got[0]).toEqual({ n: 1, text: 'ours' })

    a.messages[0]!.send({ n: 3, text: 'plain' } as never)
    ours.cork()
    for (let i = 0; i < 20; i++) a.messages[0]!.send({ n: 100 + i, text: `batched ${i}` } as never)
    ours.uncork()
    await theirsGot.until(21)
    expect(theirsGot.got.map((m) => m.n)).toEqual([3, ...Array.from({ length: 20 }, (_, i) => 100 + i)])

    b.messages[0].send({ n: 4, text: 'from real' })
    theirs.cork()
    for (let i = 0; i < 10; i++) b.messages[0].send({ n: 200 + i, text: 'real batch' })
    theirs.uncork()
    await oursGot.until(11)
    expect(oursGot.got.map((m) => m.n)).toEqual([4, ...Array.from({ length: 10 }, (_, i) => 200 + i)])
  })

  it('pairs channels the remote opens first, rejects unpaired protocols, and closes from either side', async () => {
    const { ours, theirs } = await pair()
    const paired = collector<Uint8Array | null>()
    ours.pair({ protocol: 'lazy' }, (id) => {
      paired.push(id)
      const ch = ours.createChannel({ protocol: 'lazy', id, messages: [{ encoding: utf8 }] })!
      ch.open()
    })
    const closedReal = collector<boolean>()
    const lazy = theirs.createChannel({
      protocol: 'lazy',
      id: Buffer.alloc(4, 1),
      messages: [{ encoding: c.string }],
      onclose: (r: boolean) => closedReal.push(r)
    })
    lazy.open()
    await paired.until(1)
    expect([...(paired.got[0] ?? [])]).toEqual([1, 1, 1, 1])
    expect(await lazy.fullyOpened()).toBe(true)

    const rejected = collector<boolean>()
    const nobody = theirs.createChannel({
      protocol: 'nobody-here',
      onclose: (r: boolean) => rejected.push(r)
    })
    nobody.open()
    await rejected.until(1)
    expect(nobody.closed).toBe(true)

    // ours closes: the real side sees a remote close
    for (const ch of ours) if (ch.protocol === 'lazy') ch.close()
    await closedReal.until(1)
    expect(closedReal.got[0]).toBe(true)

    // the real side closes: ours sees it
    const closedOurs = collector<boolean>()
    const x = ours.createChannel({ protocol: 'x', onclose: (r) => closedOurs.push(r) })!
    const y = theirs.createChannel({ protocol: 'x' })
    x.open()
    y.open()
    await x.fullyOpened()
    y.close()
    await closedOurs.until(1)
    expect(closedOurs.got[0]).toBe(true)
  })

  it('frees a rejected channel id once: the next two channels get distinct ids the real protomux accepts', async () => {
    const { ours, theirs, oursStream } = await pair()
    const rejected = collector<boolean>()
    const nobody = ours.createChannel({ protocol: 'nobody-here', onclose: (r) => rejected.push(r) })!
    nobody.open()
    await rejected.until(1)
    // the real side opens whatever we open next
    for (const protocol of ['q', 'r']) {
      theirs.pair({ protocol }, () => theirs.createChannel({ protocol }).open())
    }
    const q = ours.createChannel({ protocol: 'q' })!
    const r = ours.createChannel({ protocol: 'r' })!
    q.open()
    r.open()
    // a double-freed id gave both the same id, and the real side destroyed the stream
    expect(await Promise.all([q.fullyOpened(), r.fullyOpened()])).toEqual([true, true])
    expect(oursStream.destroyed).toBe(false)
  })

  it('runs several channels at once over one stream', async () => {
    const { ours, theirs } = await pair()
    const got = collector<string>()
    for (let i = 0; i < 8; i++) {
      const id = new Uint8Array([i])
      const a = ours.createChannel({
        protocol: 'multi',
        id,
        messages: [{ encoding: utf8, onmessage: (m) => got.push(`ours${i}:${m}`) }]
      })!
      const b = theirs.createChannel({
        protocol: 'multi',
        id: Buffer.from(id),
        messages: [{ encoding: c.string, onmessage: (m: string) => got.push(`theirs${i}:${m}`) }]
      })
      a.open()
      b.open()
      await a.fullyOpened()
      await b.fullyOpened()
      a.messages[0]!.send(`a${i}` as never)
      b.messages[0].send(`b${i}`)
    }
    await got.until(16)
    expect(got.got.sort()).toEqual(
      Array.from({ length: 8 }, (_, i) => [`ours${i}:b${i}`, `theirs${i}:a${i}`])
        .flat()
        .sort()
    )
  })
})

describe('protomux against a misbehaving remote', () => {
  async function raw() {
    const [x, y] = memoryPair()
    const ours = new SecretStream(true, x)
    const evil = new SecretStream(false, y)
    await Promise.all([ours.opened, evil.opened])
    const mux = new Protomux(ours)
    const errors: Error[] = []
    ours.on('error', (e) => errors.push(e))
    return { mux, ours, evil, errors }
  }

  const cases: Array<[string, Uint8Array[]]> = [
    ['an open skipping channel ids', [new Uint8Array([0, 1, 5, 1, 0x61, 0])]],
    ['a truncated open', [new Uint8Array([0, 1, 1, 9, 0x61])]],
    ['a batch entry running past the message', [new Uint8Array([0, 0, 1, 50, 1, 2])]],
    ['a reject for a channel never opened', [new Uint8Array([0, 2, 7])]],
    ['an invalid varint', [new Uint8Array([0xff, 0xff])]]
  ]
  for (const [what, messages] of cases) {
    it(`destroys the stream with a typed error on ${what}`, async () => {
      const { ours, evil, errors } = await raw()
      for (const m of messages) evil.write(m)
      while (!ours.destroyed) await new Promise((r) => setTimeout(r, 2))
      expect(errors[0]).toBeInstanceOf(Error)
      expect((errors[0] as WireError).code).toMatch(/PROTOCOL_ERROR|TRUNCATED|OUT_OF_RANGE|INVALID_ENCODING/)
    })
  }

  it('destroys the stream when the remote reuses a channel id that is still open', async () => {
    const { mux, ours, evil, errors } = await raw()
    mux.pair({ protocol: 'a' }, () => new Promise(() => {})) // keeps the first open pending
    evil.write(new Uint8Array([0, 1, 1, 1, 0x61, 0]))
    evil.write(new Uint8Array([0, 1, 1, 1, 0x61, 0]))
    while (!ours.destroyed) await new Promise((r) => setTimeout(r, 2))
    expect((errors[0] as WireError).code).toBe('PROTOCOL_ERROR')
  })

  it('bounds what it buffers for channels it has not opened', async () => {
    const { mux, ours, evil, errors } = await raw()
    mux.pair({ protocol: 'slow' }, () => new Promise(() => {})) // never opens
    evil.write(new Uint8Array([0, 1, 1, 4, 0x73, 0x6c, 0x6f, 0x77, 0]))
    const junk = new Uint8Array(64 * 1024)
    junk[0] = 1 // channel 1
    for (let i = 0; i < 100 && !ours.destroyed; i++) {
      evil.write(junk)
      await new Promise((r) => setTimeout(r, 0))
    }
    expect(ours.destroyed).toBe(true)
    expect((errors[0] as WireError).code).toBe('PROTOCOL_ERROR')
  })
})

/** A pair whose `ours` side records the size of every frame it writes. */
async function pairRecordingFrames() {
  const { ours, theirs, oursStream } = await pair()
  const frames: number[] = []
  const write = oursStream.write.bind(oursStream)
  oursStream.write = (chunk: Uint8Array) => {
    frames.push(chunk.byteLength)
    return write(chunk)
  }
  return { ours, theirs, frames }
}

describe('protomux batches', () => {
  it('encode into the last batch buffer again only over a stream that copies what it is written', async () => {
    /** The buffers of what a mux on `stream` writes: an open, then three corked rounds. */
    const buffersWritten = (stream: Duplex) => {
      const buffers: ArrayBufferLike[] = []
      const write = stream.write.bind(stream)
      stream.write = (chunk: Uint8Array) => {
        buffers.push(chunk.buffer)
        return write(chunk)
      }
      const mux = new Protomux(stream)
      const ch = mux.createChannel({ protocol: 'orchard/spare', messages: [{ encoding: buffer }] })!
      ch.open()
      for (let round = 0; round < 3; round++) {
        mux.cork()
        for (let i = 0; i < 3; i++) ch.messages[0]!.send(new Uint8Array(20_000).fill(round) as never)
        mux.uncork()
      }
      return buffers
    }
    // a memory pipe hands each chunk to the other side as it is: never written into again
    const [x] = memoryPair()
    expect(x.writesCopied).toBe(false)
    const given = buffersWritten(x)
    expect(new Set(given).size).toBe(given.length)
    // a secret-stream encrypts each write into a frame of its own: the batch buffer is free again
    const [y, z] = memoryPair()
    const a = new SecretStream(true, y)
    const b = new SecretStream(false, z)
    await Promise.all([a.opened, b.opened])
    expect(a.writesCopied).toBe(true)
    const copied = buffersWritten(a)
    expect(copied.length).toBe(given.length) // batched the same way
    expect(new Set(copied).size).toBeLessThan(copied.length)
    a.destroy()
  })

  it('split a corked burst into frames of at most 64 KiB or one larger message (a relay carries frames up to 4 MiB), in order, to the real protomux', async () => {
    const { ours, theirs, frames } = await pairRecordingFrames()
    const got = collector<number>()
    const id = new Uint8Array(32).fill(9)
    const a = ours.createChannel({ protocol: 'orchard/burst', id, messages: [{ encoding: buffer }] })!
    theirs
      .createChannel({
        protocol: 'orchard/burst',
        id,
        messages: [{ encoding: c.buffer, onmessage: (m: Uint8Array) => got.push(m[0]!) }]
      })
      .open()
    a.open()
    expect(await a.fullyOpened()).toBe(true)
    ours.cork()
    for (let i = 0; i < 64; i++) a.messages[0]!.send(new Uint8Array(64 * 1024).fill(i) as never)
    ours.uncork()
    await got.until(64)
    expect(got.got).toEqual(Array.from({ length: 64 }, (_, i) => i))
    const burst = frames.filter((n) => n > 64 * 1024)
    expect(burst.length).toBeGreaterThanOrEqual(64) // each message alone: it fills a frame
    for (const n of burst) expect(n).toBeLessThanOrEqual(64 * 1024 + 128)
  })

  it('encodes a corked mix of channels, control messages and sizes in place, in order, for the real protomux', async () => {
    const { ours, theirs, frames } = await pairRecordingFrames()
    const got: string[] = []
    let count = 0
    const theirsChannel = (name: string) =>
      theirs
        .createChannel({
          protocol: 'orchard/mix',
          id: new TextEncoder().encode(name),
          messages: [
            {
              encoding: c.buffer,
              onmessage: (m: Uint8Array) => {
                got.push(`${name}:${m.byteLength}:${m[0]}`)
                count++
              }
            }
          ]
        })
        .open()
    theirsChannel('a')
    theirsChannel('b')
    // the real side answers our `open` of 'late', which travels inside a batch
    theirs.pair({ protocol: 'orchard/mix', id: new TextEncoder().encode('late') }, () =>
      theirsChannel('late')
    )
    const open = (name: string) => {
      const ch = ours.createChannel({
        protocol: 'orchard/mix',
        id: new TextEncoder().encode(name),
        messages: [{ encoding: buffer }]
      })!
      ch.open()
      return ch
    }
    const a = open('a')
    const b = open('b')
    expect(await a.fullyOpened()).toBe(true)
    expect(await b.fullyOpened()).toBe(true)
    const want: string[] = []
    const send = (name: string, ch: ReturnType<typeof open>, size: number, tag: number) => {
      ch.messages[0]!.send(new Uint8Array(size).fill(tag) as never)
      want.push(`${name}:${size}:${size > 0 ? tag : undefined}`)
    }
    ours.cork()
    let late: ReturnType<typeof open> | null = null
    for (let i = 0; i < 600; i++) {
      // sizes from empty to past a whole batch buffer; channels alternating in runs
      const size = [0, 1, 200, 1100, 5000, 70_000][i % 6]!
      send(i % 5 < 3 ? 'a' : 'b', i % 5 < 3 ? a : b, size, i & 0xff)
      if (i === 300) late = open('late') // its `open` goes into the batch, a control entry
    }
    ours.uncork()
    expect(await late!.fullyOpened()).toBe(true)
    ours.cork()
    for (let i = 0; i < 40; i++) send('late', late!, 300 * i, i)
    ours.uncork()
    const deadline = Date.now() + 10_000
    while (count < want.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    for (const name of ['a', 'b', 'late']) {
      expect(got.filter((g) => g.startsWith(`${name}:`))).toEqual(
        want.filter((w) => w.startsWith(`${name}:`))
      )
    }
    expect(frames.filter((n) => n > 64 * 1024 + 128).every((n) => n <= 70_000 + 128)).toBe(true)
    expect(frames.length).toBeGreaterThan(10)
  })
})
