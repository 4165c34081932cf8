import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ready } from '@orchard/crypto'
import { openMemoryStorage } from '@orchard/storage'
import fc from 'fast-check'
import RealHypercore from 'hypercore'
import realCrypto from 'hypercore-crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Hypercore } from '../src/index.ts'

// ≥ 200 random histories (appends of 0 B–256 KiB blocks, batches, truncations) applied to our core
// and to the real hypercore 11 with the same seeded key pair: every observable byte must agree
// after every step.

const dir = mkdtempSync(join(tmpdir(), 'orchard-hc-history-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
beforeAll(() => ready())

type Op = { kind: 'append'; sizes: number[]; fill: number } | { kind: 'truncate'; to: number }

const blockSize = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 64 }) },
  { weight: 3, arbitrary: fc.integer({ min: 65, max: 4096 }) },
  { weight: 1, arbitrary: fc.integer({ min: 4097, max: 256 * 1024 }) }
)
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      sizes: fc.array(blockSize, { minLength: 1, maxLength: 12 }),
      fill: fc.nat(255)
    })
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), to: fc.nat(60) }) }
)
const history = fc.record({
  seed: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  ops: fc.array(op, { minLength: 1, maxLength: 8 }),
  encrypted: fc.boolean()
})

type History = { seed: Uint8Array; ops: Op[]; encrypted: boolean }

function blocks(sizes: number[], fill: number): Uint8Array[] {
  return sizes.map((n, i) => new Uint8Array(n).fill((fill + i) & 0xff))
}

let run = 0

async function replay({ seed, ops, encrypted }: History): Promise<number> {
  const kp = realCrypto.keyPair(Buffer.from(seed))
  const keyPair = { publicKey: new Uint8Array(kp.publicKey), secretKey: new Uint8Array(kp.secretKey) }
  const encryptionKey = encrypted ? new Uint8Array(32).fill(seed[0]!) : undefined
  const real = new RealHypercore(join(dir, `real-${++run}`), {
    keyPair: kp,
    encryptionKey: encryptionKey && Buffer.from(encryptionKey)
  })
  await real.ready()
  const ours = new Hypercore(openMemoryStorage(), { keyPair, encryptionKey })
  await ours.ready()
  let checks = 0
  const compare = async () => {
    expect(ours.key).toEqual(new Uint8Array(real.key))
    expect(ours.discoveryKey).toEqual(new Uint8Array(real.discoveryKey))
    expect(ours.length).toBe(real.length)
    expect(ours.byteLength).toBe(real.byteLength)
    expect(ours.fork).toBe(real.fork)
    expect(await ours.treeHash()).toEqual(new Uint8Array(await real.treeHash()))
    const realSig = real.core.state.signature
    expect(ours.core.signature ? [...ours.core.signature] : null).toEqual(realSig ? [...realSig] : null)
    if (encrypted && real.length > 0) {
      const i = real.length - 1
      expect(await ours.get(i, { raw: true })).toEqual(new Uint8Array(await real.get(i, { raw: true })))
    }
    checks++
  }
  await compare()
  for (const o of ops) {
    if (o.kind === 'append') {
      const bs = blocks(o.sizes, o.fill)
      const a = await ours.append(bs)
      const b = await real.append(bs.map((x) => Buffer.from(x)))
      expect(a).toEqual({ length: b.length, byteLength: b.byteLength })
    } else {
      const to = Math.min(o.to, real.length)
      await ours.truncate(to)
      await real.truncate(to)
    }
    await compare()
  }
  // every stored block (ciphertext when encrypted) is byte-identical
  for (let i = 0; i < real.length; i++) {
    expect(await ours.get(i, { raw: true })).toEqual(new Uint8Array(await real.get(i, { raw: true })))
  }
  await ours.close()
  await real.close()
  return checks
}

describe('byte-identical to hypercore 11 over random histories', () => {
  it('agrees on key, discovery key, tree hash, signature, byte length and fork at every step (200 histories)', async () => {
    let total = 0
    let truncations = 0
    let big = 0
    await fc.assert(
      fc.asyncProperty(history, async (h) => {
        truncations += h.ops.filter((o) => o.kind === 'truncate').length
        big += h.ops.filter((o) => o.kind === 'append' && o.sizes.some((s) => s > 4096)).length
        total += await replay(h)
      }),
      { numRuns: 200 }
    )
    // the generator really exercised truncations and large blocks
    expect(truncations).toBeGreaterThan(20)
    expect(big).toBeGreaterThan(20)
    expect(total).toBeGreaterThan(600)
  }, 300_000)

  it('reproduces the reference single-writer vector (holepunch-formats §4.8)', async () => {
    const kp = realCrypto.keyPair(Buffer.alloc(32, 1))
    const core = new Hypercore(openMemoryStorage(), {
      keyPair: { publicKey: new Uint8Array(kp.publicKey), secretKey: new Uint8Array(kp.secretKey) }
    })
    await core.append([new Uint8Array([0x61]), new Uint8Array([0x62]), new Uint8Array([0x63])])
    const hex = (b: Uint8Array | null) => Buffer.from(b!).toString('hex')
    expect(hex(core.key)).toBe('d8c3a0597903b28d751c6e0b7107775e388ec5a3cf669bdd1e7ec41b8b8f6e72')
    expect(hex(core.discoveryKey)).toBe('fb892b1c77fdcb05dcbd234607208b7036e00a13e7f2cc0bbaa463924e57865a')
    expect(hex(await core.treeHash())).toBe(
      '7ea73eb86179fb7328e73663f90f4c91256574af1112efe97fdf9309e03b67a7'
    )
    expect(hex(core.core.signature)).toBe(
      '0100ffc0d71651d8c0c24962a662c90f411f371945e3514669899d3189b832a1bd960415ee04d8ccb4c4159506ad230d223f33ca3dce6aa6d16d27e9fbd47efa25050000'
    )
    await core.close()
  })

  it('prints the same z-base-32 id as hypercore', async () => {
    const kp = realCrypto.keyPair(Buffer.alloc(32, 3))
    const real = new RealHypercore(join(dir, 'id'), { keyPair: kp })
    await real.ready()
    const ours = new Hypercore(openMemoryStorage(), {
      keyPair: { publicKey: new Uint8Array(kp.publicKey), secretKey: new Uint8Array(kp.secretKey) }
    })
    await ours.ready()
    expect(ours.id).toBe(real.id)
    await real.close()
    await ours.close()
  })
})
