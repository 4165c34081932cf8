/**
 * The API every store passes, whoever holds it: the plain in-process Corestore + Hyperbee (the
 * reference the others must match), a store held in the page, one held by a worker, and a client
 * tab's store held by another tab. A factory gives the suite a fresh store; the suite only uses
 * what a Corestore / Hypercore / Hyperbee user would.
 */
import { expect, it } from 'vitest'
import { defineCoreTests } from './api-suite-core.ts'
import { type Any, collect, enc, pad, rejection, type SuiteErrors, type TestStore } from './suite-kit.ts'

export type { CoreLike, TestStore } from './suite-kit.ts'

/**
 * Defines the suite's tests in the current `describe`: the core part (`api-suite-core.ts`), then
 * the bee part here. `open` makes a fresh store; `errors` gives the error classes the suite
 * expects (from the packages the test imports).
 */
export function defineApiSuite(open: () => Promise<TestStore>, errors: SuiteErrors): void {
  const withStore = (fn: (store: TestStore) => Promise<void>) => async () => {
    const store = await open()
    try {
      await fn(store)
    } finally {
      await store.close()
    }
  }

  defineCoreTests(withStore, errors)

  it(
    'puts, gets and deletes on a bee; the version counts blocks',
    withStore(async (store) => {
      const bee = store.bee(store.get({ name: 'db' }), { keyEncoding: 'utf-8', valueEncoding: 'json' })
      await bee.ready()
      expect(bee.version).toBe(1)
      expect(await bee.get('missing')).toBe(null)
      await bee.put('a', { x: 1 })
      expect(bee.version).toBe(2) // the header and one block
      await bee.put('b', [1, 2])
      expect(await bee.get('a')).toEqual({ seq: 1, key: 'a', value: { x: 1 } })
      expect((await bee.get('b')).value).toEqual([1, 2])
      await bee.del('a')
      expect(await bee.get('a')).toBe(null)
      expect(bee.version).toBe(4)
      await bee.del('never') // nothing is written
      expect(bee.version).toBe(4)
      expect(bee.key).toBeInstanceOf(Uint8Array)
      expect(bee.writable).toBe(true)
      await bee.close()
    })
  )

  it(
    'applies a batch atomically and in order',
    withStore(async (store) => {
      const bee = store.bee(store.get({ name: 'batch' }), { keyEncoding: 'utf-8', valueEncoding: 'utf-8' })
      await bee.put('before', '0')
      const batch = bee.batch()
      for (let i = 0; i < 20; i++) await batch.put(`k${pad(i)}`, `v${i}`)
      await batch.del('before')
      await batch.put('k0003', 'again')
      expect(bee.version).toBe(2)
      await batch.flush()
      expect(bee.version).toBe(2 + 22)
      expect(await bee.get('before')).toBe(null)
      expect((await bee.get('k0003')).value).toBe('again')
      const keys = (await collect(bee.createReadStream())).map((n: Any) => n.key)
      expect(keys).toEqual(Array.from({ length: 20 }, (_, i) => `k${pad(i)}`))
      await bee.close()
    })
  )

  it(
    'streams ranges across pages, in both directions, with limits; peeks',
    withStore(async (store) => {
      const bee = store.bee(store.get({ name: 'range' }), { keyEncoding: 'utf-8', valueEncoding: 'utf-8' })
      const N = 700
      const batch = bee.batch()
      for (let i = 0; i < N; i++) await batch.put(`k${pad(i)}`, `v${i}`)
      await batch.flush()
      const all = (await collect(bee.createReadStream())).map((n: Any) => n.key)
      expect(all).toHaveLength(N)
      expect(all[0]).toBe('k0000')
      expect(all[N - 1]).toBe(`k${pad(N - 1)}`)
      const want = (from: number, to: number) =>
        Array.from({ length: to - from }, (_, i) => `k${pad(from + i)}`)
      expect(
        (await collect(bee.createReadStream({ gte: 'k0100', lt: 'k0600' }))).map((n: Any) => n.key)
      ).toEqual(want(100, 600))
      expect(
        (await collect(bee.createReadStream({ gt: 'k0100', lte: 'k0650', reverse: true }))).map(
          (n: Any) => n.key
        )
      ).toEqual(want(101, 651).reverse())
      expect(
        (await collect(bee.createReadStream({ gte: 'k0010', limit: 300 }))).map((n: Any) => n.key)
      ).toEqual(want(10, 310))
      expect(
        (await collect(bee.createReadStream({ reverse: true, limit: 3 }))).map((n: Any) => n.value)
      ).toEqual(['v699', 'v698', 'v697'])
      expect((await bee.peek({ gt: 'k0500' })).key).toBe('k0501')
      expect((await bee.peek({ reverse: true })).key).toBe('k0699')
      expect(await bee.peek({ gt: 'z' })).toBe(null)
      await bee.close()
    })
  )

  it(
    'reads history, checkouts and diffs',
    withStore(async (store) => {
      const bee = store.bee(store.get({ name: 'history' }), { keyEncoding: 'utf-8', valueEncoding: 'utf-8' })
      await bee.put('a', '1')
      await bee.put('b', '2')
      const v = bee.version
      await bee.put('a', '3')
      await bee.del('b')
      const history = (await collect(bee.createHistoryStream())).map((e: Any) => [
        e.type,
        e.seq,
        e.key,
        e.value
      ])
      expect(history).toEqual([
        ['put', 1, 'a', '1'],
        ['put', 2, 'b', '2'],
        ['put', 3, 'a', '3'],
        ['del', 4, 'b', null]
      ])
      const reversed = (await collect(bee.createHistoryStream({ reverse: true, limit: 2 }))).map(
        (e: Any) => e.seq
      )
      expect(reversed).toEqual([4, 3])
      expect((await collect(bee.createHistoryStream({ gte: -2 }))).map((e: Any) => e.seq)).toEqual([3, 4])
      const old = bee.checkout(v)
      expect(old.version).toBe(v)
      expect((await old.get('a')).value).toBe('1')
      expect((await old.get('b')).value).toBe('2')
      expect((await collect(old.createReadStream())).map((n: Any) => `${n.key}=${n.value}`)).toEqual([
        'a=1',
        'b=2'
      ])
      const diff = (await collect(bee.createDiffStream(v))).map((d: Any) => [
        (d.left ?? d.right).key,
        d.left?.value ?? null,
        d.right?.value ?? null
      ])
      expect(diff).toEqual([
        ['a', '3', '1'],
        ['b', null, '2']
      ])
      await old.close()
      await bee.close()
    })
  )

  it(
    'follows history live: past entries, then each new write as it lands, until a limit or return()',
    withStore(async (store) => {
      const bee = store.bee(store.get({ name: 'live' }), { keyEncoding: 'utf-8', valueEncoding: 'utf-8' })
      await bee.put('a', '1')
      const entry = (e: Any) => [e.type, e.seq, e.key, e.value]
      const live = bee.createHistoryStream({ live: true })[Symbol.asyncIterator]()
      expect(entry((await live.next()).value)).toEqual(['put', 1, 'a', '1'])
      const waiting = live.next() // nothing newer yet: it waits
      const early = await Promise.race([waiting, new Promise((r) => setTimeout(() => r('waiting'), 50))])
      expect(early).toBe('waiting')
      await bee.put('b', '2')
      expect(entry((await waiting).value)).toEqual(['put', 2, 'b', '2'])
      await bee.del('a')
      expect(entry((await live.next()).value)).toEqual(['del', 3, 'a', null])
      // return() while a next() waits ends the wait at once: hyperbee's stream rejects the pending
      // read as destroyed, a shared bee's resolves it done; neither yields a value or hangs
      const pending = live.next().then(
        (r: Any) => (r.done ? 'done' : 'value'),
        () => 'rejected'
      )
      await live.return?.()
      expect(['done', 'rejected']).toContain(await pending)

      // `lt` does not bound a live stream, `limit` does; from a negative `gte`
      const limited = bee.createHistoryStream({ live: true, gte: -1, lt: 2, limit: 2 })
      const got: Any[] = []
      const reading = (async () => {
        for await (const e of limited) got.push(entry(e))
      })()
      await bee.put('c', '3')
      await reading
      expect(got).toEqual([
        ['del', 3, 'a', null],
        ['put', 4, 'c', '3']
      ])
      expect(() => bee.createHistoryStream({ live: true, reverse: true })).toThrow(/live and reverse/)
      await bee.close()
    })
  )

  it(
    'subs: keys under a prefix, streams confined to it, nested subs, own encodings and separators, checkouts',
    withStore(async (store) => {
      const bee = store.bee(store.get({ name: 'subs' }), { keyEncoding: 'utf-8', valueEncoding: 'utf-8' })
      const users = bee.sub('users')
      const admins = users.sub('admins', { valueEncoding: 'json' })
      const dashed = bee.sub('x', { sep: '-' })
      await bee.put('top', 'level')
      await bee.put('zzz', 'after every prefix')
      await users.put('alice', '1')
      await users.put('bob', '2')
      await admins.put('root', { all: true })
      await dashed.put('k', 'v')
      expect((await users.get('alice')).value).toBe('1')
      expect(await users.get('top')).toBe(null)
      expect((await admins.get('root')).value).toEqual({ all: true })
      expect((await dashed.get('k')).value).toBe('v')
      // the main bee holds the prefixed keys
      const keys = (await collect(bee.createReadStream())).map((n: Any) => n.key)
      expect(keys).toEqual([
        'top',
        'users\u0000admins\u0000root',
        'users\u0000alice',
        'users\u0000bob',
        'x-k',
        'zzz'
      ])
      // a sub's stream covers its prefix (a nested sub's keys included, as in hyperbee)
      const inUsers = (await collect(users.createReadStream())).map((n: Any) => `${n.key}=${n.value}`)
      expect(inUsers).toEqual(['admins\u0000root={"all":true}', 'alice=1', 'bob=2'])
      expect((await collect(users.createReadStream({ gt: 'alice' }))).map((n: Any) => n.key)).toEqual(['bob'])
      expect((await users.peek({ reverse: true })).key).toBe('bob')
      // a per-call key encoding replaces the prefixed one
      const raw = await users.get(enc.encode('users\u0000bob'), { keyEncoding: 'binary' })
      expect(raw.value).toBe('2')
      // batches, deletes and checkouts keep the prefix
      const v = bee.version
      const b = users.batch()
      await b.put('carol', '3')
      await b.del('alice')
      await b.flush()
      expect(await users.get('alice')).toBe(null)
      expect((await users.get('carol')).value).toBe('3')
      const old = users.checkout(v)
      expect((await old.get('alice')).value).toBe('1')
      expect((await collect(old.createReadStream())).map((n: Any) => n.key)).toEqual([
        'admins\u0000root',
        'alice',
        'bob'
      ])
      const diff = (await collect(users.createDiffStream(v))).map((d: Any) => [
        (d.left ?? d.right).key,
        d.left?.value ?? null,
        d.right?.value ?? null
      ])
      expect(diff).toEqual([
        ['alice', null, '1'],
        ['carol', '3', null]
      ])
      await old.close()
      await bee.close()
    })
  )

  it(
    'getAndWatch: the entry now, then an update each time that key changes, and none for others',
    withStore(async (store) => {
      const bee = store.bee(store.get({ name: 'entry' }), { keyEncoding: 'utf-8', valueEncoding: 'utf-8' })
      await bee.put('k', '1')
      const w = await bee.getAndWatch('k')
      expect([w.node.key, w.node.value, w.node.seq]).toEqual(['k', '1', 1])
      const updated = () => new Promise<void>((resolve) => w.once('update', resolve))
      let update = updated()
      await bee.put('other', 'x') // another key: the entry stays, no update
      await bee.put('k', '2')
      await update
      expect([w.node.value, w.node.seq]).toEqual(['2', 3])
      update = updated()
      await bee.del('k')
      await update
      expect(w.node).toBe(null)
      await w.close()
      expect(w.closed).toBe(true)
      const sub = bee.sub('s')
      expect((await rejection(sub.getAndWatch('k'))).message).toMatch(/main bee instance/)
      await bee.close()
    })
  )

  it(
    'watches a range: yields [current, previous] when it changes',
    withStore(async (store) => {
      const bee = store.bee(store.get({ name: 'watch' }), { keyEncoding: 'utf-8', valueEncoding: 'utf-8' })
      await bee.put('other', 'x')
      const watcher = bee.watch({ gte: 'w/', lt: 'w0' })
      await watcher.ready()
      const next = watcher.next()
      await bee.put('outside', 'y') // not in the range: no change yielded for it alone
      await bee.put('w/1', 'one')
      const { value } = await next
      const [current, previous] = value
      expect((await current.get('w/1')).value).toBe('one')
      expect(await previous.get('w/1')).toBe(null)
      await watcher.close()
      expect((await watcher.next()).done).toBe(true)
      await bee.close()
    })
  )

  it(
    'refuses writes on read-only bees and calls on closed ones with hyperbee errors',
    withStore(async (store) => {
      const core = store.get({ name: 'ro' })
      const bee = store.bee(core, { keyEncoding: 'utf-8' })
      await bee.put('k', 'v')
      const ro = store.bee(store.get({ name: 'ro' }), { readonly: true })
      expect(await rejection(ro.put('k', 'w'))).toBeInstanceOf(errors.ReadOnlyError)
      await ro.close()
      await bee.close()
      expect(await rejection(Promise.resolve().then(() => bee.get('k')))).toBeInstanceOf(
        errors.BeeClosedError
      )
    })
  )

  it(
    'takes many concurrent writes: each applied once, each writer in order',
    withStore(async (store) => {
      const bee = store.bee(store.get({ name: 'concurrent' }), {
        keyEncoding: 'utf-8',
        valueEncoding: 'utf-8'
      })
      const writes: Promise<void>[] = []
      for (let i = 0; i < 100; i++) writes.push(bee.put(`c${pad(i)}`, String(i)))
      await Promise.all(writes)
      expect(bee.version).toBe(101)
      const seqs = (await collect(bee.createHistoryStream())).map((e: Any) => e.key)
      expect(seqs).toEqual(Array.from({ length: 100 }, (_, i) => `c${pad(i)}`))
      await bee.close()
    })
  )

  it(
    'put and del with cas: asked only when the key exists, with the current entry and the next; false writes nothing',
    withStore(async (store) => {
      const bee = store.bee(store.get({ name: 'cas' }), { keyEncoding: 'utf-8', valueEncoding: 'utf-8' })
      const asked: unknown[] = []
      const note = (answer: boolean) => (prev: Any, next: Any) => {
        asked.push([prev.seq, prev.key, prev.value, next.seq, next.key, next.value])
        return answer
      }
      await bee.put('a', '1', { cas: note(false) })
      expect(asked).toEqual([]) // absent: written without asking
      await bee.put('a', '2', { cas: note(false) })
      expect(asked).toEqual([[1, 'a', '1', 2, 'a', '2']])
      expect(await bee.get('a')).toMatchObject({ seq: 1, value: '1' })
      await bee.put('a', '3', {
        cas: async (prev: Any, next: Any) => prev.value === '1' && next.value === '3'
      })
      expect(await bee.get('a')).toMatchObject({ seq: 2, value: '3' })
      await bee.del('a', { cas: note(false) })
      expect(asked).toEqual([
        [1, 'a', '1', 2, 'a', '2'],
        [2, 'a', '3', 3, 'a', null]
      ])
      expect(await bee.get('a')).toMatchObject({ value: '3' })
      await bee.del('missing', { cas: note(true) })
      expect(asked).toHaveLength(2) // nothing to delete: not asked
      await bee.del('a', { cas: (prev: Any) => prev.value === '3' })
      expect(await bee.get('a')).toBe(null)
      expect(bee.version).toBe(4)
      await bee.close()
    })
  )

  it(
    'cas increments from many concurrent writers lose none',
    withStore(async (store) => {
      const bee = store.bee(store.get({ name: 'counter' }), { keyEncoding: 'utf-8', valueEncoding: 'utf-8' })
      await bee.put('n', '0')
      const increment = async () => {
        for (;;) {
          const seen = await bee.get('n')
          let won = false
          await bee.put('n', String(Number(seen.value) + 1), {
            cas: (prev: Any) => {
              won = prev.seq === seen.seq
              return won
            }
          })
          if (won) return
        }
      }
      await Promise.all(Array.from({ length: 12 }, increment))
      expect((await bee.get('n')).value).toBe('12')
      await bee.close()
    })
  )
}
