/**
 * Owner changes, in Chromium: an owner that closes while clients write (its storage on IndexedDB,
 * or on OPFS in a dedicated worker of the owner), and a write whose acknowledgement was lost on the
 * way (the owner committed it, then went away) re-sent to the next owner, which must not apply it
 * again.
 */
import { connectStorage, openIdbStorage, type Storage } from '@orchard/storage'
import { describe, expect, it } from 'vitest'
import { Connection, localTransport, type Transport } from '../src/connection.ts'
import {
  openSharedStore,
  SharedBee,
  type SharedStore,
  type SharedStoreOptions,
  StoreClosedError,
  StoreHost
} from '../src/index.ts'
import type { Request } from '../src/protocol.ts'
import { SharedStore as Store, wire } from '../src/store.ts'

const unique = (what: string) => `${what}-${crypto.randomUUID()}`
const pad = (i: number) => String(i).padStart(4, '0')
type Bee = SharedBee<string, string>

const openBee = (store: SharedStore): Bee =>
  new SharedBee<string, string>(store.get({ name: 'bee' }), { keyEncoding: 'utf-8', valueEncoding: 'utf-8' })

/**
 * Writes `tag/0000`, `tag/0001`, ... with up to `window` puts in flight; `acked` lists the ones
 * acknowledged. Stops at `count` or at the first failure (the store closed).
 */
function writer(bee: Bee, tag: string, count: number, window: number) {
  const acked: number[] = []
  let failed: unknown = null
  const run = (async () => {
    let next = 0
    const inflight = new Set<Promise<void>>()
    while (next < count && failed === null) {
      const n = next++
      const p: Promise<void> = bee.put(`${tag}/${pad(n)}`, String(n)).then(
        () => {
          acked.push(n)
          inflight.delete(p)
        },
        (err) => {
          failed ??= err
          inflight.delete(p)
        }
      )
      inflight.add(p)
      if (inflight.size >= window) await Promise.race(inflight)
    }
    await Promise.all(inflight)
  })()
  return { acked, run, failed: () => failed }
}

async function until(cond: () => boolean, what: string, ms = 20_000) {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** The bee's history as `tag → [n in seq order]`, and every key seen. */
async function historyByTag(bee: Bee): Promise<Map<string, number[]>> {
  const byTag = new Map<string, number[]>()
  for await (const e of bee.createHistoryStream()) {
    const [tag, n] = e.key.split('/') as [string, string]
    if (!byTag.has(tag)) byTag.set(tag, [])
    byTag.get(tag)!.push(Number(n))
  }
  return byTag
}

/** An owner's storage in OPFS, held by a dedicated worker it starts (as a tab would). */
const opfsInWorker = (name: string): Promise<Storage> =>
  connectStorage(
    new Worker(new URL('./fixtures/storage-worker.ts', import.meta.url), { type: 'module' })
  ).open(name)

describe.each<[string, SharedStoreOptions]>([
  ['on IndexedDB', {}],
  ['on OPFS in a worker of the owner', { openStorage: opfsInWorker }]
])('owner changes between tabs, %s', (_, opts) => {
  it('an owner that closes mid-write hands over: every acknowledged write is there once, in order', async () => {
    const name = unique('handover')
    const a = openSharedStore(name, opts)
    await a.ready()
    const b = openSharedStore(name, opts)
    const c = openSharedStore(name, opts)
    await Promise.all([b.ready(), c.ready()])
    expect([a.isOwner, b.isOwner, c.isOwner]).toEqual([true, false, false])
    const [beeA, beeB, beeC] = [openBee(a), openBee(b), openBee(c)]
    const COUNT = 150
    const wa = writer(beeA, 'a', COUNT, 4)
    const wb = writer(beeB, 'b', COUNT, 8)
    const wc = writer(beeC, 'c', COUNT, 8)
    await until(() => wb.acked.length >= 30 && wc.acked.length >= 30, 'the clients to write')
    await a.close() // mid-write: every tab has writes in flight
    await Promise.all([wa.run, wb.run, wc.run])
    expect(wa.failed()).toBeInstanceOf(StoreClosedError) // its own in-flight writes die with it
    expect(wb.failed()).toBe(null)
    expect(wc.failed()).toBe(null)
    expect(b.isOwner).toBe(true) // next in the lock's queue
    expect(c.isOwner).toBe(false)

    const check = (history: Map<string, number[]>) => {
      const all = Array.from({ length: COUNT }, (_, i) => i)
      expect(history.get('b')).toEqual(all)
      expect(history.get('c')).toEqual(all)
      // the closed owner's writes: a prefix, in order, holding everything it acknowledged
      const seenA = history.get('a') ?? []
      expect(seenA).toEqual(all.slice(0, seenA.length))
      expect(seenA.length).toBeGreaterThanOrEqual(wa.acked.length)
    }
    check(await historyByTag(beeB))
    check(await historyByTag(beeC))
    await b.close()
    await c.close()

    // and from storage, in a store opened afresh
    const again = openSharedStore(name, opts)
    const bee = openBee(again)
    check(await historyByTag(bee))
    await again.close()
  })
})

describe('exactly-once records', () => {
  it('a new owner deletes the records of tabs that are gone, and keeps those of live ones', async () => {
    const name = unique('sweep')
    const a = openSharedStore(name)
    await a.ready()
    const b = openSharedStore(name)
    const c = openSharedStore(name)
    await Promise.all([b.ready(), c.ready()])
    for (const store of [a, b, c]) await openBee(store).put(store.clientId, 'x')
    const record = async (owner: SharedStore, client: string) => {
      const core = owner.corestore!.get({ name: 'bee' })
      const value = await core.getUserData(`orchard-tabs/applied/${client}`)
      await core.close()
      return value
    }
    expect(await record(a, b.clientId)).not.toBe(null)
    await b.close() // gone: its record can go
    await a.close() // the owner: c takes over and sweeps as it opens the bee's core
    await until(() => c.isOwner, 'c to take over')
    await openBee(c).ready()
    const gone = async () => (await record(c, b.clientId)) === null && (await record(c, a.clientId)) === null
    const end = Date.now() + 10_000
    while (!(await gone()) && Date.now() < end) await new Promise((r) => setTimeout(r, 20))
    expect(await record(c, a.clientId)).toBe(null)
    expect(await record(c, b.clientId)).toBe(null)
    expect(await record(c, c.clientId)).not.toBe(null) // alive: kept
    await c.close()
  })
})

describe('exactly once across owners', () => {
  /** A client line to `host` that delivers everything but the answers of writes while `drop()`. */
  function lossyTransport(
    host: StoreHost,
    conn: Connection,
    drop: () => boolean,
    dropped: (res: unknown) => void = () => {}
  ): Transport {
    const session = host.connect((ev) => conn.event(ev))
    return {
      send(req: Request) {
        void session.handle(req).then((res) => {
          if (res === null) return
          if (drop() && req.writer !== undefined) dropped(res)
          else conn.receive(res)
        })
      },
      detach() {
        session.close()
      }
    }
  }

  it('a write committed by one owner whose acknowledgement was lost is not applied again by the next', async () => {
    const db = unique('dedup')
    const host1 = new StoreHost(openIdbStorage(db))
    const conn = new Connection()
    let drop = false
    conn.attach(lossyTransport(host1, conn, () => drop))
    const store = new Store(wire(conn, { ready: () => host1.ready(), close: async () => conn.close() }))
    const bee = openBee(store)
    await bee.ready()
    const log = store.get({ name: 'log' })
    await log.ready()
    await bee.put('a', '1')
    await log.append('first')

    drop = true
    let beeAcked = false
    let logAcked: { length: number } | null = null
    const put = bee.put('b', '2').then(() => {
      beeAcked = true
    })
    const append = log.append(['second', 'third']).then((r) => {
      logAcked = r
    })
    // both committed (their events arrive), neither acknowledged
    await until(() => bee.version === 3 && log.length === 3, 'the writes to commit')
    await new Promise((r) => setTimeout(r, 20))
    expect(beeAcked).toBe(false)
    expect(logAcked).toBe(null)

    // the owner goes away; the next one opens the same storage and gets the re-sent writes
    await host1.close()
    const host2 = new StoreHost(openIdbStorage(db))
    await host2.ready()
    conn.attach(localTransport((emit) => host2.connect(emit), conn))
    await Promise.all([put, append])
    expect(logAcked).toEqual({ length: 3, byteLength: 16 })

    const history: string[] = []
    for await (const e of bee.createHistoryStream()) history.push(`${e.key}=${e.value}`)
    expect(history).toEqual(['a=1', 'b=2'])
    expect(log.length).toBe(3)
    const blocks: string[] = []
    for (let i = 0; i < log.length; i++)
      blocks.push(new TextDecoder().decode((await log.get(i)) as Uint8Array))
    expect(blocks).toEqual(['first', 'second', 'third'])

    // later writes of the same client go through as usual
    await bee.put('c', '3')
    expect(bee.version).toBe(4)
    await store.close()
    await host2.close()
  })

  it('a truncation committed by one owner whose acknowledgement was lost is not applied again by the next', async () => {
    const db = unique('dedup-truncate')
    const host1 = new StoreHost(openIdbStorage(db))
    const conn = new Connection()
    let drop = false
    conn.attach(lossyTransport(host1, conn, () => drop))
    const store = new Store(wire(conn, { ready: () => host1.ready(), close: async () => conn.close() }))
    const log = store.get({ name: 'log' })
    await log.ready()
    await log.append(['one', 'two', 'three'])

    // a truncation, committed (its event arrives), not acknowledged
    drop = true
    let truncated = false
    const truncate = log.truncate(1).then(() => {
      truncated = true
    })
    await until(() => log.fork === 1 && log.length === 1, 'the truncation to commit')
    await new Promise((r) => setTimeout(r, 20))
    expect(truncated).toBe(false)

    // the next owner gets it again: applying it twice would move the fork to 2
    await host1.close()
    const host2 = new StoreHost(openIdbStorage(db))
    await host2.ready()
    conn.attach(localTransport((emit) => host2.connect(emit), conn))
    await truncate
    expect([log.length, log.fork]).toEqual([1, 1])
    await log.append('four')
    const blocks: string[] = []
    for (let i = 0; i < log.length; i++)
      blocks.push(new TextDecoder().decode((await log.get(i)) as Uint8Array))
    expect(blocks).toEqual(['one', 'four'])
    await store.close()
    await host2.close()
  })

  it('a refused cas write whose answer was lost stays refused at the next owner, and its retry asks the callback again', async () => {
    const db = unique('dedup-cas')
    const host1 = new StoreHost(openIdbStorage(db))
    const conn = new Connection()
    let drop = false
    let lost: unknown = null
    conn.attach(
      lossyTransport(
        host1,
        conn,
        () => drop,
        (res) => {
          lost = res
        }
      )
    )
    const store = new Store(wire(conn, { ready: () => host1.ready(), close: async () => conn.close() }))
    const bee = openBee(store)
    await bee.put('k', '1')
    // another tab, writing the same bee through the same owner
    const other = openSharedStoreOn(host1)
    const otherBee = openBee(other)

    const seen: string[] = []
    const put = bee.put('k', 'mine', {
      cas: async (prev) => {
        seen.push(`${prev.seq}:${prev.value}`)
        if (seen.length === 1) {
          // the other tab writes between our read and our write, and our answer will be lost
          await otherBee.put('k', 'theirs')
          drop = true
        }
        return true
      }
    })
    await until(() => lost !== null, 'the refusal to be answered (and lost)')
    expect(lost).toMatchObject({ ok: true, value: { refused: true } })
    expect(seen).toEqual(['1:1'])

    // the owner goes away; the next one gets the re-sent write, and must refuse it again
    await other.close()
    await host1.close()
    const host2 = new StoreHost(openIdbStorage(db))
    await host2.ready()
    conn.attach(localTransport((emit) => host2.connect(emit), conn))
    await put
    expect(seen).toEqual(['1:1', '2:theirs'])
    const history: string[] = []
    for await (const e of bee.createHistoryStream()) history.push(`${e.key}=${e.value}`)
    expect(history).toEqual(['k=1', 'k=theirs', 'k=mine'])
    await store.close()
    await host2.close()
  })
})

/** A second client of `host` in this page, as another tab would be. */
function openSharedStoreOn(host: StoreHost): SharedStore {
  const conn = new Connection()
  conn.attach(localTransport((emit) => host.connect(emit), conn))
  return new Store(wire(conn, { ready: () => host.ready(), close: async () => conn.close() }))
}
