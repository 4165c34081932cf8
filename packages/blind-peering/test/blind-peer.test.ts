/**
 * Orchard's blind-peering client against Holepunch's real `blind-peer` 3 on a loopback testnet:
 * the blind peer keeps an encrypted core while the writer is gone, serves it to a reader, and
 * stores only ciphertext; it receives the same asks from ours as from the real `blind-peering`.
 */
import { randomBytes } from 'node:crypto'
import { equalBytes } from '@orchard/codec'
import { ready } from '@orchard/crypto'
import type { Hypercore } from '@orchard/hypercore'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BlindPeering, BlindPeeringError } from '../src/index.ts'
import {
  type Any,
  cleanupDirs,
  closeBlindPeer,
  type Net,
  orchardPeer,
  RealBlindPeering,
  RealCorestore,
  startBlindPeer,
  storedAnywhere,
  testnet,
  tmp,
  until
} from './helpers.ts'

let net: Net
beforeAll(async () => {
  await ready()
  net = await testnet()
})
afterAll(async () => {
  await net.destroy()
  cleanupDirs()
})

/** Blocks that cannot be found by chance nor compressed away: 24 random bytes in hex each. */
function markedBlocks(n: number, tag: string): Uint8Array[] {
  return Array.from({ length: n }, (_, i) =>
    new TextEncoder().encode(`${tag}-${i}-${randomBytes(24).toString('hex')}`.padEnd(200 + i, '.'))
  )
}

async function readAll(core: Hypercore): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  for (let i = 0; i < core.length; i++) out.push((await core.get(i, { timeout: 15_000 }))!)
  return out
}

describe('with the real blind-peer', () => {
  it('keeps an encrypted core while the writer is gone, serves it to a reader, and stores no plaintext', async () => {
    const { bp, dir, key: bpKey } = await startBlindPeer(net)
    const encryptionKey = new Uint8Array(randomBytes(32))
    const secret = markedBlocks(40, 'secret')
    const open = markedBlocks(5, 'open') // a control: an unencrypted core, whose text must be found

    const writer = orchardPeer(net)
    const core = writer.store.get({ name: 'notes', encryptionKey })
    const plain = writer.store.get({ name: 'plain' })
    await core.append(secret)
    await plain.append(open)
    const peering = new BlindPeering(writer.dht, writer.store, { keys: [bpKey] })
    await peering.addCore(core)
    await peering.addCore(plain)
    expect(peering.links).toHaveLength(1)
    expect(peering.links[0]!.connected).toBe(true)
    await peering.synced(core, { timeout: 20_000 })
    await peering.synced(plain, { timeout: 20_000 })
    const key = core.key!
    await peering.close()
    await writer.close() // the writer is gone

    // the blind peer holds every block, by its own account
    const held = bp.store.get({ key: Buffer.from(key) })
    await held.ready()
    expect(held.contiguousLength).toBe(40)
    await held.close()

    const reader = orchardPeer(net)
    const conn = reader.dht.connect(bpKey, { keyPair: reader.dht.defaultKeyPair })
    conn.on('error', () => {})
    reader.store.replicate(conn)
    const copy = reader.store.get({ key, encryptionKey })
    await copy.ready()
    await until(() => copy.length === 40, 'the reader to see the length')
    const got = await readAll(copy)
    expect(got.every((b, i) => equalBytes(b, secret[i]!))).toBe(true)
    await reader.close()

    await bp.flush()
    // the scan can see plaintext (the control core's), and finds none of the encrypted core's
    expect(open.every((b) => storedAnywhere(dir, b.subarray(0, 60)))).toBe(true)
    expect(secret.some((b) => storedAnywhere(dir, b.subarray(0, 60)))).toBe(false)
    await closeBlindPeer(bp)
  })

  it('receives the same asks from ours as from the real blind-peering', async () => {
    const { bp, key: bpKey } = await startBlindPeer(net)
    const received: Any[] = []
    bp.on('add-cores-received', (_stream: Any, request: Any) => received.push(request))
    const referrer = new Uint8Array(randomBytes(32))

    const ours = orchardPeer(net)
    const ourCore = ours.store.get({ name: 'a' })
    await ourCore.append([new Uint8Array([1]), new Uint8Array([2]), new Uint8Array([3])])
    const ourPeering = new BlindPeering(ours.dht, ours.store, { keys: [bpKey] })
    await ourPeering.addCore(ourCore, { referrer, priority: 1, announce: true })
    await until(() => received.length === 1, 'our ask')

    const realStore = new RealCorestore(tmp('real'))
    const realCore = realStore.get({ name: 'a' })
    await realCore.append([Buffer.from([1]), Buffer.from([2]), Buffer.from([3])])
    const HyperDHT = (await import('hyperdht')).default as Any
    const realDht = new HyperDHT({ bootstrap: net.bootstrap, host: '127.0.0.1' })
    const realPeering = new RealBlindPeering(realDht, realStore, { keys: [Buffer.from(bpKey)] })
    await realPeering.addCore(realCore, { referrer: Buffer.from(referrer), priority: 1, announce: true })
    await until(() => received.length === 2, 'the real ask')

    const shape = (r: Any, coreKey: Uint8Array) => ({
      referrer: r.referrer && equalBytes(r.referrer, referrer),
      priority: r.priority,
      announce: r.announce,
      cores: r.cores.map((c: Any) => ({ key: equalBytes(c.key, coreKey), length: c.length }))
    })
    expect(shape(received[0], ourCore.key!)).toEqual(shape(received[1], realCore.key))
    expect(shape(received[0], ourCore.key!)).toEqual({
      referrer: true,
      priority: 1,
      announce: false, // downgraded: we are not a trusted client
      cores: [{ key: true, length: 3 }]
    })

    await realPeering.close()
    await realStore.close()
    await realDht.destroy()
    await ourPeering.close()
    await ours.close()
    await closeBlindPeer(bp)
  })

  it('reconnects when the blind peer drops the connection, and asks again', async () => {
    const { bp, key: bpKey } = await startBlindPeer(net)
    let asks = 0
    bp.on('add-cores-received', () => asks++)
    const peer = orchardPeer(net)
    const core = peer.store.get({ name: 'again' })
    await core.append(new Uint8Array([7]))
    const peering = new BlindPeering(peer.dht, peer.store, { keys: [bpKey], backoff: [50] })
    await peering.addCore(core)
    await until(() => asks === 1, 'the first ask')
    for (const conn of bp.swarm.connections) conn.destroy()
    await until(() => asks === 2, 'the ask on the new connection')
    expect(peering.links[0]!.connected).toBe(true)
    // more blocks still reach the blind peer on the new connection
    await core.append(new Uint8Array([8]))
    await peering.synced(core, { timeout: 20_000 })
    await peering.close()
    await peer.close()
    await closeBlindPeer(bp)
  })
})

describe('errors', () => {
  it('are typed: a bad key, no keys, a closed instance, a blind peer that never stores', async () => {
    const peer = orchardPeer(net)
    const core = peer.store.get({ name: 'x' })
    await core.append(new Uint8Array([1]))
    expect(() => new BlindPeering(peer.dht, peer.store, { keys: ['not-a-key'] })).toThrow(BlindPeeringError)
    const none = new BlindPeering(peer.dht, peer.store)
    await expect(none.addCore(core)).rejects.toMatchObject({ code: 'NO_BLIND_PEERS' })
    await expect(none.synced(core)).rejects.toMatchObject({ code: 'NO_BLIND_PEERS' })
    await none.close()
    await expect(none.addCore(core)).rejects.toMatchObject({ code: 'CLOSED' })

    // a key nobody listens on: the connection never opens, and synced gives up when told to
    const nobody = new BlindPeering(peer.dht, peer.store, {
      keys: [new Uint8Array(randomBytes(32))],
      backoff: [50]
    })
    nobody.addCoreBackground(core)
    await until(() => nobody.links.length === 1, 'the link')
    await expect(nobody.synced(core, { timeout: 300 })).rejects.toMatchObject({ code: 'TIMEOUT' })
    await nobody.close()
    await peer.close()
  })
})
