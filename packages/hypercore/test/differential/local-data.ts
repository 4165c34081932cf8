/**
 * Scenarios on one core, no peers: appending in every encoding, reading back, ranges, truncation,
 * user data, clearing, tree hashes, streams and seeking.
 */
import { bytes, CORE_EVENTS, collect, filled, infoOf, seed, take } from './helpers.ts'
import type { Scenario } from './targets.ts'
import { utf8 } from './trace.ts'

/** A user-defined value encoding in the `{ encode, decode }` shape: a 32-bit big-endian number. */
const uint32be = {
  encode(n: number): Uint8Array {
    const b = new Uint8Array(4)
    new DataView(b.buffer).setUint32(0, n)
    return b
  },
  decode(b: Uint8Array): number {
    return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0)
  }
}

interface State {
  start: number
  end: number
  buffer: Uint8Array | null
}

/** A compact-encoding-shaped codec (preencode/encode/decode over a state): a length-prefixed pair. */
const pair = {
  preencode(state: State, v: [string, string]): void {
    state.end += 2 + utf8(v[0]).byteLength + utf8(v[1]).byteLength
  },
  encode(state: State, v: [string, string]): void {
    for (const s of v) {
      const b = utf8(s)
      state.buffer![state.start++] = b.byteLength
      state.buffer!.set(b, state.start)
      state.start += b.byteLength
    }
  },
  decode(state: State): [string, string] {
    const out: string[] = []
    for (let k = 0; k < 2; k++) {
      const n = state.buffer![state.start++]
      out.push(new TextDecoder().decode(state.buffer!.subarray(state.start, state.start + n)))
      state.start += n
    }
    return out as [string, string]
  }
}

export const localDataScenarios: Scenario[] = [
  {
    name: 'append binary blocks (single, batch, string, empty), get them back, has, info, events',
    async run(target, t) {
      const core = target.create()
      t.watch('core', core, CORE_EVENTS)
      await t.call('ready', () => core.ready())
      t.note('opened', core.opened)
      t.state('empty', core)
      await t.events('after ready')
      await t.value('append one', () => core.append(utf8('hello')))
      await t.events('after one append')
      await t.value('append batch', () => core.append([bytes(1, 2, 3), bytes(), bytes(255)]))
      await t.value('append string', () => core.append('plain string'))
      await t.value('append empty batch', () => core.append([]))
      await t.events('after more appends')
      t.state('after appends', core)
      for (let i = 0; i < 5; i++) await t.value(`get ${i}`, () => core.get(i))
      await t.value('get 0 as utf-8', () => core.get(0, { valueEncoding: 'utf-8' }))
      for (const [s, e] of [
        [0, 1],
        [0, 5],
        [2, 4],
        [4, 6],
        [5, 6],
        [9, 10]
      ]) {
        await t.value(`has ${s}..${e}`, () => core.has(s, e))
      }
      await t.value('has 3', () => core.has(3))
      await t.value('info', () => infoOf(core))
      await t.value('get past the end, wait false', () => core.get(5, { wait: false }))
      await t.value('get past the end, 150 ms timeout', () => core.get(5, { timeout: 150 }))
      await t.call('close', () => core.close())
      await t.events('after close')
    }
  },
  {
    name: 'utf-8 encoding: strings in, strings out; other encodings per get',
    async run(target, t) {
      const core = target.create({ valueEncoding: 'utf-8' })
      await t.call('ready', () => core.ready())
      await t.value('append one', () => core.append('grüße'))
      await t.value('append batch', () => core.append(['a', '', 'ünïcödé ✓']))
      t.state('state', core)
      for (let i = 0; i < 4; i++) await t.value(`get ${i}`, () => core.get(i))
      await t.value('get 0 binary', () => core.get(0, { valueEncoding: 'binary' }))
      await t.value('get 3 json (not JSON)', () => core.get(3, { valueEncoding: 'json' }))
      await t.value('read stream', () => collect(core.createReadStream()))
      const bin = target.track(core.session({ valueEncoding: 'binary' }))
      await t.value('binary session get 3', () => bin.get(3))
      await t.call('close session', () => bin.close())
    }
  },
  {
    name: 'json encoding: values round-trip; a utf-8 session sees the JSON text',
    async run(target, t) {
      const core = target.create({ valueEncoding: 'json' })
      await t.call('ready', () => core.ready())
      const values = [{ a: 1, b: [true, null] }, 'str', 42, [1, 2, 3], { nested: { x: 'y' } }]
      await t.value('append one', () => core.append(values[0]))
      await t.value('append batch', () => core.append(values.slice(1)))
      t.state('state', core)
      for (let i = 0; i < values.length; i++) await t.value(`get ${i}`, () => core.get(i))
      const text = target.track(core.session({ valueEncoding: 'utf-8' }))
      await t.value('utf-8 session get 0', () => text.get(0))
      await t.value('get 4 as binary', () => core.get(4, { valueEncoding: 'binary' }))
      await t.value('read stream 1..3', () => collect(core.createReadStream({ start: 1, end: 3 })))
      await t.call('close session', () => text.close())
    }
  },
  {
    name: 'custom { encode, decode } value encoding',
    async run(target, t) {
      const core = target.create({ valueEncoding: uint32be })
      await t.call('ready', () => core.ready())
      await t.value('append one', () => core.append(7))
      await t.value('append batch', () => core.append([258, 65_536, 4_294_967_295]))
      t.state('state', core)
      for (let i = 0; i < 4; i++) await t.value(`get ${i}`, () => core.get(i, { timeout: 500 }))
      await t.value('get 1 binary', () => core.get(1, { valueEncoding: 'binary', timeout: 500 }))
      await t.value('read stream', () => collect(core.createReadStream()))
      const plain = target.create()
      await t.call('plain core ready', () => plain.ready())
      await t.value('plain append', () => plain.append(bytes(0, 0, 1, 0)))
      await t.value('plain get with the custom encoding', () => plain.get(0, { valueEncoding: uint32be }))
    }
  },
  {
    name: 'custom compact-encoding-style value encoding (preencode/encode/decode)',
    async run(target, t) {
      const core = target.create({ valueEncoding: pair })
      await t.call('ready', () => core.ready())
      await t.value('append batch', () =>
        core.append([
          ['k', 'v'],
          ['', 'empty key']
        ])
      )
      t.state('state', core)
      await t.value('get 0', () => core.get(0))
      await t.value('get 1', () => core.get(1))
      await t.value('get 1 binary', () => core.get(1, { valueEncoding: 'binary' }))
    }
  },
  {
    name: 'truncate: lengths, forks, byte lengths, events, tree hashes, appending after',
    async run(target, t) {
      const core = target.create({ valueEncoding: 'utf-8' })
      t.watch('core', core, ['append', 'truncate'])
      await t.call('ready', () => core.ready())
      await t.value('append', () => core.append(['a', 'bb', 'ccc', 'dddd', 'eeeee']))
      await t.value('tree hash at 3', () => core.treeHash(3))
      await t.events('after append')
      await t.call('truncate to 3', () => core.truncate(3))
      t.state('after truncate', core)
      await t.events('after truncate')
      await t.value('tree hash after truncate', () => core.treeHash())
      await t.value('get 2', () => core.get(2))
      await t.value('get 3, wait false', () => core.get(3, { wait: false }))
      await t.value('has 3', () => core.has(3))
      await t.value('append after truncate', () => core.append('new'))
      await t.value('get 3', () => core.get(3))
      await t.events('after append')
      await t.call('truncate to 2 with fork 5', () => core.truncate(2, 5))
      t.state('after truncate with fork', core)
      await t.call('truncate to the same length', () => core.truncate(2))
      t.state('after same-length truncate', core)
      await t.events('after truncates')
      await t.call('truncate past the end', () => core.truncate(10))
      await t.call('truncate to 0', () => core.truncate())
      t.state('after truncate to 0', core)
      await t.value('info', () => infoOf(core))
      await t.value('tree hash of empty', () => core.treeHash())
      await t.events('at end')
    }
  },
  {
    name: 'user data: set, get, overwrite, delete, missing, visible from a session',
    async run(target, t) {
      const core = target.create()
      await t.call('ready', () => core.ready())
      await t.value('missing', () => core.getUserData('nope'))
      await t.call('set bytes', () => core.setUserData('k', bytes(1, 2, 3)))
      await t.value('get bytes', () => core.getUserData('k'))
      await t.call('set string', () => core.setUserData('s', 'text value'))
      await t.value('get string', () => core.getUserData('s'))
      await t.call('overwrite', () => core.setUserData('k', bytes(9)))
      await t.value('get overwritten', () => core.getUserData('k'))
      const s = target.track(core.session())
      await t.value('session sees it', () => s.getUserData('k'))
      await t.call('delete with null', () => core.setUserData('k', null))
      await t.value('get deleted', () => core.getUserData('k'))
      await t.value('other key kept', () => core.getUserData('s'))
      await t.call('close session', () => s.close())
    }
  },
  {
    name: 'clear: blocks go, length and tree stay, contiguous length drops',
    async run(target, t) {
      const core = target.create({ valueEncoding: 'utf-8' })
      await t.call('ready', () => core.ready())
      await t.value('append', () => core.append(['zero', 'one', 'two', 'three', 'four']))
      await t.value('tree hash', () => core.treeHash())
      await t.call('clear 1', () => core.clear(1))
      t.state('after clear 1', core)
      await t.value('tree hash after clear 1', () => core.treeHash())
      await t.value('has 1', () => core.has(1))
      await t.value('has 0..5', () => core.has(0, 5))
      await t.value('get 1, wait false', () => core.get(1, { wait: false }))
      await t.value('get 0', () => core.get(0))
      await t.call('clear 3..5', () => core.clear(3, 5))
      await t.value('has 2', () => core.has(2))
      await t.value('has 3..5', () => core.has(3, 5))
      await t.value('info', () => infoOf(core))
      await t.call('clear past the end', () => core.clear(9, 12))
      await t.call('clear empty range', () => core.clear(2, 2))
      await t.value('get 2', () => core.get(2))
      await t.value('append after clear', () => core.append('five'))
      t.state('after append', core)
    }
  },
  {
    name: 'same key pair and content: same key, discovery key and tree hashes in both',
    async run(target, t) {
      const keyPair = target.keyPair(seed(1))
      const core = target.create({ keyPair })
      await t.call('ready', () => core.ready())
      t.note('key', core.key)
      t.note('discovery key', core.discoveryKey)
      t.note('writable', core.writable)
      await t.value('empty tree hash', () => core.treeHash())
      await t.value('append', () => core.append([utf8('one'), utf8('two'), utf8('three')]))
      await t.value('append more', () => core.append([filled(1000, 7), filled(3, 9)]))
      for (const len of [1, 2, 3, 4, 5]) await t.value(`tree hash at ${len}`, () => core.treeHash(len))
      await t.value('tree hash', () => core.treeHash())
      await t.value('info with keys', () => infoOf(core, true))
      const reader = target.open(core.key!)
      await t.call('reader by key ready', () => reader.ready())
      t.note('reader key', reader.key)
      t.state('reader', reader)
    }
  },
  {
    name: 'read streams: whole core, start/end windows, empty windows, live',
    async run(target, t) {
      const core = target.create({ valueEncoding: 'utf-8' })
      await t.call('ready', () => core.ready())
      await t.value('append', () => core.append(['b0', 'b1', 'b2', 'b3', 'b4', 'b5']))
      await t.value('all', () => collect(core.createReadStream()))
      await t.value('start 2', () => collect(core.createReadStream({ start: 2 })))
      await t.value('start 1 end 4', () => collect(core.createReadStream({ start: 1, end: 4 })))
      await t.value('end 2', () => collect(core.createReadStream({ end: 2 })))
      await t.value('start 4 end 4', () => collect(core.createReadStream({ start: 4, end: 4 })))
      await t.value('start past length', () => collect(core.createReadStream({ start: 9 })))
      const live = t.start('live: 8 blocks', () => take(core.createReadStream({ live: true }), 8))
      await t.value('append while live', () => core.append(['b6', 'b7']))
      await live()
      const bin = target.track(core.session({ valueEncoding: 'binary' }))
      await t.value('binary session, start 5', () => collect(bin.createReadStream({ start: 5 })))
      await t.call('close session', () => bin.close())
    }
  },
  {
    name: 'byte streams and seek across block boundaries',
    async run(target, t) {
      const core = target.create()
      await t.call('ready', () => core.ready())
      await t.value('append', () => core.append([filled(3, 1), filled(5, 2), filled(1, 3), filled(4, 4)]))
      t.note('byte length', core.byteLength)
      for (const b of [0, 2, 3, 7, 8, 9, 12]) await t.value(`seek ${b}`, () => core.seek(b))
      await t.value('seek byteLength, wait false', () => core.seek(13, { wait: false }))
      await t.value('seek far, wait false', () => core.seek(100, { wait: false }))
      await t.value('bytes: all', () => collect(core.createByteStream()))
      await t.value('bytes: from 4', () => collect(core.createByteStream({ byteOffset: 4 })))
      await t.value('bytes: 2 + 7', () => collect(core.createByteStream({ byteOffset: 2, byteLength: 7 })))
      await t.value('bytes: 3 + 5', () => collect(core.createByteStream({ byteOffset: 3, byteLength: 5 })))
      await t.value('bytes: length 0', () => collect(core.createByteStream({ byteLength: 0 })))
      await t.value('bytes: offset at end', () => collect(core.createByteStream({ byteOffset: 13 })))
    }
  }
]
