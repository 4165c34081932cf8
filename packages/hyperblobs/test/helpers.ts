/**
 * Test helpers: our store on a memory core, the real hyperblobs 2.9.0 on a real hypercore 11 in a
 * temp dir, replication links between any two of them, and small utilities.
 *
 * `@orchard/storage`, `@orchard/crypto` and `@orchard/wire` are not dependencies of this package
 * (its runtime needs none of them), so the tests import their sources by path.
 */
import { realpathSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { Hypercore } from '@orchard/hypercore'
import RealHyperblobs from 'hyperblobs'
import RealHypercore from 'hypercore'
import { lazyTempDir } from '../../../test/setup/temp-dir.ts'
import { openMemoryStorage } from '../../storage/src/index.ts'
import { memoryPair } from '../../wire/src/index.ts'
import { toStreamx } from '../../wire/test/helpers.ts'
import { Hyperblobs, type HyperblobsOptions } from '../src/index.ts'

export { ready } from '../../crypto/src/index.ts'

// biome-ignore lint/suspicious/noExplicitAny: the real packages are untyped
export type Real = any

const require = createRequire(import.meta.url)
const fromHypercore = createRequire(realpathSync(require.resolve('hypercore/package.json')))
const RealSecretStream = fromHypercore('@hyperswarm/secret-stream')

/** The temp dir of the real cores, made when the first one is (test files without any leave none). */
const temp = lazyTempDir('orchard-blobs-')
let n = 0

/** Removes the temp dir of the real cores. */
export function cleanup(): void {
  temp.remove()
}

/** A real hypercore in a fresh temp folder (a replica of `key` if given). */
export async function realCore(key?: Uint8Array | null): Promise<Real> {
  const core = new RealHypercore(join(temp.path(), `core-${++n}`), key ? Buffer.from(key) : undefined)
  await core.ready()
  return core
}

/** The real hyperblobs on a fresh real core. */
export async function realBlobs(opts: object = {}, key?: Uint8Array | null): Promise<Real> {
  const blobs = new RealHyperblobs(await realCore(key), opts)
  await blobs.ready()
  return blobs
}

/** A fresh memory core of ours (a replica of `key` if given). */
export async function oursCore(key?: Uint8Array | null): Promise<Hypercore> {
  const core = key ? new Hypercore(openMemoryStorage(), key) : new Hypercore(openMemoryStorage())
  await core.ready()
  return core
}

/** Our store on a fresh memory core. */
export async function oursBlobs(opts: HyperblobsOptions = {}, key?: Uint8Array | null): Promise<Hyperblobs> {
  const blobs = new Hyperblobs(await oursCore(key), opts)
  await blobs.ready()
  return blobs
}

/** Connects `a` (initiator) and `b`; either core may be ours or real. Returns a function that unlinks. */
export function link(a: Real, b: Real): () => void {
  const [x, y] = memoryPair()
  const streams: Array<{ destroy(): void }> = []
  for (const [core, raw, initiator] of [
    [a, x, true],
    [b, y, false]
  ] as const) {
    if (core instanceof Hypercore) streams.push(core.replicate(initiator, { stream: raw, keepAlive: 0 }))
    else {
      const noise = new RealSecretStream(initiator, toStreamx(raw))
      core.replicate(noise, { keepAlive: false })
      streams.push(noise)
    }
  }
  return () => {
    for (const s of streams) s.destroy()
  }
}

/** Waits until `cond()` holds, or throws after `ms`. */
export async function until(
  cond: () => boolean | Promise<boolean>,
  ms = 15_000,
  what = 'condition'
): Promise<void> {
  const end = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** Hex of bytes. */
export function hex(b: Uint8Array | null | undefined): string {
  return b ? Buffer.from(b).toString('hex') : 'null'
}

/** Plain bytes (a Buffer from the real packages becomes a Uint8Array), or null. */
export function bytes(b: Uint8Array | null | undefined): Uint8Array | null {
  return b ? new Uint8Array(b) : null
}

/** `n` pseudo-random bytes from `seed` (mulberry32), so the real and our stores get the same blob. */
export function randomBytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n)
  let a = seed >>> 0
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    out[i] = (t ^ (t >>> 14)) & 0xff
  }
  return out
}

/** Collects a stream of chunks (ours, or a real streamx readable) into one byte string. */
export async function collect(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const chunk of stream) parts.push(new Uint8Array(chunk))
  return new Uint8Array(Buffer.concat(parts))
}

/** Every block of a core (ours or real) as plain bytes. */
export async function blocksOf(core: Real): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  for (let i = 0; i < core.length; i++) out.push(new Uint8Array(await core.get(i)))
  return out
}

/**
 * Asserts `got` equals `want` byte for byte, naming the first difference. (vitest's deep equality
 * on multi-MiB typed arrays takes minutes, and its diff is unreadable.)
 */
export function sameBytes(got: Uint8Array | null | undefined, want: Uint8Array): void {
  if (got === null || got === undefined)
    throw new Error(`expected ${want.byteLength} bytes, got ${String(got)}`)
  const g = Buffer.from(got.buffer, got.byteOffset, got.byteLength)
  const w = Buffer.from(want.buffer, want.byteOffset, want.byteLength)
  if (g.equals(w)) return
  let i = 0
  while (i < Math.min(g.length, w.length) && g[i] === w[i]) i++
  throw new Error(`bytes differ: got ${g.length} bytes, want ${w.length}; first difference at ${i}`)
}
