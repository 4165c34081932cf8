/**
 * `@orchard/storage/named` in Node: a storage root by name is a folder of files (as hypercore's
 * `new Hypercore('./my-log')` is).
 */

import { openFileStorage } from './node/file-storage.ts'
import type { Storage } from './types.ts'

/** Opens (creating if needed) the storage root in folder `name`. */
export function openNamedStorage(name: string): Promise<Storage> {
  return openFileStorage(name)
}
