/**
 * `@orchard/storage/named` in browsers and workers: a storage root by name is an IndexedDB
 * database (Node resolves this entry to `named-node.ts`, a folder of files).
 *
 * @module \@orchard/storage/named
 */
import { openIdbStorage } from './idb.ts'
import type { Storage } from './types.ts'

/** Opens (creating if needed) the storage root named `name`. */
export function openNamedStorage(name: string): Promise<Storage> {
  return openIdbStorage(name)
}
