/**
 * What a Corestore keeps in its storage root besides the cores themselves. Hypercore's layout
 * (`@orchard/hypercore`, `storage-layout.ts`) owns tags 00–02 of the `cores` store — `01 ‖
 * discoveryKey → core id` lists every core of the root; the store adds its own tags there:
 *
 * ```
 * cores  10                                 → primary key (the store's seed, 32 bytes)
 *        11 ‖ namespace ‖ uint len ‖ name    → discovery key of the core named so (an alias)
 *        12 ‖ discoveryKey                  → core key (to open a core by discovery key)
 * ```
 * The alias key spells its name as hypercore-storage does (`fixed32` namespace, then a
 * length-prefixed string), so aliases of one namespace list in the same order as corestore 7's.
 */
import { buffer, encode } from '@orchard/codec'
import { DecodingError } from '@orchard/hypercore'
import type { BatchOp, Storage } from '@orchard/storage'
import { type Name, nameBytes } from './keys.ts'

const CORE_BY_DISCOVERY_KEY = 0x01
const SEED = new Uint8Array([0x10])
const ALIAS = 0x11
const KEY = 0x12

function tagged(tag: number, ...parts: Uint8Array[]): Uint8Array {
  let n = 1
  for (const p of parts) n += p.byteLength
  const out = new Uint8Array(n)
  out[0] = tag
  let at = 1
  for (const p of parts) {
    out.set(p, at)
    at += p.byteLength
  }
  return out
}

function aliasKey(namespace: Uint8Array, name: Name): Uint8Array {
  return tagged(ALIAS, namespace, encode(buffer, nameBytes(name)))
}

function check32(v: Uint8Array | null, what: string): Uint8Array | null {
  if (v !== null && v.byteLength !== 32) throw new DecodingError(`stored ${what} record is corrupt`)
  return v
}

/** The stored primary key, or null on a fresh root. */
export async function getSeed(storage: Storage): Promise<Uint8Array | null> {
  return check32(await storage.get('cores', SEED), 'primary key')
}

/** The op storing the primary key. */
export function putSeed(seed: Uint8Array): BatchOp {
  return { type: 'put', store: 'cores', key: SEED, value: seed }
}

/** The discovery key stored for `name` in `namespace`, or null. */
export async function getAlias(
  storage: Storage,
  namespace: Uint8Array,
  name: Name
): Promise<Uint8Array | null> {
  return check32(await storage.get('cores', aliasKey(namespace, name)), 'alias')
}

/** The op naming the core of `discoveryKey` `name` in `namespace`. */
export function putAlias(namespace: Uint8Array, name: Name, discoveryKey: Uint8Array): BatchOp {
  return { type: 'put', store: 'cores', key: aliasKey(namespace, name), value: discoveryKey }
}

/** The key of the core with `discoveryKey`, if the store recorded it. */
export async function getKey(storage: Storage, discoveryKey: Uint8Array): Promise<Uint8Array | null> {
  return check32(await storage.get('cores', tagged(KEY, discoveryKey)), 'core key')
}

/** The op recording the key of the core with `discoveryKey`. */
export function putKey(discoveryKey: Uint8Array, key: Uint8Array): BatchOp {
  return { type: 'put', store: 'cores', key: tagged(KEY, discoveryKey), value: key }
}

/** Whether the root holds the core with `discoveryKey` (hypercore's own directory says so). */
export async function hasCore(storage: Storage, discoveryKey: Uint8Array): Promise<boolean> {
  return (await storage.get('cores', tagged(CORE_BY_DISCOVERY_KEY, discoveryKey))) !== null
}

/**
 * The discovery keys of the root's cores, in key order — or, given a namespace, of the cores named
 * in it, in name order (corestore 7's `list`).
 */
export async function* listDiscoveryKeys(
  storage: Storage,
  namespace: Uint8Array | null
): AsyncGenerator<Uint8Array> {
  if (namespace === null) {
    const range = {
      gte: new Uint8Array([CORE_BY_DISCOVERY_KEY]),
      lt: new Uint8Array([CORE_BY_DISCOVERY_KEY + 1])
    }
    for await (const [k] of storage.range('cores', range)) yield k.subarray(1)
    return
  }
  const start = tagged(ALIAS, namespace)
  const end = tagged(ALIAS, namespace, new Uint8Array([0xff]))
  for await (const [, v] of storage.range('cores', { gte: start, lt: end })) yield v
}
