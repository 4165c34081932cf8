/**
 * Node test helpers: temp folders, the real localdrive 2.2.1 (loaded with `createRequire` from
 * hyperdrive's node_modules until this package's devDependencies are installed), and a recursive
 * walk that describes a folder exactly (types, executable bits, link targets, bytes).
 */
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs'
import { lstat, opendir } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

// biome-ignore lint/suspicious/noExplicitAny: the real packages are untyped
export type Real = any

/** `require` for the real Holepunch packages (installed under packages/hyperdrive for now). */
export const realRequire = createRequire(
  fileURLToPath(new URL('../../hyperdrive/package.json', import.meta.url))
)

/** The real localdrive 2.2.1. */
export const RealLocaldrive: Real = realRequire('localdrive')

/** unix-path-resolve, as localdrive uses it. */
export const unixPathResolve: (a: string, b?: string) => string = createRequire(
  realRequire.resolve('localdrive')
)('unix-path-resolve')

const made: string[] = []

/** A fresh temp folder, removed by {@link cleanupTmp}. */
export function tmp(prefix = 'orchard-localdrive-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  made.push(dir)
  return dir
}

/** Removes every temp folder made so far. */
export function cleanupTmp(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true })
}

/** One node of a described tree. */
export type TreeNode =
  | { type: 'file'; executable: boolean; bytes: string }
  | { type: 'symlink'; target: string }
  | { type: 'dir' }

/**
 * The tree under `root`, sorted by path: each folder, each link with its target, and each file with
 * its owner-executable bit and its bytes (base64). Empty folders are listed too.
 */
export async function walk(root: string): Promise<Record<string, TreeNode>> {
  const out: Record<string, TreeNode> = {}
  async function visit(dir: string, prefix: string): Promise<void> {
    for await (const d of await opendir(dir)) {
      const full = join(dir, d.name)
      const rel = `${prefix}/${d.name}`
      const st = await lstat(full)
      if (st.isSymbolicLink()) out[rel] = { type: 'symlink', target: readlinkSync(full) }
      else if (st.isDirectory()) {
        out[rel] = { type: 'dir' }
        await visit(full, rel)
      } else {
        out[rel] = {
          type: 'file',
          executable: !!(st.mode & 0o100),
          bytes: readFileSync(full).toString('base64')
        }
      }
    }
  }
  await visit(root, '')
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}
