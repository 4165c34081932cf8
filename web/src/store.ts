/**
 * The app's one storage root: an IndexedDB database holding one Corestore, every notebook in it
 * (a notebook this browser writes is a namespace of the store; one it reads is opened by key).
 *
 * An IndexedDB root has one writer at a time (a Web Lock): a second tab of the app on the same
 * origin cannot open it and gets {@link StoreLockedError}; the UI shows that state and retries.
 * Everything that opens storage lives here, so multi-tab sharing (one tab writes, the others follow)
 * can replace this module alone later.
 */
import { Corestore } from '@orchard/corestore'
import { ready } from '@orchard/crypto'
import { openIdbStorage, StorageLockedError } from '@orchard/storage'

/** The IndexedDB root's name (the database is named after it by `@orchard/storage`). */
export const ROOT_NAME = 'orchard-notebook'

/** The store is open in another tab of this browser (it holds the root's Web Lock). */
export class StoreLockedError extends Error {
  override name = 'StoreLockedError'
}

/** Opens the app's Corestore on IndexedDB; rejects with {@link StoreLockedError} when another tab has it. */
export async function openAppStore(): Promise<Corestore> {
  await ready()
  let storage: Awaited<ReturnType<typeof openIdbStorage>>
  try {
    storage = await openIdbStorage(ROOT_NAME)
  } catch (err) {
    if (err instanceof StorageLockedError)
      throw new StoreLockedError('the notebook store is open in another tab')
    throw err
  }
  const store = new Corestore(storage)
  await store.ready()
  return store
}
