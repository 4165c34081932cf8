import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ready } from '@orchard/crypto'
import { openMemoryStorage } from '@orchard/storage'
import RealHypercore from 'hypercore'
import realCrypto from 'hypercore-crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Hypercore } from '../src/index.ts'
import type { Proof } from '../src/merkle/index.ts'
import { proofFrom, Reader } from './merkle/harness.ts'

const require = createRequire(import.meta.url)
const { MerkleTree: RealMerkleTree } = require('hypercore/lib/merkle-tree.js')

/**
 * The real generator for seek proofs. `core.proof()` flushes its read batch before an async seek
 * has queued the node reads, so it cannot seek; the replicator's path (a read batch flushed after
 * generation) can, and is what this reproduces.
 */
async function realSeekProof(
  real: { state: { storage: { read(): { tryFlush(): void } } } },
  req: object
): Promise<Proof> {
  const rx = real.state.storage.read()
  const proof = await RealMerkleTree.proof(real.state, rx, req)
  rx.tryFlush()
  return proof.settle()
}

// Proofs cross the boundary both ways: the real hypercore 11's proofs (core.proof) verify in our
// tree, and ours are applied by the real core (core.applyProof), which verifies them itself.

const dir = mkdtempSync(join(tmpdir(), 'orchard-proof-interop-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
beforeAll(() => ready())

let n = 0
const blocks = (count: number, from: number) =>
  Array.from({ length: count }, (_, i) => Buffer.alloc(1 + (((from + i) * 13) % 70), (from + i) & 0xff))

async function realWriter(count: number) {
  const kp = realCrypto.keyPair(Buffer.alloc(32, 9))
  const core = new RealHypercore(join(dir, `w-${++n}`), { keyPair: kp })
  await core.append(blocks(count, 0))
  return {
    core,
    keyPair: { publicKey: new Uint8Array(kp.publicKey), secretKey: new Uint8Array(kp.secretKey) }
  }
}

/** Our reader for a real core: same key and manifest. */
async function readerOf(real: { key: Uint8Array; manifest: unknown }): Promise<Reader> {
  const shim = { key: new Uint8Array(real.key), manifest: real.manifest } as unknown as Hypercore
  return new Reader(shim).open()
}

describe('proof interop with hypercore 11', () => {
  it('verifies the real core’s block+upgrade proofs, from empty and from an earlier length', async () => {
    const { core: real } = await realWriter(11)
    const synced: Proof = await real.proof({ upgrade: { start: 0, length: 11 } })
    await real.append(blocks(26, 11))
    for (let index = 0; index < 37; index++) {
      // from empty: block + upgrade to the full length
      const fresh = await readerOf(real)
      const p1: Proof = await real.proof({ block: { index, nodes: 0 }, upgrade: { start: 0, length: 37 } })
      const b1 = await fresh.apply(p1)
      expect(b1.length).toBe(37)
      expect(fresh.tree.hash()).toEqual(new Uint8Array(await real.treeHash()))
      // from length 11
      const r = await readerOf(real)
      await r.apply(synced)
      const nodes = index < 11 ? await r.missingNodes(index) : 0
      const req =
        index < 11
          ? { block: { index, nodes } }
          : { block: { index, nodes: 0 }, upgrade: { start: 11, length: 26 } }
      const p2: Proof = await real.proof(req)
      await r.apply(p2)
      expect(new Uint8Array(p2.block!.value)).toEqual(new Uint8Array(await real.get(index)))
    }
    await real.close()
  })

  it('verifies the real core’s seek proofs', async () => {
    const { core: real } = await realWriter(9)
    const synced: Proof = await real.proof({ upgrade: { start: 0, length: 9 } })
    await real.append(blocks(30, 9))
    let seen = 0
    for (let bytes = 0; bytes < real.byteLength; bytes += 41) {
      const r = await readerOf(real)
      await r.apply(synced)
      const p = await realSeekProof(real, { seek: { bytes, padding: 0 }, upgrade: { start: 9, length: 30 } })
      if (p.seek) seen++
      await r.apply(p)
      expect(r.tree.length).toBe(39)
    }
    expect(seen).toBeGreaterThan(3)
    await real.close()
  })

  it('has its block, upgrade and seek proofs accepted by the real core', async () => {
    const kp = realCrypto.keyPair(Buffer.alloc(32, 4))
    const ours = new Hypercore(openMemoryStorage(), {
      keyPair: { publicKey: new Uint8Array(kp.publicKey), secretKey: new Uint8Array(kp.secretKey) }
    })
    await ours.append(blocks(21, 0))
    const realReader = new RealHypercore(join(dir, `r-${++n}`), Buffer.from(ours.key!))
    await realReader.ready()
    // first contact: the manifest travels with the upgrade, as in a data message
    const first = await proofFrom(ours, { block: { index: 20, nodes: 0 }, upgrade: { start: 0, length: 21 } })
    expect(await realReader.applyProof({ ...first, manifest: ours.manifest })).toBe(true)
    expect(realReader.length).toBe(21)
    expect(await realReader.treeHash()).toEqual(Buffer.from(await ours.treeHash()))
    for (let index = 0; index < 21; index++) {
      const nodes = await realReader.missingNodes(index)
      const proof = await proofFrom(ours, { block: { index, nodes } })
      expect(await realReader.applyProof(proof)).toBe(true)
      expect(new Uint8Array(await realReader.get(index, { wait: false }))).toEqual(
        new Uint8Array((await ours.get(index)) as Uint8Array)
      )
    }
    // ours appends more; the real reader upgrades with our seek + upgrade proofs
    await ours.append(blocks(17, 21))
    const seekProof = await proofFrom(ours, {
      seek: { bytes: 900, padding: 0 },
      upgrade: { start: 21, length: 17 }
    })
    expect(await realReader.applyProof(seekProof)).toBe(true)
    expect(realReader.length).toBe(38)
    await realReader.close()
    await ours.close()
  })
})
