/**
 * Replication scenarios, each between two cores of the same implementation (real⇄real is the
 * reference for ours⇄ours): on-demand reads, ranges, live appends, update, truncation and forks,
 * requests made before a peer exists, timeouts, peer events, encryption, snapshots on a replica.
 */
import { filled, infoOf, PEER_EVENTS, seed, take } from './helpers.ts'
import type { CoreLike, Scenario, Target } from './targets.ts'
import type { Trace } from './trace.ts'
import { sleep } from './trace.ts'

/** Bound for a get that should be served by a connected peer. */
const SERVED = { timeout: 2_500 }

async function writerWith(target: Target, t: Trace, values: string[], opts = {}): Promise<CoreLike> {
  const writer = target.create({ valueEncoding: 'utf-8', ...opts })
  await t.call('writer ready', () => writer.ready())
  await t.value('writer append', () => writer.append(values))
  return writer
}

async function readerOf(target: Target, t: Trace, writer: CoreLike, opts = {}): Promise<CoreLike> {
  const reader = target.open(writer.key!, { valueEncoding: 'utf-8', ...opts })
  await t.call('reader ready', () => reader.ready())
  return reader
}

const letters = (n: number) => Array.from({ length: n }, (_, i) => `block ${i}`)

export const replicationScenarios: Scenario[] = [
  {
    name: 'replica reads blocks on demand: values, lengths, has, download/upload/peer events',
    async run(target, t) {
      const writer = await writerWith(target, t, letters(10))
      const reader = await readerOf(target, t, writer)
      t.state('reader before connecting', reader)
      t.watch('reader', reader, ['append', 'truncate', 'download', 'peer-add'])
      t.watch('writer', writer, ['append', 'upload', 'peer-add'])
      target.replicate(writer, reader)
      await t.value('get 7', () => reader.get(7, SERVED))
      t.state('reader after get 7', reader)
      await t.value('get 3', () => reader.get(3, SERVED))
      await t.value('has 7', () => reader.has(7))
      await t.value('has 0', () => reader.has(0))
      await t.value('has 0..10', () => reader.has(0, 10))
      await t.value('get 0, wait false', () => reader.get(0, { wait: false }))
      await t.value('info', () => infoOf(reader))
      await t.value('get 0', () => reader.get(0, SERVED))
      t.state('reader after get 0', reader)
      t.note('peers', [writer.peers.length, reader.peers.length])
      await t.events('after gets')
    }
  },
  {
    name: 'download a range: done(), has, contiguous length, tree hash, clear and refetch',
    async run(target, t) {
      const writer = target.create()
      await t.call('writer ready', () => writer.ready())
      await t.value('append', () => writer.append(Array.from({ length: 20 }, (_, i) => filled(i + 1, i))))
      const reader = target.open(writer.key!)
      await t.call('reader ready', () => reader.ready())
      t.watch('reader', reader, ['download'])
      t.watch('writer', writer, ['upload'])
      target.replicate(writer, reader)
      await t.call('download 0..20 done', () => reader.download({ start: 0, end: 20 }).done())
      t.state('reader', reader)
      await t.value('has 0..20', () => reader.has(0, 20))
      await t.value('get 19, wait false', () => reader.get(19, { wait: false }))
      await t.value('reader tree hash', () => reader.treeHash())
      await t.value('writer tree hash', () => writer.treeHash())
      await t.events('after download', { sorted: true })
      await t.call('clear 5', () => reader.clear(5))
      t.state('reader after clear', reader)
      await t.value('has 5', () => reader.has(5))
      await t.value('get 5 again', () => reader.get(5, SERVED))
      await t.value('has 5 after refetch', () => reader.has(5))
      await t.call('download of what is there', () => reader.download({ start: 0, end: 20 }).done())
      await t.events('after refetch', { sorted: true })
      await t.call('download blocks [2, 9]', async () => {
        const other = target.track(target.open(writer.key!))
        await other.ready()
        target.replicate(writer, other)
        await other.download({ blocks: [2, 9] }).done()
        t.note('other has 2, 9, 3', [await other.has(2), await other.has(9), await other.has(3)])
      })
    }
  },
  {
    name: 'live appends reach a connected replica: append events, length, live read stream',
    async run(target, t) {
      const writer = await writerWith(target, t, ['a', 'b'])
      const reader = await readerOf(target, t, writer)
      t.watch('reader', reader, ['append', 'truncate'])
      target.replicate(writer, reader)
      await t.value('get 1', () => reader.get(1, SERVED))
      await t.events('after first get')
      const live = t.start('live read stream, 5 blocks', () =>
        take(reader.createReadStream({ live: true, timeout: 2_500 }), 5)
      )
      await t.value('writer appends', () => writer.append(['c', 'd', 'e']))
      await t.until('reader length 5', () => reader.length === 5)
      await live()
      t.state('reader', reader)
      await t.events('after live appends')
      await t.value('writer appends one more', () => writer.append('f'))
      await t.until('reader length 6', () => reader.length === 6)
      await t.value('get 5', () => reader.get(5, SERVED))
      await t.events('after one more')
    }
  },
  {
    name: 'update(): with and without wait, nothing new, on the writer',
    async run(target, t) {
      const writer = await writerWith(target, t, ['a', 'b', 'c'])
      const reader = await readerOf(target, t, writer)
      await t.value('update wait, no peers', () => reader.update({ wait: true }))
      target.replicate(writer, reader)
      await t.value('update wait', () => reader.update({ wait: true }))
      t.state('reader after update', reader)
      await t.value('writer appends', () => writer.append('d'))
      // whether this update already sees the append is a race in the real one too: only that it
      // settles, and that the replica then gets there, is compared
      await t.call('update wait after append', () => reader.update({ wait: true }))
      await t.until('reader length 4', () => reader.length === 4)
      t.state('reader after second update', reader)
      await t.value('update wait, nothing new', () => reader.update({ wait: true }))
      await t.value('update without wait', () => reader.update())
      await t.value('writer update', () => writer.update())
      await t.value('get 3', () => reader.get(3, SERVED))
    }
  },
  {
    name: 'findingPeers() then update({ wait: true }) resolves once a peer connects',
    async run(target, t) {
      const writer = await writerWith(target, t, ['a', 'b', 'c'])
      const reader = await readerOf(target, t, writer)
      let done: (() => void) | null = null
      await t.call('findingPeers', () => {
        done = reader.findingPeers()
      })
      const updating = t.start('update wait while finding peers', () => reader.update({ wait: true }))
      await sleep(50)
      t.state('reader while finding', reader)
      target.replicate(writer, reader)
      await t.until('reader has a peer', () => reader.peers.length === 1)
      await t.call('done finding peers', () => done?.())
      await updating()
      t.state('reader after update', reader)
      await t.value('get 2', () => reader.get(2, SERVED))
    }
  },
  {
    name: 'truncation propagates to a connected replica: fork, length, events, new blocks',
    async run(target, t) {
      const writer = await writerWith(target, t, ['a', 'b', 'c', 'd', 'e'])
      const reader = await readerOf(target, t, writer)
      target.replicate(writer, reader)
      await t.call('download all', () => reader.download({ start: 0, end: 5 }).done())
      t.watch('reader', reader, ['append', 'truncate'])
      t.watch('writer', writer, ['append', 'truncate'])
      await t.call('writer truncates to 3', () => writer.truncate(3))
      await t.until('reader sees the truncation', () => reader.fork === 1)
      await t.value('writer appends X, Y', () => writer.append(['X', 'Y']))
      await t.until('reader at fork 1, length 5', () => reader.fork === 1 && reader.length === 5)
      t.state('reader', reader)
      await t.value('has 0..3', () => reader.has(0, 3))
      await t.value('has 3, before fetching', () => reader.has(3))
      for (let i = 2; i < 5; i++) await t.value(`get ${i}`, () => reader.get(i, SERVED))
      await t.value('reader tree hash', () => reader.treeHash())
      await t.value('writer tree hash', () => writer.treeHash())
      await t.events('after truncation')
    }
  },
  {
    name: 'a new replica of a core truncated before it connected gets the new fork',
    async run(target, t) {
      const writer = await writerWith(target, t, ['a', 'b', 'c', 'd', 'e'])
      await t.call('truncate to 3', () => writer.truncate(3))
      await t.value('append X, Y', () => writer.append(['X', 'Y']))
      const reader = await readerOf(target, t, writer)
      t.watch('reader', reader, ['append', 'truncate'])
      target.replicate(writer, reader)
      await t.value('get 4', () => reader.get(4, SERVED))
      t.state('reader', reader)
      await t.value('get 3', () => reader.get(3, SERVED))
      await t.value('get 0', () => reader.get(0, SERVED))
      await t.value('info', () => infoOf(reader))
      await t.value('tree hash', () => reader.treeHash())
      await t.events('after gets')
    }
  },
  {
    name: 'a get issued before replicate() resolves once connected (open and opening replicas)',
    async run(target, t) {
      const writer = await writerWith(target, t, ['a', 'b', 'c'])
      const reader = await readerOf(target, t, writer)
      const early = t.start('get 2 before replicate', () => reader.get(2, SERVED))
      await sleep(50)
      target.replicate(writer, reader)
      await early()
      t.state('reader', reader)
      const opening = target.open(writer.key!, { valueEncoding: 'utf-8' })
      const beforeReady = t.start('get 1 before ready and replicate', () => opening.get(1, SERVED))
      target.replicate(writer, opening)
      await beforeReady()
      t.state('replica that was opening', opening)
    }
  },
  {
    name: 'no peers: get times out with REQUEST_TIMEOUT (option, session and core timeouts)',
    async run(target, t) {
      const writer = await writerWith(target, t, ['a', 'b', 'c'])
      const reader = await readerOf(target, t, writer)
      await t.value('get, timeout 200', () => reader.get(0, { timeout: 200 }))
      await t.value('get, wait false', () => reader.get(0, { wait: false }))
      const s = target.track(reader.session({ timeout: 200 }))
      await t.value('session with timeout: get', () => s.get(0))
      const timed = target.open(writer.key!, { timeout: 200 })
      await t.call('core with timeout ready', () => timed.ready())
      await t.value('core with timeout: get', () => timed.get(0))
      const link = target.replicate(writer, reader)
      await t.value('connected: get 1', () => reader.get(1, SERVED))
      link.destroy()
      await t.until('peer gone', () => reader.peers.length === 0)
      await t.value('disconnected: get 2, timeout 200', () => reader.get(2, { timeout: 200 }))
      t.state('reader', reader)
      await t.call('close session', () => s.close())
    }
  },
  {
    name: 'peer-add / peer-remove on connect, disconnect and reconnect',
    async run(target, t) {
      const writer = await writerWith(target, t, ['a'])
      const reader = await readerOf(target, t, writer)
      t.watch('writer', writer, PEER_EVENTS)
      t.watch('reader', reader, PEER_EVENTS)
      const link = target.replicate(writer, reader)
      await t.until('both have a peer', () => writer.peers.length === 1 && reader.peers.length === 1)
      await t.events('after connect')
      link.destroy()
      await t.until('both lost the peer', () => writer.peers.length === 0 && reader.peers.length === 0)
      await t.events('after disconnect')
      target.replicate(reader, writer)
      await t.until('connected again', () => writer.peers.length === 1 && reader.peers.length === 1)
      await t.value('get 0', () => reader.get(0, SERVED))
      await t.events('after reconnect')
    }
  },
  {
    name: 'encryption { key } over replication: plaintext with the key, ciphertext without',
    async run(target, t) {
      const keyPair = target.keyPair(seed(5))
      const encryption = { key: seed(6) }
      const writer = await writerWith(target, t, ['secret', 'message', ''], { keyPair, encryption })
      t.state('writer', writer)
      const reader = await readerOf(target, t, writer, { encryption })
      const blind = await readerOf(target, t, writer, { valueEncoding: 'binary' })
      target.replicate(writer, reader)
      target.replicate(writer, blind)
      await t.call('download all', () => reader.download({ start: 0, end: 3 }).done())
      for (let i = 0; i < 3; i++) await t.value(`get ${i}`, () => reader.get(i, SERVED))
      t.state('reader', reader)
      await t.value('reader info', () => infoOf(reader))
      await t.value('writer info', () => infoOf(writer))
      await t.value('reader tree hash', () => reader.treeHash())
      await t.value('no key: get 0', () => blind.get(0, SERVED))
      t.state('no key', blind)
      await t.value('writer get 0 raw', () => writer.get(0, { raw: true }))
    }
  },
  {
    name: 'snapshot on a replica: blocks never fetched and truncated away are SNAPSHOT_NOT_AVAILABLE',
    async run(target, t) {
      const writer = await writerWith(target, t, ['a', 'b', 'c', 'd', 'e'])
      const reader = await readerOf(target, t, writer)
      target.replicate(writer, reader)
      await t.value('get 0', () => reader.get(0, SERVED))
      await t.value('get 4', () => reader.get(4, SERVED))
      await t.until('reader length 5', () => reader.length === 5)
      const snap = target.track(reader.snapshot({ valueEncoding: 'utf-8' }))
      await t.call('snapshot ready', () => snap.ready())
      await t.call('writer truncates to 2', () => writer.truncate(2))
      await t.value('writer appends', () => writer.append(['X', 'Y', 'Z']))
      await t.until('reader at fork 1, length 5', () => reader.fork === 1 && reader.length === 5)
      t.lengths('snapshot', snap)
      await t.value('snapshot get 0 (had it)', () => snap.get(0, { timeout: 1_000 }))
      await t.value('snapshot get 1 (kept by the fork)', () => snap.get(1, { timeout: 1_000 }))
      await t.value('snapshot get 3 (never fetched, cut)', () => snap.get(3, { timeout: 1_000 }))
      await t.value('snapshot get 4 (had it, then cut)', () => snap.get(4, { timeout: 1_000 }))
      await t.value('reader get 3', () => reader.get(3, SERVED))
      await t.call('close snapshot', () => snap.close())
    }
  }
]
