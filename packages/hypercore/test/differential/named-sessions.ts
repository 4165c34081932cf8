/**
 * Scenarios on named sessions (`session({ name })`) and `commit`: unsigned appends of their own,
 * commits that land, commits refused because the core moved on, partial commits, checkouts,
 * truncations inside the session, sessions sharing a name, and a state that survives a reopen.
 */
import type { Scenario } from './targets.ts'

export const namedSessionScenarios: Scenario[] = [
  {
    name: 'named session: its own unsigned appends, a commit, and a commit refused after the core moved',
    async run(target, t) {
      const core = target.create({ valueEncoding: 'utf-8' })
      await t.value('append a b c', () => core.append(['a', 'b', 'c']))
      const b = target.track(core.session({ name: 'batch', valueEncoding: 'utf-8' }))
      await t.call('batch ready', () => b.ready())
      t.state('batch', b)
      t.note('batch signed length', b.signedLength)
      await t.value('batch append', () => b.append(['de', 'fg']))
      t.lengths('core after batch append', core)
      t.lengths('batch after append', b)
      t.note('batch signed length after append', b.signedLength)
      await t.value('batch get 4', () => b.get(4))
      await t.value('batch has 3..5', () => b.has(3, 5))
      await t.value('core get 4 without waiting', () => core.get(4, { wait: false }))
      await t.value('batch tree hash', () => b.treeHash())
      await t.value('commit', () => core.commit(b))
      t.lengths('core after commit', core)
      await t.value('core tree hash = batch tree hash', () => core.treeHash())
      await t.value('core get 4', () => core.get(4))
      const same = target.track(core.session({ name: 'batch', valueEncoding: 'utf-8' }))
      await t.call('second session of the same name', () => same.ready())
      t.lengths('same-name session', same)
      await t.value('core appends x', () => core.append('x'))
      await t.value('batch appends y', () => b.append('y'))
      await t.value('commit after the core moved', () => core.commit(b))
      t.lengths('core', core)
    }
  },
  {
    name: 'named session: partial commits, truncation inside the session, checkout',
    async run(target, t) {
      const core = target.create({ valueEncoding: 'utf-8' })
      const b = target.track(core.session({ name: 'partial', valueEncoding: 'utf-8' }))
      await t.value('batch append a b c d', () => b.append(['a', 'b', 'c', 'd']))
      await t.value('commit 2', () => core.commit(b, { length: 2 }))
      t.lengths('core', core)
      t.lengths('batch', b)
      await t.value('commit 3', () => core.commit(b, { length: 3 }))
      await t.value('commit 1 (behind the core)', () => core.commit(b, { length: 1 }))
      t.lengths('core', core)
      await t.call('batch truncate to 3 on the same fork', () => b.truncate(3, b.fork))
      t.lengths('batch after truncate', b)
      await t.value('batch get 3 without waiting', () => b.get(3, { wait: false }))
      await t.value('batch append z', () => b.append('z'))
      await t.value('commit', () => core.commit(b))
      await t.value('core get 3', () => core.get(3))

      const hash2 = await core.treeHash(2)
      const c = target.track(core.session({ name: 'checkout', checkout: 2, valueEncoding: 'utf-8' }))
      await t.call('checkout ready', () => c.ready())
      t.lengths('checkout', c)
      t.note('core tree hash at 2', hash2)
      await t.value('checkout tree hash', () => c.treeHash())
      await t.value('checkout append other blocks', () => c.append(['x', 'y']))
      await t.value('commit a conflicting checkout', () => core.commit(c))
      await t.call('checkout truncate to 3', () => c.truncate(3, c.fork))
      await t.value('checkout append z', () => c.append('z'))
      t.note('checkout blocks 2, 3', [await c.get(2), await c.get(3)])
      await t.value('commit the checkout', () => core.commit(c))
      t.lengths('core', core)
    }
  },
  {
    name: 'named session: a read-only core commits only what it already signs; the state survives a reopen',
    async run(target, t) {
      const writer = target.openAt('named-writer')
      await t.value('writer append', () => writer.append(['a', 'b']))
      const key = writer.key!
      const b = target.track(writer.session({ name: 'kept', valueEncoding: 'utf-8' }))
      await t.value('batch append c d e', () => b.append(['c', 'd', 'e']))
      await t.call('close batch', () => b.close())
      await t.call('close writer', () => writer.close())
      const again = target.openAt('named-writer', key)
      await t.call('reopen', () => again.ready())
      t.lengths('reopened core', again)
      const reopened = target.track(again.session({ name: 'kept', valueEncoding: 'utf-8' }))
      await t.call('reopened batch ready', () => reopened.ready())
      t.lengths('reopened batch', reopened)
      await t.value('reopened batch get 4', () => reopened.get(4))
      await t.value('commit the reopened batch', () => again.commit(reopened))
      t.lengths('core after commit', again)

      const reader = target.open(key)
      await t.call('reader ready', () => reader.ready())
      const rb = target.track(reader.session({ name: 'guess', valueEncoding: 'utf-8' }))
      await t.call('reader batch ready', () => rb.ready())
      t.note('reader batch writable', rb.writable)
      await t.value('reader batch append', () => rb.append('z'))
      await t.value('reader commit (cannot sign)', () => reader.commit(rb))
      t.lengths('reader', reader)
    }
  }
]
