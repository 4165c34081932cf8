/**
 * Acceptance 2: a byte range in the middle of a 10 MiB file, read from a remote peer (the real
 * hyperdrive, and our own), downloads only the blobs-core blocks covering the range — counted by
 * the blobs core's `download` events — and the metadata blocks on the file's path.
 */
import { ready } from '@orchard/crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Any, bytes, cleanup, concat, link, oursDrive, realDrive, sameBytes, until } from './helpers.ts'

const MiB = 1024 * 1024
const BLOCK = 65536
const big = bytes(10 * MiB, 42)
const small = new TextEncoder().encode('a small file before the big one')

beforeAll(() => ready())
afterAll(() => cleanup())

async function writer(kind: 'real' | 'ours'): Promise<Any> {
  const drive = kind === 'real' ? await realDrive() : await oursDrive()
  const buf = (u: Uint8Array) => (kind === 'real' ? Buffer.from(u) : u)
  await drive.put('/small.txt', buf(small))
  await drive.put('/media/big.bin', buf(big), { metadata: { type: 'video' } })
  await drive.put('/z-after.bin', buf(bytes(300_000, 7)))
  // many small entries around it: a bee of a few hundred blocks, of which a lookup needs a handful
  const batch = drive.batch()
  for (let i = 0; i < 300; i++) await batch.put(`/docs/${String(i).padStart(3, '0')}.txt`, buf(bytes(10, i)))
  await batch.flush()
  return drive
}

describe('a ranged read from a remote peer', () => {
  for (const kind of ['real', 'ours'] as const) {
    it(`fetches only the blocks of the range (${kind} writer)`, async () => {
      const w = await writer(kind)
      const reader = await oursDrive(new Uint8Array(w.key))
      const metaDownloads = new Set<number>()
      reader.core.on('download', (i: number) => metaDownloads.add(i))
      const unlink = link(w, reader)
      try {
        await until(() => reader.core.length === w.core.length, 20_000, 'the reader to sync')
        const blobs = await reader.getBlobs()
        const downloaded = new Set<number>()
        blobs.core.on('download', (i: number) => downloaded.add(i))

        const entry = (await reader.entry('/media/big.bin'))!
        const first = entry.value.blob!.blockOffset
        expect(entry.value.blob!.blockLength).toBe(160)

        // 200 000 bytes from 5 MiB + 1000: blocks 80..83 of the file
        const start = 5 * MiB + 1000
        const length = 200_000
        const chunks: Uint8Array[] = []
        for await (const chunk of reader.createReadStream('/media/big.bin', { start, length }))
          chunks.push(chunk)
        expect(sameBytes(concat(chunks), big.subarray(start, start + length))).toBe(true)
        const want = [80, 81, 82, 83].map((i) => first + i)
        expect([...downloaded].sort((a, b) => a - b)).toEqual(want)

        // a ranged get near the end: its two blocks more, nothing else
        const got = await reader.get('/media/big.bin', {
          start: 10 * MiB - BLOCK - 10,
          end: 10 * MiB - BLOCK + 9
        })
        expect(sameBytes(got, big.subarray(10 * MiB - BLOCK - 10, 10 * MiB - BLOCK + 10))).toBe(true)
        expect([...downloaded].sort((a, b) => a - b)).toEqual([...want, first + 158, first + 159])

        // the rest of the file, and the other files, stayed with the writer
        expect(await blobs.core.has(first, first + 160)).toBe(false)
        expect(await reader.has('/media/big.bin')).toBe(false)
        expect(await blobs.core.has(0)).toBe(false)
        expect(blobs.core.length).toBe(first + 160 + 5 + 300)
        // the metadata read: the header and the few nodes on the file's path, not the whole bee
        expect(reader.core.length).toBe(304)
        expect(metaDownloads.has(0)).toBe(true)
        expect(metaDownloads.size).toBeLessThan(12)

        // reading the whole file then fetches the rest, verified
        expect(sameBytes(await reader.get('/media/big.bin'), big)).toBe(true)
        expect(await reader.has('/media/big.bin')).toBe(true)
        expect(downloaded.size).toBe(160)
      } finally {
        unlink()
        await reader.close()
        await w.close()
      }
    }, 60_000)
  }
})
