import { namespace, ready } from '@orchard/crypto'
import c from 'compact-encoding'
import fc from 'fast-check'
import RealHypercore from 'hypercore'
import messages from 'hypercore/lib/messages.js'
import realCrypto from 'hypercore-crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import * as caps from '../src/caps.ts'
import {
  createManifest,
  decodeManifest,
  encodeManifest,
  type Manifest,
  manifestHash
} from '../src/manifest.ts'
import { Verifier } from '../src/verifier.ts'

beforeAll(() => ready())

const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 })
const signer = fc.record({ publicKey: key32, namespace: key32 })
const manifestInput = fc
  .record({
    version: fc.constantFrom(0, 1, 2),
    allowPatch: fc.boolean(),
    signers: fc.array(signer, { minLength: 0, maxLength: 4 }),
    quorumBias: fc.nat(4),
    prologue: fc.option(fc.record({ hash: key32, length: fc.nat(10_000) }), { nil: null }),
    linked: fc.option(fc.array(key32, { minLength: 1, maxLength: 3 }), { nil: null }),
    userData: fc.option(fc.uint8Array({ minLength: 1, maxLength: 40 }), { nil: null })
  })
  .map((m) => {
    const quorum = m.signers.length === 0 ? 0 : 1 + (m.quorumBias % m.signers.length)
    const v2 = m.version === 2
    // version 0 can only express: a prologue hash without signers, one signer, or flags+quorum+signers
    const prologue =
      m.version === 0
        ? m.signers.length === 0 && m.prologue
          ? { hash: m.prologue.hash, length: 0 }
          : null
        : m.prologue
    return {
      version: m.version,
      allowPatch: m.allowPatch,
      quorum,
      signers: m.signers,
      prologue,
      linked: v2 ? m.linked : null,
      userData: v2 ? m.userData : null
    }
  })
  .filter((m) => m.version !== 0 || m.signers.length > 0 || m.prologue !== null)

const toBuffers = (m: Manifest) => ({
  ...m,
  signers: m.signers.map((s) => ({
    ...s,
    namespace: Buffer.from(s.namespace),
    publicKey: Buffer.from(s.publicKey)
  })),
  prologue: m.prologue && { hash: Buffer.from(m.prologue.hash), length: m.prologue.length },
  linked: m.linked?.map((k) => Buffer.from(k)),
  userData: m.userData && Buffer.from(m.userData)
})

describe('manifests against hypercore 11', () => {
  it('encode byte-identically, decode both ways and hash to the real key (1 000 manifests)', () => {
    fc.assert(
      fc.property(manifestInput, (input) => {
        const ours = createManifest(input)
        const bytes = encodeManifest(ours)
        const real = c.encode(messages.manifest, toBuffers(ours))
        expect([...bytes]).toEqual([...real])
        expect(decodeManifest(new Uint8Array(real))).toEqual(decodeManifest(bytes))
        expect(c.decode(messages.manifest, bytes)).toBeTruthy()
        if (ours.version > 0) {
          expect([...manifestHash(ours)]).toEqual([...RealHypercore.key(toBuffers(ours))])
        }
      }),
      { numRuns: 1000 }
    )
  })

  it('applies hypercore’s defaults and refuses invalid input', () => {
    const pk = new Uint8Array(32).fill(1)
    const m = createManifest({ signers: [{ publicKey: pk }] })
    expect(m).toMatchObject({ version: 1, quorum: 1, allowPatch: false, prologue: null })
    expect(m.signers[0]!.namespace).toEqual(caps.DEFAULT_NAMESPACE)
    expect(
      createManifest({ signers: [{ publicKey: pk }, { publicKey: pk }, { publicKey: pk }] }).quorum
    ).toBe(2)
    expect(() => createManifest({ signers: [{ publicKey: pk }], quorum: 2 })).toThrow(
      expect.objectContaining({ code: 'BAD_ARGUMENT' })
    )
    expect(() => createManifest({ hash: 'sha256', signers: [] })).toThrow(
      expect.objectContaining({ code: 'BAD_ARGUMENT' })
    )
    expect(() => createManifest({ version: 1, userData: new Uint8Array(1) })).toThrow(
      expect.objectContaining({ code: 'BAD_ARGUMENT' })
    )
    expect(() => decodeManifest(new Uint8Array([5, 0]))).toThrow(
      expect.objectContaining({ code: 'INVALID_MANIFEST' })
    )
    expect(() => decodeManifest(new Uint8Array([1, 0, 1]))).toThrow(
      expect.objectContaining({ code: 'INVALID_MANIFEST' })
    )
  })
})

describe('caps', () => {
  it('spells out namespace("hypercore", 6)', () => {
    const ns = namespace('hypercore', 6)
    expect([
      caps.TREE,
      caps.REPLICATE_INITIATOR,
      caps.REPLICATE_RESPONDER,
      caps.MANIFEST,
      caps.DEFAULT_NAMESPACE,
      caps.DEFAULT_ENCRYPTION
    ]).toEqual(ns)
  })

  it('computes replication capabilities like hypercore (holepunch-formats §7.2)', () => {
    const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'))
    const hash = hex(
      'aa42bcea44d843e3803e549191ae7eac847a85dccf21ef3918a7cf228d87b7889b194cdb190b8b2cf82daf543e71e86871532b84ba1d7982489eb3040dcfc412'
    )
    const key = hex('d8c3a0597903b28d751c6e0b7107775e388ec5a3cf669bdd1e7ec41b8b8f6e72')
    expect(Buffer.from(caps.replicationCapability(true, key, hash)).toString('hex')).toBe(
      '63466ad94eb3933bf81149ed8e0d25314b16e3cf2d399271a3455400d04551f2'
    )
    expect(Buffer.from(caps.replicationCapability(false, key, hash)).toString('hex')).toBe(
      '538c0ba5bbcbb1666bcc18bb63fda9e07ad5258b60f8481cc4c8c3a5cbcb84c9'
    )
  })

  it('signs compat cores with the raw 80-byte signable (holepunch-formats §4.5)', async () => {
    const kp = realCrypto.keyPair(Buffer.alloc(32, 1))
    const m = createManifest({ signers: [{ publicKey: new Uint8Array(kp.publicKey) }] })
    const v = new Verifier(new Uint8Array(kp.publicKey), m, { compat: true })
    const treeHash = new Uint8Array(
      Buffer.from('7ea73eb86179fb7328e73663f90f4c91256574af1112efe97fdf9309e03b67a7', 'hex')
    )
    const batch = {
      length: 3,
      fork: 0,
      byteLength: 0,
      roots: [],
      signature: null,
      hash: () => treeHash,
      signable: () => {
        throw new Error('not used for compat')
      },
      signableCompat: (noHeader = false) => caps.treeSignableCompat(treeHash, 3, 0, noHeader)
    }
    const sig = v.sign(batch, {
      publicKey: new Uint8Array(kp.publicKey),
      secretKey: new Uint8Array(kp.secretKey)
    })
    expect(Buffer.from(sig).toString('hex')).toBe(
      'deb1a2d6b46b1ac51fa3111f84cd6d0874ab43f325e160aff4d3d95acfdfec67b399fd0bd4e09b86fdbf19bd894b28e0a9d4bbf58c4ccb326fc888d8428d960e'
    )
    expect(v.verify(batch, sig)).toBe(true)
    sig[0]! ^= 1
    expect(v.verify(batch, sig)).toBe(false)
  })
})
