/**
 * `pnpm bench drive`: our Hyperdrive (on our Corestore and file storage) vs the real hyperdrive 13
 * on the real corestore 7 (RocksDB), in one run, same data:
 * - 1 000 files of 4 KiB: written (one `put` each, awaited in turn) and read back (`get`), MB/s;
 * - one 64 MiB file: written through `createWriteStream` in 1 MiB chunks and read through
 *   `createReadStream`, MB/s;
 * - listing 10 000 entries (`list('/', { recursive: true })`, then `readdir` of a folder holding
 *   them), entries/s.
 * Each side runs its workload on a fresh store; the two sides alternate so neither gets a warmer
 * machine. File contents are incompressible, as photos and archives are.
 *
 * The 64 MiB write is as fast as the page cache takes it: on this VM a bare `writeSync` of 64 MiB
 * takes ~17 ms on a quiet disk and ~200 ms while the kernel writes back earlier data. So every big
 * file run starts with the disk settled (all files of the earlier runs flushed, untimed), runs three
 * times per side in alternating order, and reports the median. Between them, the same 64 MiB goes
 * through bare `writeSync` calls into a fresh file (three times, median too), reported beside the
 * write row: the page cache's own speed in that minute, which bounds both sides.
 */
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ready } from '@orchard/crypto'
import { openFileStorage } from '@orchard/storage/fs'
import { Corestore } from '../../packages/corestore/src/index.ts'
import { Hyperdrive } from '../../packages/hyperdrive/src/index.ts'
import { type BenchContext, median } from '../harness.ts'
import { flushDir } from '../storage/settle.ts'

const here = dirname(fileURLToPath(import.meta.url))
const driveRequire = createRequire(join(here, '../../packages/hyperdrive/package.json'))
// biome-ignore lint/suspicious/noExplicitAny: the real Holepunch packages are untyped
type Untyped = any
const RealHyperdrive: Untyped = driveRequire('hyperdrive')
const RealCorestore: Untyped = driveRequire('corestore')

/** The part of a drive the bench drives (hyperdrive 13's API, which both sides have). */
interface Drive {
  ready(): Promise<void>
  put(path: string, data: Uint8Array): Promise<unknown>
  get(path: string): Promise<Uint8Array | null>
  createWriteStream(path: string): {
    write(chunk: Uint8Array): unknown
    end(): unknown
    on(event: string, fn: (...args: unknown[]) => void): unknown
  }
  createReadStream(path: string): AsyncIterable<Uint8Array>
  list(folder: string, opts?: { recursive?: boolean }): AsyncIterable<unknown>
  readdir(folder: string): AsyncIterable<string>
  batch(): { put(path: string, data: Uint8Array): Promise<unknown>; flush(): Promise<unknown> }
  close(): Promise<void>
}

interface Side {
  open(dir: string): Promise<{ drive: Drive; close(): Promise<void> }>
  bytes(b: Uint8Array): Uint8Array
}

const sides: Record<'ours' | 'real', Side> = {
  ours: {
    async open(dir) {
      const store = new Corestore(openFileStorage(dir))
      const drive = new Hyperdrive(store) as unknown as Drive
      await drive.ready()
      return {
        drive,
        close: async () => {
          await drive.close()
          await store.close()
        }
      }
    },
    bytes: (b) => b
  },
  real: {
    async open(dir) {
      const store = new RealCorestore(dir)
      const drive = new RealHyperdrive(store) as Drive
      await drive.ready()
      return {
        drive,
        close: async () => {
          await drive.close()
          await store.close()
        }
      }
    },
    bytes: (b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength)
  }
}

const MB = 1024 * 1024

/** Incompressible bytes (xorshift32), as real files mostly are: no storage engine can shrink them. */
function noise(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size)
  const words = new Uint32Array(out.buffer, 0, size >>> 2)
  let x = seed >>> 0 || 1
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    words[i] = x
  }
  return out
}
const SMALL = 1000
const SMALL_SIZE = 4096
const BIG = 64 * MB
const CHUNK = MB
const LISTED = 10_000

async function smallFiles(side: Side, dir: string) {
  const { drive, close } = await side.open(dir)
  const data = side.bytes(noise(SMALL_SIZE, 7))
  let t = performance.now()
  for (let i = 0; i < SMALL; i++) await drive.put(`/small/${i}.bin`, data)
  const write = (SMALL * SMALL_SIZE) / MB / ((performance.now() - t) / 1000)
  t = performance.now()
  for (let i = 0; i < SMALL; i++) {
    const got = await drive.get(`/small/${i}.bin`)
    if (got?.byteLength !== SMALL_SIZE) throw new Error(`file ${i} read back ${got?.byteLength} bytes`)
  }
  const read = (SMALL * SMALL_SIZE) / MB / ((performance.now() - t) / 1000)
  await close()
  return { write, read }
}

async function bigFile(side: Side, dir: string) {
  const { drive, close } = await side.open(dir)
  const chunk = side.bytes(noise(CHUNK, 9))
  let t = performance.now()
  const ws = drive.createWriteStream('/big.bin')
  const finished = new Promise<void>((resolve, reject) => {
    ws.on('close', () => resolve())
    ws.on('error', (err) => reject(err))
  })
  for (let i = 0; i < BIG / CHUNK; i++) ws.write(chunk)
  ws.end()
  await finished
  const write = BIG / MB / ((performance.now() - t) / 1000)
  t = performance.now()
  let bytes = 0
  for await (const c of drive.createReadStream('/big.bin')) bytes += c.byteLength
  if (bytes !== BIG) throw new Error(`read back ${bytes} bytes of ${BIG}`)
  const read = BIG / MB / ((performance.now() - t) / 1000)
  await close()
  return { write, read }
}

/** 64 MiB in 1 MiB `writeSync` calls into a fresh file of `dir`, MB/s: what the disk allows now. */
function bareWrite(dir: string): number {
  mkdirSync(dir, { recursive: true })
  const chunk = noise(CHUNK, 9)
  const fd = openSync(join(dir, 'big.bin'), 'w')
  const t = performance.now()
  try {
    for (let i = 0; i < BIG / CHUNK; i++) writeSync(fd, chunk, 0, CHUNK, i * CHUNK)
  } finally {
    closeSync(fd)
  }
  return BIG / MB / ((performance.now() - t) / 1000)
}

async function listing(side: Side, dir: string) {
  const { drive, close } = await side.open(dir)
  const b = drive.batch()
  const empty = side.bytes(new Uint8Array(1))
  for (let i = 0; i < LISTED; i++) await b.put(`/many/${String(i).padStart(6, '0')}.txt`, empty)
  await b.flush()
  let t = performance.now()
  let n = 0
  for await (const _ of drive.list('/', { recursive: true })) n++
  if (n !== LISTED) throw new Error(`listed ${n} of ${LISTED}`)
  const list = LISTED / ((performance.now() - t) / 1000)
  t = performance.now()
  n = 0
  for await (const _ of drive.readdir('/many')) n++
  if (n !== LISTED) throw new Error(`readdir gave ${n} of ${LISTED}`)
  const readdir = LISTED / ((performance.now() - t) / 1000)
  await close()
  return { list, readdir }
}

/** The median of each figure over a side's runs. */
function medianRun(runs: { write: number; read: number }[]): { write: number; read: number } {
  return { write: median(runs.map((r) => r.write)), read: median(runs.map((r) => r.read)) }
}

export default async function drive(ctx: BenchContext): Promise<void> {
  await ready()
  const root = mkdtempSync(join(tmpdir(), 'orchard-bench-drive-'))
  let run = 0
  const dir = () => join(root, String(run++))
  try {
    const small = { ours: await smallFiles(sides.ours, dir()), real: await smallFiles(sides.real, dir()) }
    ctx.report({
      metric: 'write 1 000 × 4 KiB files',
      unit: 'MB/s',
      ours: small.ours.write,
      real: small.real.write
    })
    ctx.report({
      metric: 'read 1 000 × 4 KiB files',
      unit: 'MB/s',
      ours: small.ours.read,
      real: small.real.read
    })
    const bigRuns: Record<'ours' | 'real', { write: number; read: number }[]> = { ours: [], real: [] }
    const bare: number[] = []
    for (const name of ['real', 'ours', 'bare', 'ours', 'real', 'bare', 'real', 'ours', 'bare'] as const) {
      await flushDir(root)
      if (name === 'bare') bare.push(bareWrite(dir()))
      else bigRuns[name].push(await bigFile(sides[name], dir()))
    }
    const big = { ours: medianRun(bigRuns.ours), real: medianRun(bigRuns.real) }
    ctx.report({
      metric: 'write one 64 MiB file (stream)',
      unit: 'MB/s',
      ours: big.ours.write,
      real: big.real.write,
      extra: { 'bare writeSync MB/s': median(bare) }
    })
    ctx.report({
      metric: 'read one 64 MiB file (stream)',
      unit: 'MB/s',
      ours: big.ours.read,
      real: big.real.read
    })
    const list = { ours: await listing(sides.ours, dir()), real: await listing(sides.real, dir()) }
    ctx.report({
      metric: 'list 10 000 entries (recursive)',
      unit: 'entries/s',
      ours: list.ours.list,
      real: list.real.list
    })
    ctx.report({
      metric: 'readdir of 10 000 entries',
      unit: 'entries/s',
      ours: list.ours.readdir,
      real: list.real.readdir
    })
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}
