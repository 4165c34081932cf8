/**
 * Node test helpers: the real mirror-drive 1.14.2, localdrive 2.2.1, hyperdrive 13.3.4 and
 * corestore 7.12.5 (loaded with `createRequire` from packages/hyperdrive's node_modules until this
 * package's devDependencies are installed), our hyperdrive on a memory corestore (by relative path
 * until the workspace links exist), temp folders, and ways to describe a drive's state.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Corestore as OursCorestore } from '../../corestore/src/index.ts'
import { ready } from '../../crypto/src/index.ts'
import { Hyperdrive } from '../../hyperdrive/src/index.ts'
import { openMemoryStorage } from '../../storage/src/index.ts'
import type { DriveEntry, MirrorDiff } from '../src/index.ts'

// biome-ignore lint/suspicious/noExplicitAny: the real packages are untyped
export type Real = any

const realRequire = createRequire(fileURLToPath(new URL('../../hyperdrive/package.json', import.meta.url)))

export const RealMirrorDrive: Real = realRequire('mirror-drive')
export const RealLocaldrive: Real = realRequire('localdrive')
export const RealHyperdrive: Real = realRequire('hyperdrive')
export const Corestore: Real = realRequire('corestore')

const made: string[] = []
const closers: Array<() => Promise<unknown>> = []

/** A fresh temp folder, removed by {@link cleanup}. */
export function tmp(prefix = 'orchard-mirror-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  made.push(dir)
  return dir
}

/** A writable real hyperdrive on a fresh corestore (or a read-only one for `key`). */
export async function realHyperdrive(key?: Uint8Array): Promise<Real> {
  const store = new Corestore(tmp('orchard-store-'))
  const drive = key ? new RealHyperdrive(store, Buffer.from(key)) : new RealHyperdrive(store)
  await drive.ready()
  closers.push(() => drive.close())
  return drive
}

/** Our hyperdrive (`@orchard/hyperdrive`) on a memory corestore (a reader for `key`). */
export async function oursHyperdrive(key?: Uint8Array): Promise<Hyperdrive> {
  await ready()
  const drive = new Hyperdrive(new OursCorestore(openMemoryStorage()), key ?? null)
  await drive.ready()
  closers.push(() => drive.close())
  return drive
}

/** Closes the drives and removes the folders made so far. */
export async function cleanup(): Promise<void> {
  for (const close of closers.splice(0)) await close().catch(() => undefined)
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true })
}

/** Everything an async iterable yields. */
export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

/** A mirror's diffs as plain objects (the real one adds nothing, but be explicit). */
export const plainDiffs = (diffs: MirrorDiff[]) =>
  diffs.map(({ op, key, bytesRemoved, bytesAdded }) => ({ op, key, bytesRemoved, bytesAdded }))

/** Diffs as sorted JSON strings (mirror-drive's own tests compare them so). */
export const sortDiffs = (diffs: MirrorDiff[]) =>
  plainDiffs(diffs)
    .map((d) => JSON.stringify(d))
    .sort()

/**
 * A drive's files as `key → { executable, linkname, metadata, bytes }` (bytes base64), sorted:
 * what a mirror must make equal, without seq/mtime/blob offsets.
 */
export async function describeDrive(drive: {
  list(prefix: string, opts?: object): AsyncIterable<DriveEntry>
  get(key: string): Promise<Uint8Array | null>
}): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {}
  for await (const e of drive.list('/', {})) {
    const bytes = e.value.linkname ? null : await drive.get(e.key)
    out[e.key] = {
      executable: e.value.executable,
      linkname: e.value.linkname,
      metadata: e.value.metadata ?? null,
      bytes: bytes === null ? null : Buffer.from(bytes).toString('base64')
    }
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)))
}
