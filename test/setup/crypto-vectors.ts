/**
 * vitest global setup (Node): computes oracle vectors for @orchard/crypto with the real native
 * packages — sodium-native, hypercore-crypto, noise-curve-ed and noise-handshake (the latter two
 * from @hyperswarm/secret-stream's own dependencies) — and provides them to the Chromium tests,
 * which cannot load native addons. Inputs come from a fixed seed, so every run checks the same cases.
 */
import { createRequire } from 'node:module'
import hc from 'hypercore-crypto'
import na from 'sodium-native'
import type { TestProject } from 'vitest/node'
import { rng } from '../../packages/crypto/test/helpers.ts'
import type { HexNode, OracleVectors } from '../../packages/crypto/test/oracle-vectors.ts'

const fromSecretStream = createRequire(createRequire(import.meta.url).resolve('@hyperswarm/secret-stream'))
const curve = fromSecretStream('noise-curve-ed')
const noiseHmac = fromSecretStream('noise-handshake/hmac')

const b = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength)
const h = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('hex')

export function computeVectors(seed = 0xc0ffee): OracleVectors {
  const r = rng(seed)
  const node = (): HexNode => ({ index: r.int(2 ** 41), size: r.int(2 ** 45), hash: h(r.bytes(32)) })
  const toNode = (n: HexNode) => ({ index: n.index, size: n.size, hash: Buffer.from(n.hash, 'hex') })
  const times = <T>(n: number, f: () => T): T[] => Array.from({ length: n }, f)

  const blake2b = times(200, () => {
    const data = r.bytes(r.length(400))
    const outLen = 16 + r.int(49)
    const key = r.int(2) === 0 ? null : r.bytes(16 + r.int(49))
    const out = Buffer.alloc(outLen)
    na.crypto_generichash(out, b(data), key ? b(key) : undefined)
    return { data: h(data), outLen, key: key && h(key), out: h(out) }
  })
  const blake2bBatch = times(50, () => {
    const parts = times(r.int(5), () => r.bytes(r.length(200)))
    const outLen = 16 + r.int(49)
    const key = r.int(2) === 0 ? null : r.bytes(16 + r.int(49))
    const out = Buffer.alloc(outLen)
    na.crypto_generichash_batch(out, parts.map(b), key ? b(key) : undefined)
    return { parts: parts.map(h), outLen, key: key && h(key), out: h(out) }
  })
  const leaves = times(100, () => {
    const blocks = times(r.int(6), () => r.bytes(r.length(600)))
    return { blocks: blocks.map(h), out: blocks.map((x) => h(hc.data(b(x)))) }
  })
  const parents = times(100, () => {
    const pairs = times(r.int(6), () => [node(), node()] as [HexNode, HexNode])
    return { pairs, out: pairs.map(([x, y]) => h(hc.parent(toNode(x), toNode(y)))) }
  })
  const tree = times(100, () => {
    const roots = times(r.int(8), node)
    return { roots, out: h(hc.tree(roots.map(toNode))) }
  })
  const discoveryKey = times(100, () => {
    const key = r.bytes(32)
    return { key: h(key), out: h(hc.discoveryKey(b(key))) }
  })
  const namespace = times(50, () => {
    const name = h(r.bytes(r.int(16)))
    const count = r.int(2) === 0 ? r.int(6) : times(r.int(6), () => r.int(256))
    return { name, count, out: (hc.namespace(name, count) as Buffer[]).map(h) }
  })
  const hmac = times(100, () => {
    const key = r.bytes(r.int(260))
    const parts = times(1 + r.int(3), () => r.bytes(r.length(150)))
    const out = Buffer.alloc(64)
    noiseHmac(out, parts.map(b), b(key))
    return { key: h(key), parts: parts.map(h), out: h(out) }
  })
  const keyPair = times(100, () => {
    const seed = r.bytes(32)
    const kp = hc.keyPair(b(seed))
    return { seed: h(seed), publicKey: h(kp.publicKey), secretKey: h(kp.secretKey) }
  })
  const sign = times(100, () => {
    const kp = hc.keyPair(b(r.bytes(32)))
    const message = r.bytes(r.length(300))
    return {
      secretKey: h(kp.secretKey),
      message: h(message),
      signature: h(hc.sign(b(message), kp.secretKey))
    }
  })
  const verify = times(200, () => {
    const kp = hc.keyPair(b(r.bytes(32)))
    const message = r.bytes(r.length(200))
    const signature = new Uint8Array(hc.sign(b(message), kp.secretKey))
    const publicKey = r.int(4) === 0 ? r.bytes(32) : new Uint8Array(kp.publicKey)
    if (r.int(3) === 0) signature[r.int(64)]! ^= 1 << r.int(8)
    const valid = na.crypto_sign_verify_detached(b(signature), b(message), b(publicKey))
    return { message: h(message), signature: h(signature), publicKey: h(publicKey), valid }
  })
  const dh = times(200, () => {
    const { secretKey } = hc.keyPair(b(r.bytes(32)))
    const publicKey = r.int(2) === 0 ? r.bytes(32) : new Uint8Array(hc.keyPair(b(r.bytes(32))).publicKey)
    let out: string | null
    try {
      out = h(curve.dh(b(publicKey), { secretKey }))
    } catch {
      out = null
    }
    return { publicKey: h(publicKey), secretKey: h(secretKey), out }
  })
  const chacha20poly1305 = times(100, () => {
    const [key, nonce, ad, plaintext] = [
      r.bytes(32),
      r.bytes(12),
      r.bytes(r.length(60)),
      r.bytes(r.length(400))
    ]
    const out = Buffer.alloc(plaintext.byteLength + 16)
    na.crypto_aead_chacha20poly1305_ietf_encrypt(out, b(plaintext), b(ad), null, b(nonce), b(key))
    return { key: h(key), nonce: h(nonce), ad: h(ad), plaintext: h(plaintext), out: h(out) }
  })
  const xsalsa20 = times(100, () => {
    const [key, nonce, data] = [r.bytes(32), r.bytes(24), r.bytes(r.length(600))]
    const out = Buffer.alloc(data.byteLength)
    na.crypto_stream_xor(out, b(data), b(nonce), b(key))
    return { key: h(key), nonce: h(nonce), data: h(data), out: h(out) }
  })
  const secretbox = times(100, () => {
    const [key, nonce, message] = [r.bytes(32), r.bytes(24), r.bytes(r.length(400))]
    const out = Buffer.alloc(message.byteLength + 16)
    na.crypto_secretbox_easy(out, b(message), b(nonce), b(key))
    return { key: h(key), nonce: h(nonce), message: h(message), out: h(out) }
  })
  const secretstream = times(5, () => {
    const key = r.bytes(32)
    const state = Buffer.alloc(na.crypto_secretstream_xchacha20poly1305_STATEBYTES)
    const header = Buffer.alloc(24)
    na.crypto_secretstream_xchacha20poly1305_init_push(state, header, b(key))
    const frames = times(20, () => {
      const message = r.bytes(r.length(300))
      const tag = [0, 0, 0, 1, 2, 3][r.int(6)]!
      const ct = Buffer.alloc(message.byteLength + 17)
      na.crypto_secretstream_xchacha20poly1305_push(state, ct, b(message), null, tag)
      return { ciphertext: h(ct), message: h(message), tag }
    })
    return { key: h(key), header: h(header), frames }
  })

  return {
    blake2b,
    blake2bBatch,
    leaves,
    parents,
    tree,
    discoveryKey,
    namespace,
    hmac,
    keyPair,
    sign,
    verify,
    dh,
    chacha20poly1305,
    xsalsa20,
    secretbox,
    secretstream
  }
}

export default function setup(project: TestProject): void {
  project.provide('cryptoVectors', computeVectors())
}
