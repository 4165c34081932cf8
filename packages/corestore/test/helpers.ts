/**
 * Test helpers: temporary folders, the real corestore 7 (oracle and peer), a seeded PRNG, and a
 * pipe joining one of our replication streams to a real one.
 */

import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Duplex } from '@orchard/wire'
import { toStreamx } from '../../wire/test/helpers.ts'

const require = createRequire(import.meta.url)
// biome-ignore lint/suspicious/noExplicitAny: the real packages are untyped
export type Any = any
/** The real corestore 7.12.5. */
export const RealCorestore: Any = require('corestore')
/** The real hypercore 11 (as the real corestore uses it). */
export const RealHypercore: Any = require('hypercore')
export const realCrypto: Any = require('hypercore-crypto')

const dirs: string[] = []
/** A fresh temporary folder, removed by {@link cleanup}. */
export function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'orchard-corestore-'))
  dirs.push(d)
  return d
}
export function cleanup(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
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
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    bytes: (n: number) => Uint8Array.from({ length: n }, () => Math.floor(next() * 256))
  }
}

export const hex = (b: Uint8Array | null | undefined) => (b ? Buffer.from(b).toString('hex') : '')

export async function toArray<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

/** Joins our raw replication stream (a byte duplex) to a real one (streamx). */
export function pipeToReal(ours: Duplex, real: Any): void {
  const sx = toStreamx(ours)
  // tearing the link down from either end is expected: no unhandled stream errors
  sx.on('error', () => {})
  real.on('error', () => {})
  sx.pipe(real).pipe(sx)
}

/** Waits until `cond()` holds (polling), or throws after `ms`. */
export async function until(cond: () => boolean | Promise<boolean>, ms = 15_000, what = 'condition') {
  const end = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** Block `i` of core `c`: distinct per core and index. */
export function block(c: number, i: number): Uint8Array {
  const b = new Uint8Array(8 + ((c * 7 + i * 13) % 64))
  b.fill((c * 31 + i) & 0xff)
  b[0] = c & 0xff
  b[1] = i & 0xff
  return b
}
