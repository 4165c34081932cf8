/**
 * The notebooks this browser knows: the ones it created (it holds their writer keys, as a
 * namespace of the store) and the ones it opened from a link (read-only). Kept in localStorage:
 * a short list the home screen reads synchronously.
 */

/** A notebook as the home screen lists it. */
export interface LibraryEntry {
  /** The notebook's key (hex): its notes bee's core key. */
  key: string
  /** Its title, as last seen. */
  title: string
  /** The store namespace it was created in, when this browser is its writer; else null. */
  namespace: string | null
  /** When it was last opened here (ms since the epoch). */
  opened: number
}

const KEY = 'orchard-notebook:library'

/** Every known notebook, most recently opened first. */
export function listLibrary(): LibraryEntry[] {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(KEY) ?? '[]')
    if (!Array.isArray(parsed)) return []
    return (parsed as LibraryEntry[])
      .filter((e) => typeof e?.key === 'string' && typeof e.title === 'string')
      .sort((a, b) => b.opened - a.opened)
  } catch {
    return []
  }
}

/** The entry of notebook `key` (hex), or null. */
export function findInLibrary(key: string): LibraryEntry | null {
  return listLibrary().find((e) => e.key === key) ?? null
}

/** Adds or updates the entry of `entry.key` (a known writer namespace is never forgotten). */
export function saveToLibrary(entry: LibraryEntry): void {
  const all = listLibrary()
  const old = all.find((e) => e.key === entry.key)
  const next = { ...entry, namespace: entry.namespace ?? old?.namespace ?? null }
  localStorage.setItem(KEY, JSON.stringify([next, ...all.filter((e) => e.key !== entry.key)]))
}

/** Forgets a notebook opened from a link (its blocks stay in the store). */
export function removeFromLibrary(key: string): void {
  localStorage.setItem(KEY, JSON.stringify(listLibrary().filter((e) => e.key !== key)))
}
