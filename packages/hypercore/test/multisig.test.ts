/**
 * Multi-signer cores against hypercore 11: a real writer whose manifest asks for 2 of 3 signers
 * appends with containers we assemble (one with a signer whose tree is ahead, `allowPatch`); the
 * real package's `multisig.assemble` / `partialSignature` must produce the same bytes, and our
 * reader must accept every upgrade while replicating from it. Malformed containers are refused
 * with typed errors.
 */
import { keyPair, ready, sign } from '@orchard/crypto'
import multisig from 'hypercore/lib/multisig.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as caps from '../src/caps.ts'
import { InvalidSignatureError } from '../src/errors.ts'
import { createManifest, type Manifest, manifestHash } from '../src/manifest.ts'
import type { MerkleTree } from '../src/merkle/tree.ts'
import { Verifier } from '../src/verifier.ts'
import {
  type AnyCore,
  blocks,
  cleanup,
  close,
  get,
  link,
  oursCore,
  type Real,
  realCore,
  until
} from './interop/peers.ts'

beforeAll(() => ready())
afterAll(() => cleanup())

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

function toBuffers(m: Manifest) {
  return {
    ...m,
    signers: m.signers.map((s) => ({
      namespace: Buffer.from(s.namespace),
      publicKey: Buffer.from(s.publicKey)
    }))
  }
}

/** A scratch core holding `count` blocks: its tree is the tree any core with those blocks has. */
async function scratch(count: number) {
  const ours = await oursCore()
  await (ours.core as { append(b: Uint8Array[]): Promise<unknown> }).append(blocks(0, count))
  const real = await realCore()
  await (real.core as Real).append(blocks(0, count).map((b) => Buffer.from(b)))
  return { ours, real, tree: (ours.core as unknown as { core: { tree: MerkleTree } }).core.tree }
}

describe('multi-signer manifests against hypercore 11', () => {
  it('replicates a real 2-of-3 core signed with assembled (and patched) containers; bytes match the real assembler', async () => {
    const signers = [keyPair(), keyPair(), keyPair()]
    const manifest = createManifest({
      version: 1,
      quorum: 2,
      allowPatch: true,
      signers: signers.map((s) => ({ publicKey: s.publicKey }))
    })
    const key = manifestHash(manifest)
    const verifier = new Verifier(key, manifest)
    const L1 = 37
    const L2 = 50
    const AHEAD = 13
    const world = await scratch(L2 + AHEAD)
    const signAt = async (signer: number, length: number) =>
      sign(caps.treeSignable(key, await world.tree.hashAt(length), length, 0), signers[signer]!.secretKey)

    const writer: AnyCore = await realCore(null, { manifest: toBuffers(manifest) })
    expect(hex(writer.core.key)).toBe(hex(key))

    // length L1, signed by signers 0 and 2 at exactly L1
    const first = [
      { signer: 0, signature: await signAt(0, L1), patch: 0, nodes: null },
      { signer: 2, signature: await signAt(2, L1), patch: 0, nodes: null }
    ]
    const container1 = verifier.assemble(first)
    expect(hex(container1)).toBe(hex(multisig.assemble(first.map(toRealInput))))
    await writer.core.append(
      blocks(0, L1).map((b) => Buffer.from(b)),
      { signature: Buffer.from(container1) }
    )

    // the signable we signed is the one the real core signs
    expect(hex(await writer.core.signable(L1, 0))).toBe(
      hex(caps.treeSignable(key, await world.tree.hashAt(L1), L1, 0))
    )

    // our reader, and a real one as the oracle that the real package accepts our containers
    const reader = await oursCore(key, { manifest })
    const realReader = await realCore(key)
    await link(writer, reader, 'memory')
    await link(writer, realReader, 'memory')
    realReader.core.download({ start: 0, end: -1 })
    await until(() => (reader.core as { length: number }).length === L1 && realReader.core.length === L1)
    for (const i of [0, 17, L1 - 1]) expect(hex(await get(reader, i))).toBe(hex(blocks(i, 1)[0]!))

    // length L2: signer 1 signed a tree AHEAD blocks longer; its patch nodes bridge the gap
    const realPartial = await multisig.partialSignature(
      world.real.core,
      1,
      L2,
      L2 + AHEAD,
      Buffer.from(await signAt(1, L2 + AHEAD))
    )
    const proof = await (
      world.ours.core as unknown as {
        core: { proofFor(r: object): Promise<{ upgrade: { nodes: unknown[] } }> }
      }
    ).core.proofFor({ fork: 0, upgrade: { start: L2, length: AHEAD } })
    const oursNodes = proof.upgrade.nodes as { index: number; size: number; hash: Uint8Array }[]
    expect(oursNodes.map((n) => [n.index, n.size, hex(n.hash)])).toEqual(
      realPartial.nodes.map((n: { index: number; size: number; hash: Uint8Array }) => [
        n.index,
        n.size,
        hex(n.hash)
      ])
    )
    const second = [
      { signer: 1, signature: await signAt(1, L2 + AHEAD), patch: AHEAD, nodes: oursNodes },
      { signer: 0, signature: await signAt(0, L2), patch: 0, nodes: null }
    ]
    const container2 = verifier.assemble(second)
    expect(hex(container2)).toBe(hex(multisig.assemble([realPartial, toRealInput(second[1]!)])))
    await writer.core.append(
      blocks(L1, L2 - L1).map((b) => Buffer.from(b)),
      { signature: Buffer.from(container2) }
    )
    await until(() => (reader.core as { length: number }).length === L2 && realReader.core.length === L2)
    expect(hex(await get(reader, L2 - 1))).toBe(hex(blocks(L2 - 1, 1)[0]!))
    const readerTree = (reader.core as unknown as { core: { tree: MerkleTree } }).core.tree
    expect(verifier.verify(readerTree, container2)).toBe(true)

    // each way of breaking the container is refused with a typed error
    const broken: [string, Uint8Array][] = [
      ['quorum not met', verifier.assemble([second[1]!])],
      ['a signer twice', verifier.assemble([second[1]!, second[1]!])],
      ['an unknown signer', verifier.assemble([{ ...second[1]!, signer: 3 }, second[0]!])],
      ['a missing patch node', verifier.assemble([{ ...second[0]!, nodes: oursNodes.slice(1) }, second[1]!])],
      [
        'a wrong patch node',
        verifier.assemble([
          { ...second[0]!, nodes: oursNodes.map((n, i) => (i === 0 ? { ...n, size: n.size + 1 } : n)) },
          second[1]!
        ])
      ],
      ['a patch of the wrong length', verifier.assemble([{ ...second[0]!, patch: AHEAD - 1 }, second[1]!])],
      [
        'a signature over another length',
        verifier.assemble([{ ...second[0]!, patch: 0, nodes: null }, second[1]!])
      ],
      ['trailing bytes', Uint8Array.from([...container2, 0])],
      ['a truncated container', container2.subarray(0, container2.byteLength - 5)]
    ]
    for (const [what, container] of broken) {
      expect(() => verifier.assertValid(readerTree, container), what).toThrow(InvalidSignatureError)
      expect(verifier.verify(readerTree, container), what).toBe(false)
    }
    // without allowPatch, a patched container is refused even though its signatures are sound
    const strict = new Verifier(key, createManifest({ ...manifest, allowPatch: false }))
    expect(() => strict.assertValid(readerTree, container2)).toThrow(/patch/)

    await close(writer, reader, realReader, world.ours, world.real)
  }, 60_000)
})

function toRealInput(i: { signer: number; signature: Uint8Array; patch: number; nodes: unknown[] | null }) {
  return { signer: i.signer, signature: Buffer.from(i.signature), patch: i.patch, nodes: i.nodes }
}
