/**
 * A lock file for one exclusive writer per directory, across processes.
 *
 * The file is created with O_EXCL and holds its owner's pid, the process start time (Linux) and
 * host. A lock whose owner is gone — killed with SIGKILL, crashed — is stale and taken over: the
 * owner is checked with `kill(pid, 0)`, and the start time guards against the pid having been
 * reused by another process since. Locks held by this process are also tracked in memory, so a
 * second opener in the same process is refused too.
 */
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs'
import { hostname } from 'node:os'
import { resolve } from 'node:path'
import type { LockHandle } from '../locks.ts'

/** A held lock file. */
export interface FileLockHandle extends LockHandle {
  /** The lock file's path. */
  readonly path: string
}

interface Owner {
  pid: number
  start: string | null
  host: string
}

/** A lock file without an owner record is only trusted this long (its writer may be mid-write). */
const UNREADABLE_GRACE_MS = 10_000

const held = new Set<string>()

/** When process `pid` started (clock ticks since boot), where `/proc` tells. */
function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null
  } catch {
    return null
  }
}

const self: Owner = { pid: process.pid, start: processStart(process.pid), host: hostname() }

function parseOwner(text: string): Owner | null {
  try {
    const o = JSON.parse(text) as Partial<Owner>
    if (typeof o.pid !== 'number' || typeof o.host !== 'string') return null
    return { pid: o.pid, start: typeof o.start === 'string' ? o.start : null, host: o.host }
  } catch {
    return null
  }
}

/** True if the lock's owner may still be running. */
function ownerAlive(owner: Owner): boolean {
  if (owner.host !== self.host) return true // cannot check another machine: assume it lives
  // Our pid: this very process (another module copy or worker thread) if the start matches,
  // else an earlier process that had the same pid. Without start times, assume it is us.
  if (owner.pid === self.pid) return owner.start === self.start
  try {
    process.kill(owner.pid, 0)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false
    // EPERM: the process exists (another user's).
  }
  if (owner.start !== null) {
    const start = processStart(owner.pid)
    if (start !== null && start !== owner.start) return false // the pid was reused
  }
  return true
}

function readIfExists(path: string): string | null {
  try {
    return readFileSync(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
}

/**
 * Takes the lock file at `path`, taking over a stale one. Returns null if a live owner (another
 * process, or another opener in this process) holds it.
 */
export function acquireFileLock(path: string): FileLockHandle | null {
  const abs = resolve(path)
  if (held.has(abs)) return null
  const token = JSON.stringify(self)
  for (let attempt = 0; attempt < 5; attempt++) {
    let fd: number
    try {
      fd = openSync(abs, 'wx')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const text = readIfExists(abs)
      if (text === null) continue // released meanwhile: try again
      const owner = parseOwner(text)
      if (owner === null) {
        // Created but not yet written, or written by a process killed in between.
        let age = 0
        try {
          age = Date.now() - statSync(abs).mtimeMs
        } catch {
          continue
        }
        if (age < UNREADABLE_GRACE_MS) return null
      } else if (ownerAlive(owner)) {
        return null
      }
      // Stale: remove it, unless someone replaced it since we read it.
      if (readIfExists(abs) === text) {
        try {
          unlinkSync(abs)
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
        }
      }
      continue
    }
    try {
      writeSync(fd, token)
    } finally {
      closeSync(fd)
    }
    held.add(abs)
    let released = false
    return {
      name: abs,
      path: abs,
      release() {
        if (!released) {
          released = true
          held.delete(abs)
          if (readIfExists(abs) === token) {
            try {
              unlinkSync(abs)
            } catch {
              // Already gone: nothing to release.
            }
          }
        }
        return Promise.resolve()
      }
    }
  }
  return null
}
