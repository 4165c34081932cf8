/**
 * The stream plumbing on its own (every source and sink shape a drive may hand out), and mirrors
 * between our localdrive and the in-memory drive (WHATWG streams, putEntry).
 */
import { Readable, Transform, Writable } from 'node:stream'
import { afterAll, describe, expect, it } from 'vitest'
import { Localdrive } from '../../localdrive/src/node.ts'
import {
  isTransformer,
  iterate,
  MirrorDrive,
  MirrorDriveError,
  normalizeKey,
  sameData,
  streamsEqual,
  through,
  writeAll
} from '../src/index.ts'
import { cleanup, collect, tmp } from './helpers.ts'
import { MemoryDrive } from './memory-drive.ts'

afterAll(cleanup)

const enc = new TextEncoder()
const u8 = (s: string) => enc.encode(s)

async function* chunks(...parts: string[]) {
  for (const p of parts) yield u8(p)
}

/** A ReadableStream without async iteration, so `iterate` must use a reader. */
function readerOnly(...parts: string[]): ReadableStream<Uint8Array> {
  const rs = new ReadableStream<Uint8Array>({
    start(c) {
      for (const p of parts) c.enqueue(u8(p))
      c.close()
    }
  })
  Object.defineProperty(rs, Symbol.asyncIterator, { value: undefined })
  return rs
}

const text = (parts: Uint8Array[]) => Buffer.concat(parts).toString()

describe('stream plumbing', () => {
  it('iterates async iterables, Node streams and ReadableStreams with or without iteration', async () => {
    expect(text(await collect(iterate(chunks('a', 'b'))))).toBe('ab')
    expect(text(await collect(iterate(Readable.from([u8('n'), u8('ode')]))))).toBe('node')
    expect(text(await collect(iterate(readerOnly('re', 'ader'))))).toBe('reader')
    expect(() => iterate(42 as never)).toThrow(MirrorDriveError)
  })

  it('compares bytes regardless of chunking, and stops at the first difference', async () => {
    expect(await streamsEqual(chunks('abc', 'def'), readerOnly('a', 'bcde', '', 'f'))).toBe(true)
    expect(await streamsEqual(chunks('abc'), chunks('abd'))).toBe(false)
    expect(await streamsEqual(chunks('abc'), chunks('abc', 'd'))).toBe(false)
    expect(await streamsEqual(chunks('abcd'), chunks('abc'))).toBe(false)
    expect(await streamsEqual(chunks(), chunks('', ''))).toBe(true)
    let pulled = 0
    async function* endless() {
      while (true) {
        pulled++
        yield u8('x')
      }
    }
    expect(await streamsEqual(endless(), chunks('xxy'))).toBe(false)
    expect(pulled).toBe(3)
  })

  it('writes into a WritableStream and into a Node writable with back-pressure', async () => {
    const got: string[] = []
    await writeAll(
      new WritableStream({ write: (c) => void got.push(Buffer.from(c).toString()) }),
      chunks('w', 'eb')
    )
    expect(got.join('')).toBe('web')

    const received: Buffer[] = []
    const slow = new Writable({
      highWaterMark: 4,
      write(chunk, _enc, cb) {
        received.push(chunk)
        setTimeout(cb, 1)
      }
    })
    const many = Array.from({ length: 50 }, (_, i) => `${i},`)
    await writeAll(slow, chunks(...many))
    expect(Buffer.concat(received).toString()).toBe(many.join(''))
    expect(slow.writableFinished).toBe(true)
  })

  it('fails when the sink errors or closes early, and aborts the sink when the source fails', async () => {
    const failing = new Writable({
      write(_c, _e, cb) {
        cb(new Error('disk full'))
      }
    })
    await expect(writeAll(failing, chunks('a', 'b'))).rejects.toThrow('disk full')

    const closing = new Writable({ write: (_c, _e, cb) => cb() })
    const early = writeAll(closing, chunks('a'))
    closing.destroy()
    await expect(early).rejects.toMatchObject({ code: 'STREAM_CLOSED' })

    async function* broken() {
      yield u8('partial')
      throw new Error('source broke')
    }
    let aborted: unknown = null
    const web = new WritableStream({
      abort: (reason) => {
        aborted = reason
      }
    })
    await expect(writeAll(web, broken())).rejects.toThrow('source broke')
    expect((aborted as Error).message).toBe('source broke')
    const node = new Writable({ write: (_c, _e, cb) => cb() })
    await expect(writeAll(node, broken())).rejects.toThrow('source broke')
    expect(node.destroyed).toBe(true)
    expect(node.writableFinished).toBe(false)
  })

  it('pipes through TransformStreams and Node transforms, and propagates their errors', async () => {
    const upper = new TransformStream<Uint8Array, Uint8Array>({
      transform: (c, ctl) => ctl.enqueue(u8(Buffer.from(c).toString().toUpperCase()))
    })
    const dup = new Transform({ transform: (c, _e, cb) => cb(null, Buffer.concat([c, c])) })
    expect(isTransformer(upper) && isTransformer(dup)).toBe(true)
    expect(isTransformer({ not: 'a stream' })).toBe(false)
    expect(text(await collect(through(dup, through(upper, chunks('ab', 'c')))))).toBe('ABABCC')
    const boom = new Transform({ transform: (_c, _e, cb) => cb(new Error('transform boom')) })
    await expect(collect(through(boom, chunks('x')))).rejects.toThrow('transform boom')
  })

  it('normalises ignore keys and compares metadata like same-data', () => {
    expect(normalizeKey('a\\b/../c')).toBe('/a/c')
    expect(() => normalizeKey('/..')).toThrow(MirrorDriveError)
    expect(sameData({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBe(true)
    expect(sameData({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true)
    expect(sameData({ a: 1 }, { a: 1, b: undefined })).toBe(false)
    expect(sameData([1, 2], [1, 2, 3])).toBe(false)
    expect(sameData(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true)
    expect(sameData(new Uint8Array([1, 2]), [1, 2])).toBe(false)
    expect(sameData('1', 1)).toBe(false)
  })
})

describe('our localdrive ⇄ an in-memory drive (WHATWG streams, putEntry)', () => {
  it('round-trips files and metadata, and uses putEntry for metadata-only changes', async () => {
    const meta = new Map<string, unknown>()
    const local = new Localdrive(tmp(), { metadata: meta })
    await local.put('/a.txt', 'alpha', { metadata: { tag: 1 } })
    await local.put('/dir/b.bin', new Uint8Array(200_000).fill(7))
    await local.put('/run.sh', '#!/bin/sh', { executable: true })
    const mem = new MemoryDrive()
    await new MirrorDrive(local, mem).done()
    expect(mem.writes.streams).toBe(3)
    expect((await mem.entry('/a.txt'))!.value).toMatchObject({ metadata: { tag: 1 } })
    expect((await mem.entry('/run.sh'))!.value.executable).toBe(true)

    await local.put('/a.txt', 'alpha', { metadata: { tag: 2 } })
    const diffs = await collect(new MirrorDrive(local, mem))
    expect(diffs).toEqual([{ op: 'change', key: '/a.txt', bytesRemoved: 0, bytesAdded: 0 }])
    expect(mem.writes).toMatchObject({ streams: 3, putEntry: 1 })
    expect((await mem.entry('/a.txt'))!.value.metadata).toEqual({ tag: 2 })

    const back = new Localdrive(tmp(), { metadata: new Map() })
    await new MirrorDrive(mem, back).done()
    expect(await collect(new MirrorDrive(local, back))).toEqual([])
    expect(Buffer.from((await back.get('/dir/b.bin'))!).equals(Buffer.alloc(200_000, 7))).toBe(true)
    // into a localdrive (no putEntry) a metadata-only change rewrites the file
    await mem.putEntry('/a.txt', { ...(await mem.entry('/a.txt'))!.value, metadata: { tag: 3 } })
    expect(await collect(new MirrorDrive(mem, back))).toEqual([
      { op: 'change', key: '/a.txt', bytesRemoved: 5, bytesAdded: 5 }
    ])
  })

  it('does not compare metadata unless both drives support it', async () => {
    const local = new Localdrive(tmp()) // no metadata hooks
    await local.put('/a.txt', 'same')
    const mem = new MemoryDrive()
    await mem.put('/a.txt', u8('same'), { metadata: 'only here' })
    expect(await collect(new MirrorDrive(local, mem))).toEqual([])
  })

  it('refuses a destination whose core is not writable, before touching anything', async () => {
    const mem = new MemoryDrive()
    const readOnly = Object.assign(Object.create(mem), { core: { writable: false } })
    const local = new Localdrive(tmp())
    await local.put('/a.txt', 'x')
    const err = await new MirrorDrive(local, readOnly).done().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(MirrorDriveError)
    expect(err).toMatchObject({ code: 'NOT_WRITABLE', message: 'Destination must be writable' })
    expect(mem.files.size).toBe(0)
  })
})
