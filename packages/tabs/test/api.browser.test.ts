/**
 * The same API tests, in Chromium, against every way of holding a store: plain in-process
 * Corestore + Hyperbee (the reference), a store held in the page, one held by a dedicated worker
 * (on IndexedDB, and on OPFS), one held by a SharedWorker, and a client tab's store held by
 * another (here: two shared stores of one name in one page, one of which wins the Web Lock and
 * serves the other over the BroadcastChannel).
 */
import { Corestore } from '@orchard/corestore'
import { BeeClosedError, Hyperbee, ReadOnlyError } from '@orchard/hyperbee'
import { InvalidOperationError, SessionClosedError, SessionNotWritableError } from '@orchard/hypercore'
import { openIdbStorage } from '@orchard/storage'
import { describe, expect, it } from 'vitest'
import {
  connectStore,
  NotSupportedError,
  openSharedStore,
  openStore,
  SharedBee,
  type SharedStore
} from '../src/index.ts'
import { defineApiSuite, type TestStore } from './api-suite.ts'

const errors = {
  SessionNotWritableError,
  ReadOnlyError,
  BeeClosedError,
  SessionClosedError,
  InvalidOperationError
}
const unique = (what: string) => `${what}-${crypto.randomUUID()}`

function shared(store: SharedStore, close: () => Promise<void> = () => store.close()): TestStore {
  return {
    get: (opts) => store.get(opts) as never,
    namespace: (name) => ({ get: (opts) => store.namespace(name).get(opts) as never }),
    bee: (core, opts) => new SharedBee(core as never, opts),
    close
  }
}

describe('in-process Corestore + Hyperbee (the reference)', () => {
  defineApiSuite(async () => {
    const store = new Corestore(openIdbStorage(unique('reference')))
    await store.ready()
    return {
      get: (opts) => store.get(opts) as never,
      namespace: (name) => ({ get: (opts) => store.namespace(name).get(opts) as never }),
      bee: (core, opts) => new Hyperbee(core as never, opts),
      close: () => store.close()
    }
  }, errors)
})

describe('a store held in the page (openStore)', () => {
  defineApiSuite(async () => {
    const store = openStore(openIdbStorage(unique('in-page')))
    await store.ready()
    expect(store.isOwner).toBe(true)
    return shared(store)
  }, errors)
})

/** The store a dedicated worker holds (closing it terminates the worker). */
async function heldBy(worker: Worker): Promise<TestStore> {
  const store = connectStore(worker)
  await store.ready()
  return shared(store, async () => {
    await store.close()
    worker.terminate()
  })
}

describe('a store held by a dedicated worker (connectStore)', () => {
  defineApiSuite(
    () =>
      heldBy(
        new Worker(new URL('./fixtures/worker.ts', import.meta.url), {
          type: 'module',
          name: unique('worker')
        })
      ),
    errors
  )
})

describe('a store held by a dedicated worker on OPFS (connectStore)', () => {
  defineApiSuite(
    () =>
      heldBy(
        new Worker(new URL('./fixtures/opfs-worker.ts', import.meta.url), {
          type: 'module',
          name: unique('opfs-worker')
        })
      ),
    errors
  )
})

describe('a store held by a SharedWorker (connectStore on its port)', () => {
  defineApiSuite(async () => {
    const worker = new SharedWorker(new URL('./fixtures/worker.ts', import.meta.url), {
      type: 'module',
      name: unique('shared-worker')
    })
    const store = connectStore(worker.port)
    await store.ready()
    return shared(store, async () => {
      await store.close()
      worker.port.close()
    })
  }, errors)
})

describe('a client tab of a store another tab holds (openSharedStore)', () => {
  defineApiSuite(async () => {
    const name = unique('tabs')
    const owner = openSharedStore(name)
    await owner.ready()
    const client = openSharedStore(name)
    await client.ready()
    expect(owner.isOwner).toBe(true)
    expect(client.isOwner).toBe(false)
    return shared(client, async () => {
      await client.close()
      await owner.close()
    })
  }, errors)
})

describe('a live history stream on a shared bee', () => {
  it('a read waiting for the next block rejects with BeeClosedError when the bee closes', async () => {
    const store = openStore(openIdbStorage(unique('live-close')))
    try {
      const bee = new SharedBee(store.get({ name: 'live' }), { keyEncoding: 'utf-8', valueEncoding: 'utf-8' })
      await bee.put('a', '1')
      const live = bee.createHistoryStream({ live: true })
      expect((await live.next()).value).toMatchObject({ seq: 1, key: 'a' })
      const waiting = live.next().then(
        () => null,
        (err: unknown) => err
      )
      await bee.close()
      expect(await waiting).toBeInstanceOf(BeeClosedError)
    } finally {
      await store.close()
    }
  })
})

describe('cas in a shared batch', () => {
  it('is refused with NotSupportedError, and the batch stays usable', async () => {
    const store = openStore(openIdbStorage(unique('batch-cas')))
    try {
      const bee = new SharedBee(store.get({ name: 'b' }), { keyEncoding: 'utf-8', valueEncoding: 'utf-8' })
      const batch = bee.batch()
      await expect(batch.put('a', '1', { cas: () => true })).rejects.toBeInstanceOf(NotSupportedError)
      await expect(batch.del('a', { cas: () => true })).rejects.toMatchObject({ code: 'NOT_SUPPORTED' })
      await batch.put('a', '2')
      await batch.flush()
      expect(await bee.get('a')).toMatchObject({ seq: 1, value: '2' })
    } finally {
      await store.close()
    }
  })
})
