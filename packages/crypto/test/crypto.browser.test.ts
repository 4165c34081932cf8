/**
 * In real Chromium, on every backend (the default — kernel ciphers, @noble Ed25519, WebCrypto for
 * signAsync/verifyAsync —, libsodium on request, and the JS fallback): the known-answer vectors
 * (BLAKE2b KAT, holepunch-formats §3/§4.8/§5.6) and the oracle vectors the Node global setup
 * computed with sodium-native, hypercore-crypto and noise-curve-ed. Also: Chromium gets the SIMD
 * kernel; a module worker loads it; signature edge cases decided as libsodium decides them.
 */
import { beforeAll, describe, expect, inject, it } from 'vitest'
import { KernelCiphers } from '../src/ciphers-wasm.ts'
import * as c from '../src/index.ts'
import { instantiateKernel, loadKernel } from '../src/merkle-wasm.ts'
import { BACKENDS, fromHex, hex } from './helpers.ts'
import { oracleVectorTests } from './oracle-vectors.ts'
import { vectorTests } from './vector-suite.ts'

it('runs in a browser, where WebAssembly SIMD validates and the SIMD kernel loads', async () => {
  expect(navigator.userAgent).toContain('Chrome')
  const kernel = await loadKernel()
  expect(kernel.lanes).toBe(2)
})

it('defaults to the kernel primitives here: no libsodium unless asked for', async () => {
  await c.ready()
  expect([c.backend(), c.primitivesBackend()]).toEqual(['wasm', 'kernel'])
})

it('loads in a module worker too: the WASM backend, the same digests', async () => {
  const worker = new Worker(new URL('./fixtures/worker.ts', import.meta.url), { type: 'module' })
  const reply = await new Promise<Record<string, string>>((resolve, reject) => {
    worker.onmessage = (e) => resolve(e.data)
    worker.onerror = (e) => reject(new Error(e.message))
    worker.postMessage('go')
  })
  worker.terminate()
  expect(reply).toEqual({
    backend: 'wasm',
    primitives: 'kernel',
    treeHash: '7ea73eb86179fb7328e73663f90f4c91256574af1112efe97fdf9309e03b67a7',
    publicKey: '8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c',
    signature:
      '4be7d0c6249157b24f134abdc1ae821b79005d186a94344f950d6946f7a371ffd8c538e81798acb6b3de52c9ada90a9f52a33bea173b730c3e2797901aa8980b'
  })
})

it("the scalar kernel's ciphers (for engines without SIMD) equal sodium-native here too", async () => {
  const k = new KernelCiphers((await instantiateKernel({ build: 'scalar' })).exports)
  const v = inject('cryptoVectors')
  for (const t of v.chacha20poly1305) {
    const [key, nonce, ad, pt] = [t.key, t.nonce, t.ad, t.plaintext].map(fromHex) as Uint8Array[]
    expect(hex(k.chacha20poly1305Encrypt(key!, nonce!, ad!, pt!))).toBe(t.out)
  }
  for (const t of v.xsalsa20) {
    const data = fromHex(t.data)
    expect(hex(k.xsalsa20Xor(data, fromHex(t.nonce), fromHex(t.key), data))).toBe(t.out)
  }
  for (const t of v.secretbox)
    expect(hex(k.secretboxEasy(fromHex(t.message), fromHex(t.nonce), fromHex(t.key)))).toBe(t.out)
  for (const s of v.secretstream) {
    const pull = k.secretStream(fromHex(s.key), fromHex(s.header))
    for (const f of s.frames) expect(hex(pull.pull(fromHex(f.ciphertext)).message)).toBe(f.message)
  }
})

for (const setup of BACKENDS) {
  describe(`Chromium, ${setup.label}`, () => {
    beforeAll(async () => {
      await c.ready(setup.options)
      expect([c.backend(), c.primitivesBackend()]).toEqual([setup.backend, setup.primitives])
    })
    vectorTests(c)
    oracleVectorTests(c, () => inject('cryptoVectors'))
  })
}
