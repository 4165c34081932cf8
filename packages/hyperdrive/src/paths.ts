/**
 * Paths as hyperdrive 13 normalises them (it runs every name through `unix-path-resolve` against
 * `/`), plus the limits we add. The rules, which decide the bee key a name is stored under:
 *
 * - `/` and `\` both separate names; empty names and `.` are dropped; `..` drops the name before it
 *   and is refused when there is none (`/a/../../b` throws — nothing resolves above the root);
 * - a first name ending in `:` marks an absolute address: `c:` (two characters) and `file:` are
 *   dropped, any other scheme drops three names (`http://host/a` is `/a`);
 * - the result starts with `/` and has no trailing `/`; the root itself is not a file name.
 *
 * hyperdrive accepts NUL bytes and paths of any length; we refuse them ({@link InvalidPathError}) on
 * the way in, and refuse entries with such keys on the way out (a mirror to a real file system must
 * never see them).
 */
import { InvalidPathError } from './errors.ts'

/** The longest path accepted, in UTF-8 bytes (Linux's `PATH_MAX`). */
export const MAX_PATH_BYTES = 4096
/** The longest single name (between two `/`) accepted, in UTF-8 bytes (`NAME_MAX`). */
export const MAX_NAME_BYTES = 255

interface Parsed {
  absolute: boolean
  names: string[]
}

function parse(addr: string): Parsed {
  const names = addr.split(/[/\\]/)
  if (names.length > 1 && names[0]!.endsWith(':')) {
    // windows drive letters and file: URLs keep their path; other schemes also drop the host
    const drop = names[0]!.length === 2 || names[0] === 'file:' ? 1 : 3
    return { absolute: true, names: names.slice(drop) }
  }
  return { absolute: addr.startsWith('/') || addr.startsWith('\\'), names }
}

function append(p: string, names: string[], original: unknown): string {
  for (const name of names) {
    if (name === '' || name === '.') continue
    if (name === '..') {
      if (p.length === 1) throw new InvalidPathError("Path cannot be resolved, too many '..'", original)
      p = p.slice(0, p.lastIndexOf('/')) || '/'
      continue
    }
    p += p.length === 1 ? name : `/${name}`
  }
  return p
}

/**
 * Resolves `path` against `base` as `unix-path-resolve` does: an absolute `path` stands alone, a
 * relative one continues `base` (which must then be absolute). Hyperdrive follows a symlink with
 * `resolvePath(entry.key, linkname)`, so a relative link target continues the link's own path.
 */
export function resolvePath(base: string, path: string): string {
  if (typeof base !== 'string' || typeof path !== 'string')
    throw new InvalidPathError('a path must be a string', typeof path === 'string' ? base : path)
  const b = parse(path)
  if (b.absolute) return append('/', b.names, path)
  const a = parse(base)
  if (!a.absolute) throw new InvalidPathError('One of the two paths must be absolute', base)
  return append(append('/', a.names, base), b.names, path)
}

const encoder = new TextEncoder()

function byteLength(s: string): number {
  // a UTF-16 unit is at most 3 UTF-8 bytes: most paths are measured without encoding them
  return s.length * 3 <= MAX_NAME_BYTES ? s.length : encoder.encode(s).byteLength
}

/** Throws {@link InvalidPathError} for a NUL byte or an over-long path or name. */
export function checkLimits(path: string, original: unknown = path): void {
  if (path.includes('\0')) throw new InvalidPathError('a path must not contain NUL bytes', original)
  if (path.length * 3 <= MAX_NAME_BYTES) return
  if (byteLength(path) > MAX_PATH_BYTES)
    throw new InvalidPathError(`a path must be at most ${MAX_PATH_BYTES} bytes`, original)
  let start = 1
  while (start < path.length) {
    let end = path.indexOf('/', start)
    if (end === -1) end = path.length
    if (end - start > MAX_NAME_BYTES / 3 && byteLength(path.slice(start, end)) > MAX_NAME_BYTES)
      throw new InvalidPathError(`a name in a path must be at most ${MAX_NAME_BYTES} bytes`, original)
    start = end + 1
  }
}

/**
 * The key a file is stored under: `name` resolved against `/` (hyperdrive's `normalizePath`).
 * Throws {@link InvalidPathError} for the root, for `..` above the root, for NUL bytes and for
 * over-long paths.
 */
export function normalizePath(name: string): string {
  if (typeof name !== 'string') throw new InvalidPathError('a path must be a string', name)
  const path = resolvePath('/', name)
  if (path === '/') throw new InvalidPathError(`Invalid filename: ${path}`, name)
  checkLimits(path, name)
  return path
}

/**
 * A folder as range reads use it: resolved against `/`, without trailing slash, the root as `''`
 * (so `folder + '/'` starts every key inside it). Absent means the root.
 */
export function normalizeFolder(folder?: string | null): string {
  if (folder === undefined || folder === null || folder === '') return ''
  if (typeof folder !== 'string') throw new InvalidPathError('a folder must be a string', folder)
  const path = resolvePath('/', folder)
  if (path === '/') return ''
  checkLimits(path, folder)
  return path
}

/** Throws {@link InvalidPathError} unless `target` is a string without NUL bytes, within the limits. */
export function checkLinkTarget(target: unknown): void {
  if (typeof target !== 'string') throw new InvalidPathError('a symlink target must be a string', target)
  checkLimits(target)
}

/** Whether `key` is a path in the form {@link normalizePath} gives (and within the limits). */
export function isNormalPath(key: string): boolean {
  if (key.length < 2 || key.charCodeAt(0) !== 47 /* / */) return false
  if (key.includes('\\') || key.includes('\0') || key.endsWith('/')) return false
  let start = 1
  while (start <= key.length) {
    let end = key.indexOf('/', start)
    if (end === -1) end = key.length
    const name = key.slice(start, end)
    if (name === '' || name === '.' || name === '..') return false
    start = end + 1
  }
  try {
    checkLimits(key)
  } catch {
    return false
  }
  return true
}

/** A key range: the keys inside `folder` (from `folder + prev`, exclusive); `'0'` is `'/'` + 1. */
export function prefixRange(
  folder: string,
  prev = '/'
): {
  /** Lower bound, exclusive. */
  gt: string
  /** Upper bound, exclusive. */
  lt: string
} {
  return { gt: folder + prev, lt: `${folder}0` }
}

/** What `list(folder, { ignore })` takes: paths (with everything under them), or a predicate. */
export type Ignore = string | string[] | ((key: string) => boolean)

/** The predicate of an `ignore` option: a key is ignored if it is, or is inside, an ignored path. */
export function toIgnoreFunction(ignore: Ignore): (key: string) => boolean {
  if (typeof ignore === 'function') return ignore
  const all = (Array.isArray(ignore) ? ignore : [ignore]).map((e) => resolvePath('/', e))
  return (key) => all.some((path) => path === key || key.startsWith(`${path}/`))
}
