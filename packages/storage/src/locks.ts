/**
 * Exclusive-writer locks that work without Node: Web Locks (`navigator.locks`) across tabs and
 * workers of an origin, and a process-local lock table for in-memory roots. A lock is held until
 * released or, for Web Locks, until the holding context dies — a killed tab never leaves a stale
 * lock. (The file lock for Node lives in `./fs.ts`.)
 */
import { StorageError } from './errors.ts'

/** A held lock. `release` is idempotent. */
export interface LockHandle {
  /** The name the lock was taken under. */
  readonly name: string
  /** Lets the lock go; later calls do nothing. */
  release(): Promise<void>
}

/** Options of {@link acquireWebLock}. */
export interface WebLockOptions {
  /** Wait for the lock instead of returning null when it is held elsewhere. Default false. */
  wait?: boolean
  /** Gives up waiting (the promise rejects with the signal's reason). */
  signal?: AbortSignal
}

/** True where Web Locks exist (browsers, workers, Deno; not Node 20). */
export function hasWebLocks(): boolean {
  return typeof navigator !== 'undefined' && typeof navigator.locks?.request === 'function'
}

/**
 * Takes the exclusive Web Lock `name`. Resolves to a handle, or to null if the lock is held
 * elsewhere and `wait` is false.
 */
export function acquireWebLock(name: string, opts: WebLockOptions = {}): Promise<LockHandle | null> {
  if (!hasWebLocks()) {
    return Promise.reject(
      new StorageError('Web Locks (navigator.locks) are not available here', 'STORAGE_NO_LOCKS')
    )
  }
  return new Promise((resolve, reject) => {
    let unhold!: () => void
    const held = new Promise<void>((r) => {
      unhold = r
    })
    const options: LockOptions = { mode: 'exclusive' }
    if (opts.wait) {
      if (opts.signal) options.signal = opts.signal
    } else {
      options.ifAvailable = true
    }
    const request = navigator.locks.request(name, options, async (lock) => {
      if (lock === null) {
        resolve(null)
        return
      }
      let released: Promise<void> | null = null
      resolve({
        name,
        release() {
          if (released === null) {
            unhold()
            // The lock is free once the request settles (the callback's promise resolved).
            released = request.then(
              () => undefined,
              () => undefined
            )
          }
          return released
        }
      })
      await held
    })
    request.catch(reject)
  })
}

const processLocks = new Set<string>()

/**
 * Takes the process-local lock `name` (used by in-memory roots), or returns null if this process
 * already holds it.
 */
export function acquireProcessLock(name: string): LockHandle | null {
  if (processLocks.has(name)) return null
  processLocks.add(name)
  let released = false
  return {
    name,
    release() {
      if (!released) {
        released = true
        processLocks.delete(name)
      }
      return Promise.resolve()
    }
  }
}
