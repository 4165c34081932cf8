/**
 * Keys as localdrive (and hyperdrive) normalise them, following `unix-path-resolve`: `/` and `\`
 * both separate names; empty names and `.` are dropped; `..` climbs one level; the result is
 * absolute (`/a/b`, root `/`). A first name ending in `:` marks an absolute address as that module
 * reads it: a Windows drive (`C:\x` → `/x`), `file:` (`file:/x` → `/x`), or a URL whose host is
 * skipped (`http://host/x` → `/x`).
 *
 * Two things localdrive would pass down to the file system are refused here with typed errors:
 * `..` above the root ({@link PathTraversalError}) and a NUL character ({@link InvalidPathError}).
 */
import { InvalidPathError, PathTraversalError } from './errors.ts'

interface Parsed {
  absolute: boolean
  names: string[]
}

function parse(address: string): Parsed {
  const names = address.split(/[/\\]/)
  const first = names[0]!
  if (names.length > 1 && first.endsWith(':')) {
    // a drive letter (`C:`) or `file:` drops only the scheme; any other scheme drops `//host` too
    const skip = first.length === 2 || first === 'file:' ? 1 : 3
    return { absolute: true, names: names.slice(skip) }
  }
  return { absolute: address.startsWith('/') || address.startsWith('\\'), names }
}

function append(path: string, names: string[], original: string): string {
  for (const name of names) {
    if (name === '' || name === '.') continue
    if (name === '..') {
      if (path.length === 1) throw new PathTraversalError(original)
      path = path.slice(0, path.lastIndexOf('/')) || '/'
      continue
    }
    path += path.length === 1 ? name : `/${name}`
  }
  return path
}

function check(value: unknown): string {
  if (typeof value !== 'string') throw new InvalidPathError(value, 'a key must be a string')
  if (value.includes('\0')) throw new InvalidPathError(value, 'a key cannot contain NUL')
  return value
}

/**
 * Resolves `path` against the absolute key `base`, as `unixPathResolve(base, path)` does: an
 * absolute `path` replaces `base`. Throws {@link PathTraversalError} for `..` above the root and
 * {@link InvalidPathError} for NUL or a non-string.
 */
export function resolveKey(base: string, path = ''): string {
  const b = parse(check(path))
  if (b.absolute) return append('/', b.names, path)
  const a = parse(check(base))
  if (!a.absolute) throw new InvalidPathError(base, 'one of the two paths must be absolute')
  return append(append('/', a.names, base), b.names, path)
}

/** The normal form of `key` (`resolveKey('/', key)`): `a\\b/../c` → `/a/c`, `''` → `/`. */
export function normalizeKey(key: string = ''): string {
  return resolveKey('/', key)
}

/** The parent of a normal key (`/a/b` → `/a`, `/a` → `/`). */
export function parentKey(key: string): string {
  return key.slice(0, key.lastIndexOf('/')) || '/'
}

/** The names of a normal key (`/a/b` → `['a', 'b']`, `/` → `[]`). */
export function keyNames(key: string): string[] {
  return key === '/' ? [] : key.slice(1).split('/')
}
