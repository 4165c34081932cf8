/**
 * mirror-drive 1.14's own scenarios, each run four ways on twin worlds built the same way (see
 * {@link Setup}): the real mirror-drive on the real drives, then ours on the real drives, on our
 * localdrive, and on our localdrive and our hyperdrive. All must yield the same diffs in the same
 * order, the same counts and byte totals, and leave the same destination; the values
 * mirror-drive's tests expect are asserted on top.
 */
import { Transform as NodeTransform } from 'node:stream'
import { afterAll, describe, expect, it } from 'vitest'
import { Localdrive } from '../../localdrive/src/node.ts'
import { type MirrorDiff, MirrorDrive } from '../src/index.ts'
import {
  cleanup,
  collect,
  describeDrive,
  oursHyperdrive,
  plainDiffs,
  type Real,
  RealLocaldrive,
  RealMirrorDrive,
  realHyperdrive,
  sortDiffs,
  tmp
} from './helpers.ts'

afterAll(cleanup)

/**
 * `real`: the real mirror-drive, localdrive and hyperdrive. `ours-on-real`: our mirror on the real
 * drives. `ours`: our mirror and localdrive, the real hyperdrive. `all-ours`: our mirror,
 * localdrive and hyperdrive.
 */
type Setup = 'real' | 'ours-on-real' | 'ours' | 'all-ours'
const SETUPS: Setup[] = ['real', 'ours-on-real', 'ours', 'all-ours']

interface World {
  local: Real
  hyper: Real
  other: Real // a second, empty localdrive
  /** A mirror of this world's kind (real or ours). */
  mirror(src: Real, dst: Real, opts?: object): AsyncIterable<MirrorDiff>
}

async function setupDrive(drive: Real): Promise<void> {
  await drive.put('/equal.txt', Buffer.from('same'))
  await drive.put('/equal-meta.txt', Buffer.from('same'), { metadata: 'same' })
  await drive.put('/buffer.txt', Buffer.from('same'))
  await drive.put('/meta.txt', Buffer.from('same'), { metadata: 'same' })
  await drive.put('/add-meta.txt', Buffer.from('same'))
  await drive.put('/tmp.txt', Buffer.from('same'))
}

async function changeDrive(drive: Real): Promise<MirrorDiff[]> {
  await drive.put('/new.txt', Buffer.from('add'))
  await drive.put('/buffer.txt', Buffer.from('edit'))
  await drive.put('/meta.txt', Buffer.from('same'), { metadata: 'edit' })
  await drive.put('/add-meta.txt', Buffer.from('same'), { metadata: 'add' })
  await drive.del('/tmp.txt')
  return [
    { op: 'remove', key: '/tmp.txt', bytesRemoved: 4, bytesAdded: 0 },
    { op: 'change', key: '/add-meta.txt', bytesRemoved: 0, bytesAdded: 0 },
    { op: 'change', key: '/buffer.txt', bytesRemoved: 4, bytesAdded: 4 },
    { op: 'equal', key: '/equal-meta.txt', bytesRemoved: 0, bytesAdded: 0 },
    { op: 'equal', key: '/equal.txt', bytesRemoved: 0, bytesAdded: 0 },
    { op: 'change', key: '/meta.txt', bytesRemoved: 0, bytesAdded: 0 },
    { op: 'add', key: '/new.txt', bytesRemoved: 0, bytesAdded: 3 }
  ]
}

async function addFolders(drive: Real): Promise<void> {
  for (const k of ['a', 'b', 'sub/a', 'sub/b', 'sub/sub2/sub3/a', 'sub/sub2/sub3/b']) {
    await drive.put(`/examples/${k}.txt`, Buffer.from('same'))
  }
}

async function makeWorld(setup: Setup, opts: { setup?: boolean; key?: Uint8Array } = {}): Promise<World> {
  const Local = setup === 'ours' || setup === 'all-ours' ? Localdrive : RealLocaldrive
  const local = new Local(tmp(), { metadata: new Map() })
  const other = new Local(tmp(), { metadata: new Map() })
  const hyper = setup === 'all-ours' ? await oursHyperdrive(opts.key) : await realHyperdrive(opts.key)
  if (opts.setup !== false && !opts.key) {
    await setupDrive(local)
    await setupDrive(hyper)
  }
  return { local, hyper, other, mirror: (src, dst, o) => newMirror(setup, src, dst, o) }
}

function newMirror(setup: Setup, src: Real, dst: Real, opts?: object): Real {
  return setup === 'real' ? new RealMirrorDrive(src, dst, opts) : new MirrorDrive(src, dst, opts)
}

interface Outcome {
  diffs: MirrorDiff[]
  count: unknown
  bytesAdded: number
  bytesRemoved: number
  error: string | null
  dst: Record<string, unknown>
  extra: unknown
}

interface Scenario {
  name: string
  worldOpts?: { setup?: boolean; key?: Uint8Array }
  /** Changes the world; returns what `expected` gets as `prepared`. */
  prepare?(w: World): Promise<unknown>
  /** The mirror to run, from `src` to `dst`, with options. */
  pair(w: World): [src: Real, dst: Real, opts?: object]
  /** Observations made while iterating (e.g. in batch mode), or after. */
  during?(w: World, diff: MirrorDiff, i: number): Promise<unknown>
  after?(w: World): Promise<unknown>
  /** Assertions on the (common) outcome. */
  expected(o: Outcome, prepared: unknown): void
}

async function runScenario(s: Scenario, setup: Setup): Promise<Outcome> {
  const w = await makeWorld(setup, s.worldOpts)
  const prepared = await s.prepare?.(w)
  const [src, dst, opts] = s.pair(w)
  const m = newMirror(setup, src, dst, opts)
  expect(m.count).toEqual({ files: 0, add: 0, remove: 0, change: 0 })
  const diffs: MirrorDiff[] = []
  const seen: unknown[] = []
  let error: string | null = null
  try {
    let i = 0
    for await (const diff of m) {
      diffs.push(diff)
      if (s.during) seen.push(await s.during(w, diff, i))
      i++
    }
  } catch (err) {
    error = (err as Error).message
  }
  if (s.after) seen.push(await s.after(w))
  const out: Outcome = {
    diffs: plainDiffs(diffs),
    count: { ...m.count },
    bytesAdded: m.bytesAdded,
    bytesRemoved: m.bytesRemoved,
    error,
    dst: await describeDrive(dst),
    extra: seen
  }
  s.expected(out, prepared)
  return out
}

function defineScenario(s: Scenario): void {
  it(s.name, async () => {
    const outcomes: Outcome[] = []
    for (const setup of SETUPS) outcomes.push(await runScenario(s, setup))
    for (let i = 1; i < SETUPS.length; i++)
      expect({ [SETUPS[i]!]: outcomes[i] }).toEqual({ [SETUPS[i]!]: outcomes[0] })
  })
}

const b = (s: string) => Buffer.from(s)
const text = async (d: Real, k: string) => {
  const v = await d.get(k)
  return v === null ? null : Buffer.from(v).toString()
}

describe('mirror-drive scenarios, real and ours in every combination', () => {
  for (const dryRun of [false, true]) {
    defineScenario({
      name: `localdrive into hyperdrive${dryRun ? ' (dry run)' : ''}`,
      prepare: (w) => changeDrive(w.local),
      pair: (w) => [w.local, w.hyper, { includeEquals: true, dryRun }],
      after: async (w) => plainDiffs(await collect(w.mirror(w.local, w.hyper, { dryRun: true }))),
      expected(o, prepared) {
        expect(o.count).toEqual({ files: 6, add: 1, remove: 1, change: 3 })
        expect([o.bytesRemoved, o.bytesAdded]).toEqual([8, 7])
        expect(sortDiffs(o.diffs)).toEqual(sortDiffs(prepared as MirrorDiff[]))
        expect((o.extra as unknown[][])[0]!.length).toBe(dryRun ? 5 : 0) // a second pass finds nothing
      }
    })

    defineScenario({
      name: `hyperdrive into localdrive${dryRun ? ' (dry run)' : ''}`,
      prepare: (w) => changeDrive(w.hyper),
      pair: (w) => [w.hyper, w.local, { includeEquals: true, dryRun }],
      expected(o, prepared) {
        expect(o.count).toEqual({ files: 6, add: 1, remove: 1, change: 3 })
        // a localdrive has no putEntry: metadata-only changes rewrite the file
        expect([o.bytesRemoved, o.bytesAdded]).toEqual([16, 15])
        expect(o.diffs.map((d) => `${d.op} ${d.key}`).sort()).toEqual(
          (prepared as MirrorDiff[]).map((d) => `${d.op} ${d.key}`).sort()
        )
      }
    })
  }

  defineScenario({
    name: 'prune disabled',
    prepare: (w) => changeDrive(w.local),
    pair: (w) => [w.local, w.hyper, { prune: false, includeEquals: true }],
    expected(o, prepared) {
      expect(o.count).toEqual({ files: 6, add: 1, remove: 0, change: 3 })
      expect([o.bytesRemoved, o.bytesAdded]).toEqual([4, 7])
      expect(sortDiffs(o.diffs)).toEqual(
        sortDiffs((prepared as MirrorDiff[]).filter((d) => d.op !== 'remove'))
      )
      expect(o.dst['/tmp.txt']).toBeDefined()
    }
  })

  defineScenario({
    name: 'into a read-only drive',
    worldOpts: { key: new Uint8Array(32) },
    prepare: (w) => w.local.put('/tmp.txt', b('hello')),
    pair: (w) => [w.local, w.hyper],
    expected(o) {
      expect(o.error).toBe('Destination must be writable')
      expect(o.diffs).toEqual([])
    }
  })

  defineScenario({
    name: 'entries option',
    prepare: (w) => changeDrive(w.local),
    pair: (w) => [
      w.local,
      w.hyper,
      { includeEquals: true, entries: ['/tmp.txt', '/buffer.txt', '/equal.txt', '/new.txt'] }
    ],
    expected(o) {
      expect(o.count).toEqual({ files: 3, add: 1, remove: 1, change: 1 })
      expect([o.bytesRemoved, o.bytesAdded]).toEqual([8, 7])
      expect(o.dst['/meta.txt']).toMatchObject({ metadata: 'same' }) // not in entries: untouched
    }
  })

  defineScenario({
    name: 'ignore (keys and folders, normalised)',
    worldOpts: { setup: false },
    prepare: async (w) => {
      await setupDrive(w.local)
      await w.local.put('/folder/file.txt', b('same'))
      await w.local.put('/folder/subfolder/file.txt', b('same'))
    },
    pair: (w) => [w.local, w.hyper, { ignore: ['/equal.txt', 'tmp.txt', '/folder/subfolder'] }],
    expected(o) {
      expect(Object.keys(o.dst)).toEqual([
        '/add-meta.txt',
        '/buffer.txt',
        '/equal-meta.txt',
        '/folder/file.txt',
        '/meta.txt'
      ])
    }
  })

  defineScenario({
    name: 'ignore function with an unignored file in an ignored folder',
    worldOpts: { setup: false },
    prepare: async (w) => {
      await setupDrive(w.local)
      for (const k of ['/folder/file.txt', '/folder/subfolder/file.txt', '/folder/subfolder/otherfile.txt']) {
        await w.local.put(k, b('same'))
      }
    },
    pair: (w) => [
      w.local,
      w.hyper,
      {
        ignore: (key: string) => {
          if (
            key === '/folder/subfolder/otherfile.txt' ||
            '/folder/subfolder/otherfile.txt'.startsWith(`${key}/`)
          ) {
            return false
          }
          return ['/equal.txt', '/tmp.txt', '/folder/subfolder'].some(
            (p) => key === p || key.startsWith(`${p}/`)
          )
        }
      }
    ],
    expected(o) {
      expect(o.dst['/folder/subfolder/otherfile.txt']).toBeDefined()
      expect(o.dst['/folder/subfolder/file.txt']).toBeUndefined()
      expect(o.dst['/equal.txt']).toBeUndefined()
      expect(o.dst['/folder/file.txt']).toBeDefined()
    }
  })

  for (const batch of [false, true]) {
    defineScenario({
      name: `batch ${batch}: the destination changes ${batch ? 'at the end' : 'as it goes'}`,
      prepare: async (w) => {
        await w.local.put('/buffer.txt', b('edit'))
        await w.local.put('/tmp.txt', b('edit'))
        await w.local.del('/meta.txt')
      },
      pair: (w) => [w.local, w.hyper, { batch }],
      during: async (w, _d, i) =>
        i === 2 ? [await text(w.hyper, '/buffer.txt'), await text(w.hyper, '/tmp.txt')] : null,
      expected(o) {
        expect(o.diffs.map((d) => d.op)).toEqual(['remove', 'change', 'change'])
        const atThird = (o.extra as Array<string[] | null>)[2]!
        if (batch) expect(atThird).toEqual(['same', 'same'])
        else expect(atThird).toContain('edit')
        expect(o.dst['/buffer.txt']).toMatchObject({ bytes: b('edit').toString('base64') })
        expect(o.dst['/tmp.txt']).toMatchObject({ bytes: b('edit').toString('base64') })
      }
    })
  }

  const single: Array<[string, (w: World) => Promise<unknown>, MirrorDiff[]]> = [
    [
      'remove',
      (w) => w.local.del('/tmp.txt'),
      [{ op: 'remove', key: '/tmp.txt', bytesRemoved: 4, bytesAdded: 0 }]
    ],
    [
      'add',
      (w) => w.local.put('/new-tmp.txt', b('same')),
      [{ op: 'add', key: '/new-tmp.txt', bytesRemoved: 0, bytesAdded: 4 }]
    ],
    [
      'change content (same size)',
      (w) => w.local.put('/buffer.txt', b('edit')),
      [{ op: 'change', key: '/buffer.txt', bytesRemoved: 4, bytesAdded: 4 }]
    ],
    [
      'change size',
      (w) => w.local.put('/buffer.txt', b('edit-ed')),
      [{ op: 'change', key: '/buffer.txt', bytesRemoved: 4, bytesAdded: 7 }]
    ],
    [
      'change metadata only (putEntry, no bytes)',
      (w) => w.local.put('/meta.txt', b('same'), { metadata: 'edit' }),
      [{ op: 'change', key: '/meta.txt', bytesRemoved: 0, bytesAdded: 0 }]
    ],
    [
      'add an executable',
      (w) => w.local.put('/script.sh', b('# bash'), { executable: true }),
      [{ op: 'add', key: '/script.sh', bytesRemoved: 0, bytesAdded: 6 }]
    ],
    [
      'executable bit change only',
      async (w) => {
        await w.local.put('/script.sh', b('# bash'), { executable: false })
        await w.hyper.put('/script.sh', b('# bash'), { executable: true })
      },
      [{ op: 'change', key: '/script.sh', bytesRemoved: 0, bytesAdded: 0 }]
    ],
    [
      'same executable',
      async (w) => {
        await w.local.put('/script.sh', b('# bash'), { executable: true })
        await w.hyper.put('/script.sh', b('# bash'), { executable: true })
      },
      []
    ],
    [
      'add a symlink',
      (w) => w.local.symlink('/tmp.shortcut', '/tmp.txt'),
      [{ op: 'add', key: '/tmp.shortcut', bytesRemoved: 0, bytesAdded: 0 }]
    ],
    [
      'a symlink over a file',
      async (w) => {
        await w.local.symlink('/tmp.shortcut', '/tmp.txt')
        await w.hyper.put('/tmp.shortcut', b('same'))
      },
      [{ op: 'change', key: '/tmp.shortcut', bytesRemoved: 4, bytesAdded: 0 }]
    ],
    [
      'a symlink retargeted',
      async (w) => {
        await w.local.symlink('/tmp.shortcut', '/buffer.txt')
        await w.hyper.symlink('/tmp.shortcut', '/tmp.txt')
      },
      [{ op: 'change', key: '/tmp.shortcut', bytesRemoved: 0, bytesAdded: 0 }]
    ],
    [
      'a symlink pruned',
      (w) => w.hyper.symlink('/tmp.shortcut', '/tmp.txt'),
      [{ op: 'remove', key: '/tmp.shortcut', bytesRemoved: 0, bytesAdded: 0 }]
    ],
    [
      'the same symlink',
      async (w) => {
        await w.local.symlink('/tmp.shortcut', '/tmp.txt')
        await w.hyper.symlink('/tmp.shortcut', '/tmp.txt')
      },
      []
    ],
    [
      'prune a file only the destination has',
      (w) => w.hyper.put('/new-tmp.txt', b('same')),
      [{ op: 'remove', key: '/new-tmp.txt', bytesRemoved: 4, bytesAdded: 0 }]
    ]
  ]
  for (const [name, prepare, expectedDiffs] of single) {
    defineScenario({
      name,
      prepare,
      pair: (w) => [w.local, w.hyper],
      after: async (w) => plainDiffs(await collect(w.mirror(w.local, w.hyper))),
      expected(o) {
        expect(o.diffs).toEqual(expectedDiffs)
        expect((o.extra as unknown[][])[0]).toEqual([]) // mirrored: nothing left to do
      }
    })
  }

  defineScenario({
    name: 'prune dry run keeps the file',
    prepare: (w) => w.hyper.put('/new-tmp.txt', b('same')),
    pair: (w) => [w.local, w.hyper, { dryRun: true }],
    expected(o) {
      expect(o.diffs).toEqual([{ op: 'remove', key: '/new-tmp.txt', bytesRemoved: 4, bytesAdded: 0 }])
      expect(o.dst['/new-tmp.txt']).toBeDefined()
    }
  })

  for (const [from, to] of [
    ['local', 'hyper'],
    ['hyper', 'local']
  ] as const) {
    defineScenario({
      name: `filter ${from} → ${to}`,
      prepare: async (w) => {
        await changeDrive(w[from])
        await addFolders(w.local)
        await addFolders(w.hyper)
      },
      pair: (w) => [w[from], w[to], { filter: (key: string) => key === '/tmp.txt' || key === '/buffer.txt' }],
      expected(o) {
        expect(o.diffs).toEqual([
          { op: 'remove', key: '/tmp.txt', bytesRemoved: 4, bytesAdded: 0 },
          { op: 'change', key: '/buffer.txt', bytesRemoved: 4, bytesAdded: 4 }
        ])
      }
    })
  }

  defineScenario({
    name: 'prefix (a folder, and a prefix that is a file)',
    prepare: async (w) => {
      await changeDrive(w.local)
      await w.local.put('/examples/a.txt', b('same'))
      await w.local.put('/examples/b.txt', b('same'))
      await w.hyper.put('/examples/a.txt', b('same'))
    },
    pair: (w) => [w.local, w.hyper, { prefix: ['/examples', '/new.txt'] }],
    expected(o) {
      expect(o.diffs).toEqual([
        { op: 'add', key: '/examples/b.txt', bytesRemoved: 0, bytesAdded: 4 },
        { op: 'add', key: '/new.txt', bytesRemoved: 0, bytesAdded: 3 }
      ])
      expect(o.dst['/tmp.txt']).toBeDefined() // outside the prefixes: not pruned
    }
  })

  const metaCases: Array<[string, unknown, unknown, MirrorDiff[]]> = [
    ['equal', 'same', 'same', []],
    ['change', 'same', 'edit', [{ op: 'change', key: '/tmp.txt', bytesRemoved: 0, bytesAdded: 0 }]],
    ['remove', null, 'same', [{ op: 'change', key: '/tmp.txt', bytesRemoved: 0, bytesAdded: 0 }]],
    ['new', 'same', null, [{ op: 'change', key: '/tmp.txt', bytesRemoved: 0, bytesAdded: 0 }]],
    ['deep objects in any key order', { a: [1, { b: 2 }], c: 'x' }, { c: 'x', a: [1, { b: 2 }] }, []]
  ]
  for (const [name, srcMeta, dstMeta, expectedDiffs] of metaCases) {
    defineScenario({
      name: `metadataEquals: ${name}`,
      worldOpts: { setup: false },
      prepare: async (w) => {
        await w.local.put('/tmp.txt', b('same'), { metadata: srcMeta })
        await w.hyper.put('/tmp.txt', b('same'), { metadata: dstMeta })
      },
      pair: (w) => [
        w.local,
        w.hyper,
        name.startsWith('deep') ? {} : { metadataEquals: (x: unknown, y: unknown) => x === y }
      ],
      expected(o) {
        expect(o.diffs).toEqual(expectedDiffs)
        expect(o.count).toMatchObject({ files: 1 })
      }
    })
  }

  defineScenario({
    name: 'dedup into a hyperdrive, then nothing to do either way',
    worldOpts: { setup: false },
    prepare: (w) => w.local.put('/file.txt', b('same content')),
    pair: (w) => [w.local, w.hyper, { dedup: true }],
    after: async (w) => [
      plainDiffs(await collect(w.mirror(w.local, w.hyper))),
      plainDiffs(await collect(w.mirror(w.hyper, w.local)))
    ],
    expected(o) {
      expect(o.diffs).toEqual([{ op: 'add', key: '/file.txt', bytesRemoved: 0, bytesAdded: 12 }])
      expect(o.extra).toEqual([[[], []]])
    }
  })

  defineScenario({
    name: 'localdrive into localdrive, a file where a folder was',
    worldOpts: { setup: false },
    prepare: async (w) => {
      await w.other.put('/folder/file', b('actually a file'))
      await w.local.put('/folder', b('but its a file'))
    },
    pair: (w) => [w.local, w.other],
    expected(o) {
      expect(o.diffs).toEqual([
        { op: 'remove', key: '/folder/file', bytesRemoved: 15, bytesAdded: 0 },
        { op: 'add', key: '/folder', bytesRemoved: 0, bytesAdded: 14 }
      ])
      expect(Object.keys(o.dst)).toEqual(['/folder'])
    }
  })

  const upper = () =>
    new NodeTransform({
      transform(chunk, _enc, cb) {
        cb(null, Buffer.from(String(chunk).toUpperCase()))
      }
    })

  defineScenario({
    name: 'transformers (Node Transform): copies transformed, always rewrites',
    prepare: (w) => w.local.put('/notes.txt', b('hello world')),
    pair: (w) => [w.local, w.other, { transformers: [upper] }],
    after: async (w) => [await text(w.other, '/notes.txt'), await text(w.other, '/equal.txt')],
    expected(o) {
      expect(o.extra).toEqual([['HELLO WORLD', 'SAME']])
      expect(o.count).toEqual({ files: 7, add: 7, remove: 0, change: 0 })
    }
  })

  defineScenario({
    name: 'transformers: a null factory result passes bytes through, reruns still change',
    prepare: async (w) => {
      await collect(w.mirror(w.local, w.other))
    },
    pair: (w) => [w.local, w.other, { transformers: [() => null], includeEquals: true }],
    expected(o) {
      expect(o.diffs.length).toBe(6)
      for (const d of o.diffs) expect(d.op).toBe('change')
    }
  })

  defineScenario({
    name: 'transformers: an error in a transform aborts the mirror',
    pair: (w) => [
      w.local,
      w.other,
      {
        transformers: [
          () => new NodeTransform({ transform: (_c, _e, cb) => cb(new Error('transform boom')) })
        ]
      }
    ],
    expected(o) {
      expect(o.error).toBe('transform boom')
      expect(o.diffs.length).toBe(1)
    }
  })

  for (const [name, transformers, message] of [
    ['a non-function transformer', [123], 'transformer must be a function'],
    [
      'a transformer returning a non-stream',
      [() => ({ not: 'a stream' })],
      'transformer must return a stream'
    ]
  ] as const) {
    defineScenario({
      name: `transformers: ${name} fails the mirror`,
      pair: (w) => [w.local, w.other, { transformers }],
      expected(o) {
        expect(o.error).toBe(message)
      }
    })
  }
})
