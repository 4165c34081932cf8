/**
 * Test helpers: our drives on memory corestores, the real hyperdrive 13 on the real corestore 7 in
 * temp folders, replication links between any two of them, and ways to compare their outputs.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Corestore } from '@orchard/corestore'
import { openMemoryStorage } from '@orchard/storage'
import { memoryPair } from '../../wire/src/index.ts'
import { toStreamx } from '../../wire/test/helpers.ts'
import { Hyperdrive } from '../src/index.ts'

const require = createRequire(import.meta.url)
// biome-ignore lint/suspicious/noExplicitAny: the real packages are untyped
export type Any = any
/** The real hyperdrive 13.3.4. */
export const RealHyperdrive: Any = require('hyperdrive')
/** The real corestore 7.12.5. */
export const RealCorestore: Any = require('corestore')

const dirs: string[] = []
/** A fresh temporary folder, removed by {@link cleanup}. */
export function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'orchard-drive-'))
  dirs.push(d)
  return d
}
/** Removes the temporary folders. */
export function cleanup(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
}

/** Our drive on a fresh memory corestore (a reader when `key` is given). */
export async function oursDrive(key?: Uint8Array | null): Promise<Hyperdrive> {
  const drive = new Hyperdrive(new Corestore(openMemoryStorage()), key ?? null)
  await drive.ready()
  return drive
}

/** The real drive on a fresh real corestore in a temp folder. */
export async function realDrive(key?: Uint8Array | null): Promise<Any> {
  const drive = new RealHyperdrive(new RealCorestore(tmp()), key ? Buffer.from(key) : undefined)
  await drive.ready()
  return drive
}

/** Whether a drive is one of ours. */
export function isOurs(drive: unknown): drive is Hyperdrive {
  return drive instanceof Hyperdrive
}

/**
 * Replicates two drives' corestores on one stream (`a` initiates); either may be ours or real.
 * Returns a function that tears the link down.
 */
export function link(a: Any, b: Any): () => void {
  if (isOurs(a) && isOurs(b)) {
    const [x, y] = memoryPair()
    const s1 = a.corestore.replicate(true, { stream: x, keepAlive: false })
    const s2 = b.corestore.replicate(false, { stream: y, keepAlive: false })
    return () => {
      s1.destroy()
      s2.destroy()
    }
  }
  if (!isOurs(a) && !isOurs(b)) {
    const s1 = a.corestore.replicate(true)
    const s2 = b.corestore.replicate(false)
    s1.pipe(s2).pipe(s1)
    return () => {
      s1.destroy()
      s2.destroy()
    }
  }
  const ours = (isOurs(a) ? a : b) as Hyperdrive
  const real = isOurs(a) ? b : a
  const raw = ours.corestore.replicate(isOurs(a)) as unknown as Parameters<typeof toStreamx>[0]
  const theirs = real.corestore.replicate(!isOurs(a))
  const sx = toStreamx(raw)
  // tearing the link down from either end is expected: no unhandled stream errors
  sx.on('error', () => {})
  theirs.on('error', () => {})
  sx.pipe(theirs).pipe(sx)
  return () => {
    sx.destroy()
    theirs.destroy()
  }
}

/** Waits until `cond()` holds (polling), or throws after `ms`. */
export async function until(cond: () => boolean | Promise<boolean>, ms = 20_000, what = 'condition') {
  const end = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** Collects an async iterable (ours) or a streamx readable (real). */
export async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of stream) out.push(x)
  return out
}

/** Concatenates chunks. */
export function concat(chunks: Uint8Array[]): Uint8Array {
  let n = 0
  for (const c of chunks) n += c.byteLength
  const out = new Uint8Array(n)
  let o = 0
  for (const c of chunks) {
    out.set(c, o)
    o += c.byteLength
  }
  return out
}

/** Makes Buffers and Uint8Arrays compare equal (deeply): bytes become hex strings. */
export function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return { hex: Buffer.from(v).toString('hex') }
  if (Array.isArray(v)) return v.map(plain)
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) out[k] = plain(x)
    return out
  }
  return v
}

/** Hex of bytes. */
export function hex(b: Uint8Array | null | undefined): string {
  return b ? Buffer.from(b).toString('hex') : 'null'
}

/** A seeded PRNG (mulberry32): the same seed gives the same cases. */
export function prng(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return { next, int: (n: number) => Math.floor(next() * n) }
}

/** `n` deterministic pseudo-random bytes (fast: an xorshift stream, seeded). */
export function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n)
  const view = new DataView(out.buffer)
  let x = (seed * 2654435761) >>> 0 || 1
  let i = 0
  for (; i + 4 <= n; i += 4) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    view.setUint32(i, x >>> 0, true)
  }
  for (; i < n; i++) out[i] = (x >>> (8 * (i & 3))) & 0xff
  return out
}

/** Whether two byte strings are equal (fast: vitest's deep equality walks every byte slowly). */
export function sameBytes(a: Uint8Array | null | undefined, b: Uint8Array | null | undefined): boolean {
  if (!a || !b) return a === b
  return (
    Buffer.compare(
      Buffer.from(a.buffer, a.byteOffset, a.byteLength),
      Buffer.from(b.buffer, b.byteOffset, b.byteLength)
    ) === 0
  )
}
