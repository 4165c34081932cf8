/**
 * A loopback HyperDHT testnet with Holepunch's real `blind-peer` on it, and Orchard peers (our
 * corestore on files, our DHT wrapper around the real hyperdht) to talk to it.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Corestore } from '@orchard/corestore'
import { openFileStorage } from '@orchard/storage/fs'
import { createNodeDHT, type NodeDHT } from '@orchard/swarm/dht'

const require = createRequire(import.meta.url)
// biome-ignore lint/suspicious/noExplicitAny: the real packages are untyped CommonJS
export type Any = any
export const createTestnet: Any = require('@hyperswarm/testnet')
export const RealBlindPeer: Any = require('blind-peer')
export const RealBlindPeering: Any = require('blind-peering')
export const RealCorestore: Any = require('corestore')
const Hyperswarm: Any = require('hyperswarm')
const HyperDHT: Any = require('hyperdht')
/** blind-peer-muxer's own schema: the judge of the message bytes. */
export const realSchema: Any = require('blind-peer-muxer/spec/hyperschema')

const dirs: string[] = []

/** A fresh temporary directory, removed by {@link cleanupDirs}. */
export function tmp(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `orchard-bp-${prefix}-`))
  dirs.push(dir)
  return dir
}

export function cleanupDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
}

export interface Net {
  bootstrap: { host: string; port: number }[]
  destroy(): Promise<void>
}

export async function testnet(): Promise<Net> {
  const net = await createTestnet(3, { host: '127.0.0.1' })
  return { bootstrap: net.bootstrap, destroy: () => net.destroy() }
}

/** The real blind peer on its own DHT node (bound to loopback, where this machine routes). */
export async function startBlindPeer(
  net: Net,
  dir = tmp('blind')
): Promise<{ bp: Any; dir: string; key: Uint8Array }> {
  const swarm = new Hyperswarm({ dht: new HyperDHT({ bootstrap: net.bootstrap, host: '127.0.0.1' }) })
  const bp = new RealBlindPeer(dir, { swarm })
  await bp.ready()
  await bp.listen()
  return { bp, dir, key: new Uint8Array(bp.publicKey) }
}

export async function closeBlindPeer(bp: Any): Promise<void> {
  const swarm = bp.swarm
  await bp.close()
  await swarm.destroy()
}

/** An Orchard peer: our corestore on files and our DHT wrapper. */
export function orchardPeer(net: Net): { store: Corestore; dht: NodeDHT; close(): Promise<void> } {
  const store = new Corestore(openFileStorage(tmp('peer')))
  const dht = createNodeDHT({ bootstrap: net.bootstrap, host: '127.0.0.1' })
  return {
    store,
    dht,
    async close() {
      await store.close()
      await dht.destroy()
    }
  }
}

/** Every byte of every file under `dir`. */
export function filesUnder(dir: string): Uint8Array[] {
  const out: Uint8Array[] = []
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...filesUnder(path))
    else out.push(new Uint8Array(readFileSync(path)))
  }
  return out
}

/** Whether `needle` occurs in any file under `dir`. */
export function storedAnywhere(dir: string, needle: Uint8Array): boolean {
  const wanted = Buffer.from(needle)
  return filesUnder(dir).some((file) =>
    Buffer.from(file.buffer, file.byteOffset, file.byteLength).includes(wanted)
  )
}

export async function until(
  cond: () => boolean | Promise<boolean>,
  what: string,
  ms = 20_000
): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}
