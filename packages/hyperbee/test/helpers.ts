/**
 * Test helpers: our bee on a memory core, the real hyperbee 2.27.3 on a real hypercore 11 in a
 * temp dir, and ways to compare them.
 */
import { join } from 'node:path'
import { Hypercore } from '@orchard/hypercore'
import { openMemoryStorage } from '@orchard/storage'
import RealHyperbee from 'hyperbee'
import RealHypercore from 'hypercore'
import { lazyTempDir } from '../../../test/setup/temp-dir.ts'
import { Hyperbee, type HyperbeeOptions } from '../src/index.ts'

// biome-ignore lint/suspicious/noExplicitAny: the real packages are untyped
export type Real = any

/** The temp dir of the real cores, made when the first one is (test files without any leave none). */
const temp = lazyTempDir('orchard-bee-')
let n = 0

/** Removes the temp dir of the real cores. */
export function cleanup(): void {
  temp.remove()
}

/** A real hypercore in a fresh temp folder. */
export async function realCore(key?: Uint8Array | null): Promise<Real> {
  const core = new RealHypercore(join(temp.path(), `core-${++n}`), key ? Buffer.from(key) : undefined)
  await core.ready()
  return core
}

/** A real hyperbee on a fresh real core. */
export async function realBee(opts: object = {}, key?: Uint8Array | null): Promise<Real> {
  const core = await realCore(key)
  const bee = new RealHyperbee(core, { extension: false, ...opts })
  await bee.ready()
  return bee
}

/** Our bee on a fresh memory core. */
export async function oursBee(
  opts: HyperbeeOptions = {},
  key?: Uint8Array | null
): Promise<Hyperbee<Real, Real>> {
  const storage = openMemoryStorage()
  const core = key ? new Hypercore(storage, key) : new Hypercore(storage)
  const bee = new Hyperbee<Real, Real>(core, opts)
  await bee.ready()
  return bee
}

/** Every block of a core (ours or real), as plain Uint8Arrays. */
export async function blocksOf(core: {
  length: number
  get(i: number, o?: object): Promise<unknown>
}): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  for (let i = 0; i < core.length; i++) {
    out.push(new Uint8Array((await core.get(i, { valueEncoding: 'binary' })) as Uint8Array))
  }
  return out
}

/** Hex of bytes. */
export function hex(b: Uint8Array | null | undefined): string {
  return b ? Buffer.from(b).toString('hex') : 'null'
}

/** Makes Buffers and Uint8Arrays compare equal (deeply), for outputs of the two packages. */
export function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return { bytes: hex(v) }
  if (Array.isArray(v)) return v.map(plain)
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) out[k] = plain(x)
    return out
  }
  return v
}

/** Collects an async iterable (ours) or a streamx readable (real). */
export async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of stream) out.push(x)
  return out
}

/** A seeded PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
