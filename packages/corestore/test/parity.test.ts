/**
 * Acceptance 5: the gist of corestore 7's own tests (basic, namespaces, sessions, close,
 * replicate, list), run as differential checks — the same scenario on our store and on the real
 * corestore 7.12.5, with the same primary key, and what a user observes compared.
 */
import { join } from 'node:path'
import { ready } from '@orchard/crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Corestore } from '../src/index.ts'
import { type Any, cleanup, hex, RealCorestore, tmp, toArray } from './helpers.ts'

beforeAll(() => ready())
afterAll(() => cleanup())

const PRIMARY = new Uint8Array(32).fill(1)
type Kind = 'ours' | 'real'
const bytes = (kind: Kind, b: Uint8Array) => (kind === 'real' ? Buffer.from(b) : b)

function open(kind: Kind, dir: string, opts: Record<string, unknown> = {}): Any {
  const o = { primaryKey: bytes(kind, PRIMARY), unsafe: true, ...opts }
  return kind === 'ours' ? new Corestore(join(dir, 'ours'), o) : new RealCorestore(join(dir, 'real'), o)
}
function reopen(kind: Kind, dir: string): Any {
  return kind === 'ours' ? new Corestore(join(dir, 'ours')) : new RealCorestore(join(dir, 'real'))
}

/** Runs `scenario` on both stores and expects the same observations. */
async function differential(scenario: (kind: Kind, dir: string) => Promise<unknown>) {
  const dir = tmp()
  const ours = await scenario('ours', dir)
  const real = await scenario('real', dir)
  expect(ours).toEqual(real)
  return ours
}

describe('corestore 7 behaviour, differentially', () => {
  it('basic: one name, one core; the manifest names the derived signer', async () => {
    const seen = await differential(async (kind, dir) => {
      const store = open(kind, dir)
      const a = store.get({ name: 'test' })
      const b = store.get({ name: 'test' })
      await a.ready()
      await b.ready()
      const out = {
        key: hex(a.key),
        same: a.core === b.core && hex(a.key) === hex(b.key),
        signers: a.manifest.signers.length,
        version: a.manifest.version,
        keyIsSigner: hex(a.key) === hex(a.manifest.signers[0].publicKey),
        writable: a.writable
      }
      await store.close()
      return out
    })
    expect(seen).toMatchObject({ same: true, signers: 1, keyIsSigner: false, writable: true })
  })

  it('pass primary key: persisted in the root; the same key gives the same cores', async () => {
    await differential(async (kind, dir) => {
      const store = open(kind, dir)
      const core = store.get({ name: 'test' })
      await core.ready()
      const key = hex(core.key)
      const pk = hex(store.primaryKey)
      await store.close()
      const again = reopen(kind, dir)
      await again.ready()
      const core2 = again.get({ name: 'test' })
      await core2.ready()
      const out = { key, pk, reopenedPk: hex(again.primaryKey), reopenedKey: hex(core2.key) }
      await again.close()
      return out
    })
  })

  it('named cores are stable: a name keeps the manifest it was created with (v0 too)', async () => {
    await differential(async (kind, dir) => {
      const store = open(kind, dir)
      await store.ready()
      const keyPair = await store.createKeyPair('test')
      const core = store.get({
        name: 'test',
        manifest: { version: 0, signers: [{ publicKey: keyPair.publicKey }] }
      })
      await core.ready()
      const first = { key: hex(core.key), version: core.manifest.version }
      await store.close()
      const fresh = reopen(kind, dir)
      const again = fresh.get({ name: 'test' })
      await again.ready()
      const out = { first, key: hex(again.key), version: again.manifest.version }
      await fresh.close()
      return out
    })
  })

  it('can set the default manifest version per session; a stored name keeps its own', async () => {
    await differential(async (kind, dir) => {
      const store = open(kind, dir)
      const t1 = store.get({ name: 'test' })
      await t1.ready()
      const v2 = store.session({ manifestVersion: 2 })
      const t2 = v2.get({ name: 'test' })
      const t3 = v2.get({ name: 'test3' })
      await t2.ready()
      await t3.ready()
      const out = {
        k1: hex(t1.key),
        k2: hex(t2.key),
        v2: t2.manifest.version,
        k3: hex(t3.key),
        v3: t3.manifest.version
      }
      await store.close()
      return out
    })
  })

  it('namespaces: nested namespaces, session() returns to the root namespace', async () => {
    await differential(async (kind, dir) => {
      const store = open(kind, dir)
      const ns = store.namespace('a').namespace('b')
      const s = store.namespace('a').session()
      const core = ns.get({ name: 'x' })
      await core.ready()
      const out = { ns: hex(ns.ns), sessionNs: hex(s.ns), key: hex(core.key) }
      await store.close()
      return out
    })
  })

  it('list: every core in discovery-key order; a namespace lists its named cores', async () => {
    await differential(async (kind, dir) => {
      const store = open(kind, dir)
      const namespace = store.namespace('test')
      for (let i = 0; i < 10; i++) await (i < 5 ? store : namespace).get({ name: `core${i}` }).ready()
      const all = (await toArray(store.list())).map((d) => hex(d as Uint8Array))
      const inNs = (await toArray(store.list(namespace.ns))).map((d) => hex(d as Uint8Array))
      await store.close()
      return { all, inNs }
    })
  })

  it('close: the store closes its sessions, a store session closes only its own', async () => {
    await differential(async (kind, dir) => {
      const store = open(kind, dir)
      const session = store.session()
      const a = session.get({ name: 'test' })
      const b = store.get({ name: 'other' })
      await a.ready()
      await b.ready()
      await session.close()
      const afterSession = { a: a.closed, b: b.closed }
      await store.close()
      return { afterSession, b: b.closed, closed: store.closed }
    })
  })

  it('a key passed is available immediately; an unknown discovery key fails to open', async () => {
    await differential(async (kind, dir) => {
      const store = open(kind, dir)
      const a = store.get({ key: bytes(kind, new Uint8Array(32)) })
      const immediate = hex(a.key)
      const b = store.get({ discoveryKey: bytes(kind, new Uint8Array(32).fill(5)) })
      const failed = await b.ready().then(
        () => false,
        () => true
      )
      await store.close()
      return { immediate, failed }
    })
  })

  it('replicates: a clone by key reads what the other store wrote (closed there, opened on demand)', async () => {
    await differential(async (kind, dir) => {
      const store = open(kind, dir)
      const a = store.get({ name: 'foo' })
      await a.append(bytes(kind, new TextEncoder().encode('hello')))
      await a.close()
      const store2 =
        kind === 'ours' ? new Corestore(join(dir, 'ours2')) : new RealCorestore(join(dir, 'real2'))
      const clone = store2.get(bytes(kind, a.key))
      const s1 = store2.replicate(true)
      const s2 = store.replicate(false)
      s1.pipe(s2).pipe(s1)
      const got = new TextDecoder().decode(await clone.get(0, { timeout: 10_000 }))
      s1.destroy()
      s2.destroy()
      await store.close()
      await store2.close()
      return got
    })
  })
})
