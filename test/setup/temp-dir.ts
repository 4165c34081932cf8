/**
 * A temp dir made on first use, so a test file that never needs it leaves nothing in the system's
 * temp dir; `remove()` deletes it (and a later `path()` makes a fresh one).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface LazyTempDir {
  /** The dir, made now if it is not there yet. */
  path(): string
  /** Deletes the dir with everything in it, if it was made. */
  remove(): void
}

export function lazyTempDir(prefix: string): LazyTempDir {
  let dir: string | null = null
  return {
    path: () => {
      dir ??= mkdtempSync(join(tmpdir(), prefix))
      return dir
    },
    remove: () => {
      if (dir !== null) rmSync(dir, { recursive: true, force: true })
      dir = null
    }
  }
}
