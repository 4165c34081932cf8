/**
 * Oracle vectors for the browser: random inputs with the outputs sodium-native, hypercore-crypto,
 * noise-curve-ed and noise-handshake gave for them, computed in Node by the vitest global setup
 * (test/setup/crypto-vectors.ts) and handed to Chromium with provide/inject. All bytes are hex.
 * `oracleVectorTests` checks our functions against them (no Node built-ins here).
 */
import { expect, it } from 'vitest'
import type * as Crypto from '../src/index.ts'
import { fromHex, hex } from './helpers.ts'

type C = typeof Crypto

export interface HexNode {
  index: number
  size: number
  hash: string
}

export interface OracleVectors {
  blake2b: { data: string; outLen: number; key: string | null; out: string }[]
  blake2bBatch: { parts: string[]; outLen: number; key: string | null; out: string }[]
  leaves: { blocks: string[]; out: string[] }[]
  parents: { pairs: [HexNode, HexNode][]; out: string[] }[]
  tree: { roots: HexNode[]; out: string }[]
  discoveryKey: { key: string; out: string }[]
  namespace: { name: string; count: number | number[]; out: string[] }[]
  hmac: { key: string; parts: string[]; out: string }[]
  keyPair: { seed: string; publicKey: string; secretKey: string }[]
  sign: { secretKey: string; message: string; signature: string }[]
  verify: { message: string; signature: string; publicKey: string; valid: boolean }[]
  dh: { publicKey: string; secretKey: string; out: string | null }[]
  chacha20poly1305: { key: string; nonce: string; ad: string; plaintext: string; out: string }[]
  xsalsa20: { key: string; nonce: string; data: string; out: string }[]
  secretbox: { key: string; nonce: string; message: string; out: string }[]
  secretstream: {
    key: string
    header: string
    frames: { ciphertext: string; message: string; tag: number }[]
  }[]
}

declare module 'vitest' {
  export interface ProvidedContext {
    cryptoVectors: OracleVectors
  }
}

const node = (n: HexNode) => ({ index: n.index, size: n.size, hash: fromHex(n.hash) })
const key = (k: string | null) => (k === null ? undefined : fromHex(k))

/** Registers one test per function checking `c` against the oracle vectors `v`. */
export function oracleVectorTests(c: C, v: () => OracleVectors): void {
  it('blake2b and blake2bBatch equal sodium-native', () => {
    for (const t of v().blake2b) expect(hex(c.blake2b(fromHex(t.data), t.outLen, key(t.key)))).toBe(t.out)
    for (const t of v().blake2bBatch) {
      expect(hex(c.blake2bBatch(t.parts.map(fromHex), t.outLen, key(t.key)))).toBe(t.out)
    }
  })

  it('data, hashLeaves, parent, hashParents, tree equal hypercore-crypto', () => {
    for (const t of v().leaves) {
      const blocks = t.blocks.map(fromHex)
      expect(c.hashLeaves(blocks).map(hex)).toEqual(t.out)
      expect(blocks.map((b) => hex(c.data(b)))).toEqual(t.out)
    }
    for (const t of v().parents) {
      const pairs = t.pairs.map(([a, b]) => [node(a), node(b)] as [Crypto.TreeNode, Crypto.TreeNode])
      expect(c.hashParents(pairs).map(hex)).toEqual(t.out)
      expect(pairs.map(([a, b]) => hex(c.parent(a, b)))).toEqual(t.out)
    }
    for (const t of v().tree) expect(hex(c.tree(t.roots.map(node)))).toBe(t.out)
  })

  it('discoveryKey, namespace and hmacBlake2b512 equal hypercore-crypto and noise-handshake', () => {
    for (const t of v().discoveryKey) expect(hex(c.discoveryKey(fromHex(t.key)))).toBe(t.out)
    for (const t of v().namespace) expect(c.namespace(t.name, t.count).map(hex)).toEqual(t.out)
    for (const t of v().hmac) expect(hex(c.hmacBlake2b512(fromHex(t.key), t.parts.map(fromHex)))).toBe(t.out)
  })

  it('keyPair, sign and verify equal sodium-native', () => {
    for (const t of v().keyPair) {
      const kp = c.keyPair(fromHex(t.seed))
      expect([hex(kp.publicKey), hex(kp.secretKey)]).toEqual([t.publicKey, t.secretKey])
    }
    for (const t of v().sign) expect(hex(c.sign(fromHex(t.message), fromHex(t.secretKey)))).toBe(t.signature)
    for (const t of v().verify) {
      expect(c.verify(fromHex(t.message), fromHex(t.signature), fromHex(t.publicKey))).toBe(t.valid)
    }
  })

  it('signAsync and verifyAsync equal sodium-native', async () => {
    for (const t of v().sign) {
      expect(hex(await c.signAsync(fromHex(t.message), fromHex(t.secretKey)))).toBe(t.signature)
    }
    const got = await Promise.all(
      v().verify.map((t) => c.verifyAsync(fromHex(t.message), fromHex(t.signature), fromHex(t.publicKey)))
    )
    expect(got).toEqual(v().verify.map((t) => t.valid))
  })

  it("ed25519Dh equals noise-curve-ed's dh and refuses the same points", () => {
    for (const t of v().dh) {
      if (t.out === null) {
        expect(() => c.ed25519Dh(fromHex(t.publicKey), fromHex(t.secretKey))).toThrow(c.InvalidPointError)
      } else {
        expect(hex(c.ed25519Dh(fromHex(t.publicKey), fromHex(t.secretKey)))).toBe(t.out)
      }
    }
  })

  it('chacha20poly1305, xsalsa20Xor and secretbox equal sodium-native', () => {
    for (const t of v().chacha20poly1305) {
      const [k, n, ad, pt] = [t.key, t.nonce, t.ad, t.plaintext].map(fromHex) as Uint8Array[]
      expect(hex(c.chacha20poly1305Encrypt(k!, n!, ad!, pt!))).toBe(t.out)
      expect(hex(c.chacha20poly1305Decrypt(k!, n!, ad!, fromHex(t.out)))).toBe(t.plaintext)
    }
    for (const t of v().xsalsa20) {
      const data = fromHex(t.data)
      expect(hex(c.xsalsa20Xor(data, fromHex(t.nonce), fromHex(t.key), data))).toBe(t.out)
    }
    for (const t of v().secretbox) {
      expect(hex(c.secretboxEasy(fromHex(t.message), fromHex(t.nonce), fromHex(t.key)))).toBe(t.out)
      expect(hex(c.secretboxOpenEasy(fromHex(t.out), fromHex(t.nonce), fromHex(t.key)))).toBe(t.message)
    }
  })

  it('secretstream: pulls what sodium-native pushed, and pushes the same bytes for the same header', () => {
    for (const s of v().secretstream) {
      const pull = new c.SecretStreamPull(fromHex(s.key), fromHex(s.header))
      const push = new c.SecretStreamPush(fromHex(s.key), fromHex(s.header))
      for (const f of s.frames) {
        const got = pull.pull(fromHex(f.ciphertext))
        expect([hex(got.message), got.tag]).toEqual([f.message, f.tag])
        expect(hex(push.push(fromHex(f.message), f.tag))).toBe(f.ciphertext)
      }
      const forged = fromHex(s.frames[0]!.ciphertext)
      forged[0]! ^= 1
      expect(() => new c.SecretStreamPull(fromHex(s.key), fromHex(s.header)).pull(forged)).toThrow(
        c.DecryptionError
      )
    }
  })
}
