/**
 * Small pure helpers: keys normalised as `unix-path-resolve('/', key)` does (for `ignore`), and
 * the deep equality mirror-drive uses for metadata (`same-data`).
 */
import { MirrorDriveError } from './errors.ts'

/**
 * `key` as an absolute drive key: `/` and `\` separate names, `.` and empty names drop, `..`
 * climbs (above the root is an error), and a first name ending in `:` marks an absolute address
 * (`C:\x`, `file:/x`, `http://host/x` → `/x`).
 */
export function normalizeKey(key: string): string {
  if (typeof key !== 'string' || key.includes('\0')) {
    throw new MirrorDriveError('INVALID_PATH', `Invalid path: ${JSON.stringify(String(key))}`)
  }
  let names = key.split(/[/\\]/)
  const first = names[0]!
  if (names.length > 1 && first.endsWith(':')) {
    names = names.slice(first.length === 2 || first === 'file:' ? 1 : 3)
  }
  let path = '/'
  for (const name of names) {
    if (name === '' || name === '.') continue
    if (name === '..') {
      if (path.length === 1)
        throw new MirrorDriveError('INVALID_PATH', "Path cannot be resolved, too many '..'")
      path = path.slice(0, path.lastIndexOf('/')) || '/'
      continue
    }
    path += path.length === 1 ? name : `/${name}`
  }
  return path
}

function kind(x: unknown): string {
  if (x === null) return 'null'
  if (Array.isArray(x)) return 'array'
  if (ArrayBuffer.isView(x)) return 'typed'
  return typeof x
}

/**
 * Deep equality of JSON-like data: arrays element by element (typed arrays likewise, but never
 * equal to a plain array), objects by their own enumerable entries in any order, everything else
 * by identity.
 */
export function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true
  const ka = kind(a)
  if (ka !== kind(b)) return false
  if (ka === 'array' || ka === 'typed') {
    const x = a as ArrayLike<unknown>
    const y = b as ArrayLike<unknown>
    if (x.length !== y.length) return false
    for (let i = 0; i < x.length; i++) if (!sameData(x[i], y[i])) return false
    return true
  }
  if (ka !== 'object') return false
  const ea = Object.entries(a as object)
  const eb = Object.entries(b as object)
  if (ea.length !== eb.length) return false
  const cmp = (p: [string, unknown], q: [string, unknown]) => (p[0] === q[0] ? 0 : p[0] < q[0] ? -1 : 1)
  ea.sort(cmp)
  eb.sort(cmp)
  for (let i = 0; i < ea.length; i++) {
    if (ea[i]![0] !== eb[i]![0] || !sameData(ea[i]![1], eb[i]![1])) return false
  }
  return true
}
