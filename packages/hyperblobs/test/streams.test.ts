/**
 * The stream shapes hyperdrive relies on: the write stream's streamx-like contract (`write`
 * returning false past the high water mark, `'drain'`, `'finish'` with the final id before
 * `'close'`, `'error'` then `'close'`, the store's lock held from first write to close) and the
 * read stream's (async iteration, `read()`, `on('data')` flowing with `pause`/`resume`, `'end'`
 * then `'close'`, `destroy()` cancelling a wait, a WHATWG stream).
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { type BlobId, type BlobWriteStream, Hyperblobs, StreamDestroyedError } from '../src/index.ts'
import { collect, oursBlobs, oursCore, randomBytes, ready, sameBytes } from './helpers.ts'

beforeAll(() => ready())

const tick = () => new Promise((r) => setTimeout(r, 5))

describe('the write stream', () => {
  it('emits drain, then finish with the final id, then close; the lock spans it', async () => {
    const blobs = await oursBlobs()
    await blobs.put(randomBytes(10, 1))
    const ws = blobs.createWriteStream()
    const events: string[] = []
    let idAtFinish: BlobId | null = null
    ws.on('drain', () => events.push('drain'))
    ws.on('finish', () => {
      events.push('finish')
      idAtFinish = { ...ws.id }
      expect(blobs.locked).toBe(true) // released only at close
    })
    ws.on('close', () => events.push('close'))
    // streamx semantics: true while below 16 KiB buffered, false from there on
    expect(ws.write(randomBytes(10_000, 2))).toBe(true)
    expect(ws.write(randomBytes(10_000, 3))).toBe(false)
    await tick()
    expect(blobs.locked).toBe(true)
    expect(events).toEqual(['drain'])
    ws.end(randomBytes(5, 4))
    const id = await ws.done()
    expect(events).toEqual(['drain', 'finish', 'close'])
    expect(id).toEqual({ blockOffset: 1, byteOffset: 10, blockLength: 3, byteLength: 20_005 })
    expect(idAtFinish).toEqual(id)
    expect(blobs.locked).toBe(false)
    expect(ws.write(new Uint8Array(1))).toBe(false) // after end: dropped
    expect(blobs.core.length).toBe(4)
  })

  it('end(callback) calls back at finish; a hyperdrive-style writer respects backpressure', async () => {
    const blobs = await oursBlobs()
    const data = randomBytes(300_000, 5)
    const ws = blobs.createWriteStream()
    // the way hyperdrive 13 drives it: write until false, then wait for 'drain'
    for (let i = 0; i < data.byteLength; i += 7000) {
      if (!ws.write(data.subarray(i, i + 7000))) await new Promise<void>((r) => ws.once('drain', () => r()))
    }
    const finished = new Promise<void>((r) => ws.end(() => r()))
    await finished
    expect(ws.finished).toBe(true)
    const id = await ws.done()
    expect(id.blockLength).toBe(Math.ceil(300_000 / 7000))
    sameBytes(await blobs.get(id), data)
  })

  it('concurrent streams wait for the lock and land one after the other', async () => {
    const blobs = await oursBlobs()
    const a = blobs.createWriteStream()
    const b = blobs.createWriteStream()
    a.write(new Uint8Array([1]))
    b.write(new Uint8Array([2])) // waits: `a` holds the lock
    await tick()
    a.write(new Uint8Array([3]))
    a.end()
    b.end(new Uint8Array([4]))
    const [ia, ib] = await Promise.all([a.done(), b.done()])
    expect(ia).toEqual({ blockOffset: 0, byteOffset: 0, blockLength: 2, byteLength: 2 })
    expect(ib).toEqual({ blockOffset: 2, byteOffset: 2, blockLength: 2, byteLength: 2 })
    expect(await blobs.get(ia)).toEqual(new Uint8Array([1, 3]))
    expect(await blobs.get(ib)).toEqual(new Uint8Array([2, 4]))
  })

  it('destroy releases the lock; done() rejects; appended batches stay, the next blob follows them', async () => {
    const blobs = await oursBlobs()
    const ws = blobs.createWriteStream()
    const events: string[] = []
    ws.on('error', () => events.push('error'))
    ws.on('close', () => events.push('close'))
    for (let i = 0; i < 20; i++) ws.write(new Uint8Array([i]))
    await until(() => blobs.core.length === 16) // the first batch of 16 is appended
    ws.destroy()
    await expect(ws.done()).rejects.toBeInstanceOf(StreamDestroyedError)
    expect(events).toEqual(['close'])
    expect(blobs.locked).toBe(false)
    expect(blobs.core.length).toBe(16)
    expect(await blobs.put(new Uint8Array([9]))).toMatchObject({ blockOffset: 16, byteOffset: 16 })
  })

  it('destroy(err) emits error then close; an append failure does the same', async () => {
    const blobs = await oursBlobs()
    const ws = blobs.createWriteStream()
    const seen: string[] = []
    ws.on('error', (e) => seen.push(`error:${e.message}`))
    ws.on('close', () => seen.push('close'))
    ws.write(new Uint8Array(1))
    ws.destroy(new Error('boom'))
    await expect(ws.done()).rejects.toThrow('boom')
    expect(seen).toEqual(['error:boom', 'close'])

    const writer = await oursBlobs()
    const replica = new Hyperblobs(await oursCore(writer.key))
    const failing: BlobWriteStream = replica.createWriteStream()
    const codes: string[] = []
    failing.on('error', (e) => codes.push((e as { code?: string }).code ?? '?'))
    failing.on('close', () => codes.push('close'))
    failing.end(new Uint8Array(3))
    await expect(failing.done()).rejects.toMatchObject({ code: 'SESSION_NOT_WRITABLE' })
    expect(codes).toEqual(['SESSION_NOT_WRITABLE', 'close'])
    expect(replica.locked).toBe(false)
  })
})

describe('the read stream', () => {
  it('flows on a data listener, pauses and resumes, then emits end and close', async () => {
    const blobs = await oursBlobs({ blockSize: 100 })
    const data = randomBytes(1000, 1)
    const id = await blobs.put(data)
    const rs = blobs.createReadStream(id, { start: 50 })
    const events: string[] = []
    const chunks: Uint8Array[] = []
    rs.on('end', () => events.push('end'))
    rs.on('close', () => events.push('close'))
    rs.on('data', (chunk) => {
      chunks.push(chunk)
      if (chunks.length === 3) rs.pause()
    })
    await tick()
    expect(chunks).toHaveLength(3)
    expect(rs.isPaused()).toBe(true)
    await tick()
    expect(chunks).toHaveLength(3) // paused: nothing more
    rs.resume()
    await new Promise<void>((r) => rs.once('close', () => r()))
    expect(chunks.map((c) => c.byteLength)).toEqual([50, 100, 100, 100, 100, 100, 100, 100, 100, 100])
    sameBytes(Buffer.concat(chunks), data.subarray(50))
    expect(events).toEqual(['end', 'close'])
    expect(rs.destroyed).toBe(true)
  })

  it('read() pulls chunk by chunk; breaking out of a loop destroys the stream', async () => {
    const blobs = await oursBlobs({ blockSize: 10 })
    const data = randomBytes(35, 2)
    const id = await blobs.put(data)
    const rs = blobs.createReadStream(id)
    expect(await rs.read()).toEqual(data.subarray(0, 10))
    expect(await rs.read()).toEqual(data.subarray(10, 20))
    let closed = false
    rs.on('close', () => {
      closed = true
    })
    for await (const chunk of rs) {
      expect(chunk).toEqual(data.subarray(20, 30))
      break
    }
    expect(closed).toBe(true)
    expect(await rs.read()).toBeNull()
  })

  it('toWeb() is a WHATWG ReadableStream of the range', async () => {
    const blobs = await oursBlobs({ blockSize: 64 })
    const data = randomBytes(1000, 3)
    const id = await blobs.put(data)
    const web = blobs.createReadStream(id, { start: 7, end: 900 }).toWeb()
    const got = new Uint8Array(await new Response(web).arrayBuffer())
    sameBytes(got, data.subarray(7, 901))
  })

  it('destroy() cancels a read waiting for a peer; the stream ends quietly', async () => {
    const writer = await oursBlobs()
    const id = await writer.put(randomBytes(1000, 4))
    const reader = new Hyperblobs(await oursCore(writer.key))
    const rs = reader.createReadStream(id)
    const errors: unknown[] = []
    rs.on('error', (e) => errors.push(e))
    const pending = rs.read()
    await tick()
    rs.destroy()
    expect(await pending).toBeNull()
    expect(errors).toEqual([])
    expect(await collect(rs)).toEqual(new Uint8Array(0))
  })

  it('an error reaches both a data listener (as an event) and the iterator (as a rejection)', async () => {
    const blobs = await oursBlobs({ blockSize: 10 })
    const id = await blobs.put(randomBytes(30, 5))
    await blobs.clear(id)
    const rs = blobs.createReadStream(id, { wait: false })
    const seen: string[] = []
    rs.on('error', (e) => seen.push((e as { code?: string }).code ?? '?'))
    rs.on('close', () => seen.push('close'))
    rs.on('data', () => seen.push('data'))
    await tick()
    expect(seen).toEqual(['BLOCK_NOT_AVAILABLE', 'close'])
    await expect(collect(blobs.createReadStream(id, { wait: false }))).rejects.toMatchObject({
      code: 'BLOCK_NOT_AVAILABLE'
    })
  })
})

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await tick()
  expect(cond()).toBe(true)
}
