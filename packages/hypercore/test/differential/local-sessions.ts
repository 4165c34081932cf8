/**
 * Scenarios on one core's lifecycle: sessions and their writability, snapshots across appends and
 * truncations, closing, cancelled waits, argument errors, reopening from storage, encryption.
 */
import { bytes, CORE_EVENTS, collect, infoOf, seed } from './helpers.ts'
import type { Scenario } from './targets.ts'
import { sleep } from './trace.ts'

export const localSessionScenarios: Scenario[] = [
  {
    name: 'sessions share appends and events; read-only sessions and key-only cores refuse writes',
    async run(target, t) {
      const core = target.create({ valueEncoding: 'utf-8' })
      await t.call('ready', () => core.ready())
      const s = target.track(core.session())
      t.watch('core', core, ['append', 'truncate', 'close'])
      t.watch('session', s, CORE_EVENTS)
      await t.call('session ready', () => s.ready())
      t.state('session', s)
      await t.value('append via session', () => s.append('from session'))
      await t.value('core get 0', () => core.get(0))
      await t.value('append via core', () => core.append('from core'))
      await t.value('session get 1 (encoding not passed to the session)', () => s.get(1))
      await t.events('after appends')

      const ro = target.track(core.session({ writable: false, valueEncoding: 'utf-8' }))
      await t.call('read-only session ready', () => ro.ready())
      t.state('read-only session', ro)
      await t.value('read-only append', () => ro.append('x'))
      await t.call('read-only truncate', () => ro.truncate(1))
      await t.value('read-only get 1', () => ro.get(1))
      t.state('core after refused writes', core)

      await t.call('close session', () => s.close())
      t.note('session closed', s.closed)
      t.note('core closed', core.closed)
      t.state('core after session close', core)
      await t.value('core still appends', () => core.append('after'))
      await t.value('read-only session sees it', () => ro.get(2))
      await t.events('after session close')
      await t.call('close read-only session', () => ro.close())

      const reader = target.open(core.key!)
      await t.call('reader ready', () => reader.ready())
      t.state('reader by key', reader)
      await t.value('reader append', () => reader.append('x'))
      await t.call('reader truncate', () => reader.truncate(0))

      const roCore = target.create({ writable: false })
      await t.call('writable: false core ready', () => roCore.ready())
      t.state('writable: false core', roCore)
      await t.value('writable: false core append', () => roCore.append(bytes(1)))
    }
  },
  {
    name: 'snapshot across appends: frozen length, flags, no append events, reads within its view',
    async run(target, t) {
      const core = target.create({ valueEncoding: 'utf-8' })
      await t.call('ready', () => core.ready())
      await t.value('append', () => core.append(['a', 'b', 'c']))
      const snap = target.track(core.snapshot({ valueEncoding: 'utf-8' }))
      t.watch('core', core, ['append', 'truncate'])
      t.watch('snapshot', snap, ['append', 'truncate'])
      await t.call('snapshot ready', () => snap.ready())
      t.note('snapshotted', snap.snapshotted)
      t.state('snapshot', snap)
      await t.value('append more', () => core.append(['d', 'e']))
      t.state('snapshot after append', snap)
      t.state('core after append', core)
      await t.events('after append')
      await t.value('snapshot get 1', () => snap.get(1))
      await t.value('snapshot get 3, wait false', () => snap.get(3, { wait: false }))
      await t.value('snapshot has 0..3', () => snap.has(0, 3))
      await t.value('snapshot info', () => infoOf(snap))
      await t.value('snapshot read stream', () => collect(snap.createReadStream()))
      await t.value('snapshot update', () => snap.update())
      await t.value('snapshot tree hash', () => snap.treeHash())
      await t.value('core tree hash at 3', () => core.treeHash(3))
      const later = target.track(core.snapshot({ valueEncoding: 'utf-8' }))
      await t.call('second snapshot ready', () => later.ready())
      t.state('second snapshot', later)
      await t.value('second snapshot get 4', () => later.get(4))
      await t.call('close snapshot', () => snap.close())
      t.state('core after snapshot close', core)
      await t.value('core get 4', () => core.get(4))
      await t.call('close second snapshot', () => later.close())
    }
  },
  {
    name: 'snapshot across truncate: keeps serving the blocks it saw; the core moves on',
    async run(target, t) {
      const core = target.create({ valueEncoding: 'utf-8' })
      await t.call('ready', () => core.ready())
      await t.value('append', () => core.append(['a', 'b', 'c', 'd', 'e']))
      const snap = target.track(core.snapshot({ valueEncoding: 'utf-8' }))
      await t.call('snapshot ready', () => snap.ready())
      t.watch('core', core, ['append', 'truncate'])
      t.watch('snapshot', snap, ['append', 'truncate'])
      await t.call('truncate to 3', () => core.truncate(3))
      await t.value('append new', () => core.append(['X', 'Y']))
      await t.events('after truncate and append')
      t.lengths('snapshot', snap)
      t.state('core', core)
      for (let i = 0; i < 5; i++) await t.value(`snapshot get ${i}`, () => snap.get(i, { timeout: 500 }))
      for (let i = 2; i < 5; i++) await t.value(`core get ${i}`, () => core.get(i))
      await t.value('snapshot read stream', () => collect(snap.createReadStream({ timeout: 500 })))
      const after = target.track(core.snapshot({ valueEncoding: 'utf-8' }))
      await t.call('new snapshot ready', () => after.ready())
      t.lengths('new snapshot', after)
      await t.value('new snapshot get 3', () => after.get(3))
      await t.call('close snapshots', async () => {
        await snap.close()
        await after.close()
      })
    }
  },
  {
    name: 'close: flags, close event, SESSION_CLOSED on use, other sessions unaffected',
    async run(target, t) {
      const core = target.create({ valueEncoding: 'utf-8' })
      await t.call('ready', () => core.ready())
      await t.value('append', () => core.append(['a', 'b']))
      const s = target.track(core.session({ valueEncoding: 'utf-8' }))
      await t.call('session ready', () => s.ready())
      t.watch('core', core, ['close'])
      t.watch('session', s, ['close'])
      await t.call('close core', () => core.close())
      t.note('core closed', core.closed)
      t.note('session closed', s.closed)
      t.note('core readable', core.readable)
      t.note('core writable', core.writable)
      await t.events('after core close')
      await t.value('core get', () => core.get(0))
      await t.value('core append', () => core.append('c'))
      await t.call('core truncate', () => core.truncate(0))
      await t.call('core clear', () => core.clear(0))
      await t.call('core session', () => target.track(core.session()))
      await t.call('close core again', () => core.close())
      await t.value('session get still works', () => s.get(1))
      await t.value('session append still works', () => s.append('c'))
      await t.call('close session', () => s.close())
      t.note('session closed after its close', s.closed)
      await t.value('session get after close', () => s.get(0))
      await t.events('after session close')
    }
  },
  {
    name: 'closing a session cancels its pending get with REQUEST_CANCELLED',
    async run(target, t) {
      const writer = target.create()
      await t.call('writer ready', () => writer.ready())
      await t.value('append', () => writer.append(bytes(1)))
      const reader = target.open(writer.key!)
      await t.call('reader ready', () => reader.ready())
      const s = target.track(reader.session())
      await t.call('session ready', () => s.ready())
      const onSession = t.start('session get (no peers)', () => s.get(0))
      const onReader = t.start('reader get (no peers)', () => reader.get(0, { timeout: 2_500 }))
      await sleep(50)
      await t.call('close session', () => s.close())
      await onSession()
      await t.call('close reader', () => reader.close())
      await onReader()
    }
  },
  {
    name: 'bad arguments and oversized blocks: error codes',
    async run(target, t) {
      const core = target.create()
      await t.call('ready', () => core.ready())
      await t.value('append', () => core.append([bytes(1), bytes(2)]))
      await t.value('get -1', () => core.get(-1))
      await t.value('has -1', () => core.has(-1))
      await t.call('clear -1', () => core.clear(-1))
      await t.value('seek -1', () => core.seek(-1))
      await t.value('append a block over 15 MiB', () => core.append(new Uint8Array(15 * 1024 * 1024 + 1)))
      t.state('state after refused append', core)
    }
  },
  {
    name: 'reopen from storage: length, blocks, user data, key pair and tree hash persist',
    async run(target, t) {
      const keyPair = target.keyPair(seed(2))
      const first = target.openAt('store', null, { keyPair, valueEncoding: 'utf-8' })
      await t.call('ready', () => first.ready())
      await t.value('append', () => first.append(['one', 'two', 'three']))
      await t.call('user data', () => first.setUserData('meta', bytes(4, 2)))
      await t.call('truncate to 2', () => first.truncate(2))
      await t.value('append after truncate', () => first.append('THREE'))
      await t.value('tree hash', () => first.treeHash())
      await t.call('close', () => first.close())

      const again = target.openAt('store', null, { valueEncoding: 'utf-8' })
      await t.call('reopen ready', () => again.ready())
      t.note('key', again.key)
      t.state('reopened', again)
      await t.value('get 2', () => again.get(2))
      await t.value('user data', () => again.getUserData('meta'))
      await t.value('tree hash', () => again.treeHash())
      await t.value('append after reopen', () => again.append('four'))
      await t.call('close', () => again.close())

      const byKey = target.openAt('store', again.key, { valueEncoding: 'utf-8' })
      await t.call('reopen by key ready', () => byKey.ready())
      t.state('reopened by key', byKey)
      await t.value('get 3', () => byKey.get(3))
      await t.call('close', () => byKey.close())
    }
  },
  {
    name: 'encryption { key }: plaintext back, same byte lengths, padding and ciphertext',
    async run(target, t) {
      const keyPair = target.keyPair(seed(3))
      const core = target.create({ keyPair, encryption: { key: seed(4) }, valueEncoding: 'utf-8' })
      await t.call('ready', () => core.ready())
      t.note('key', core.key)
      await t.value('append', () => core.append(['secret one', 'two', '']))
      t.state('state', core)
      t.note('padding', core.padding)
      await t.value('info', () => infoOf(core))
      for (let i = 0; i < 3; i++) await t.value(`get ${i}`, () => core.get(i, { timeout: 500 }))
      await t.value('get 0 raw', () => core.get(0, { raw: true, timeout: 500 }))
      await t.value('tree hash', () => core.treeHash())
      await t.value('seek 12', () => core.seek(12))
      await t.value('byte stream', () => collect(core.createByteStream()))
      const s = target.track(core.session({ valueEncoding: 'utf-8' }))
      await t.value('session get 1', () => s.get(1, { timeout: 500 }))
      await t.call('truncate to 1', () => core.truncate(1))
      await t.value('append after truncate', () => core.append('after fork'))
      await t.value('get 1', () => core.get(1, { timeout: 500 }))
      await t.value('get 1 raw', () => core.get(1, { raw: true, timeout: 500 }))
      t.state('after truncate', core)
      await t.call('close session', () => s.close())
    }
  }
]
