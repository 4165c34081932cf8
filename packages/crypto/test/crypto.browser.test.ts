/**
 * In real Chromium, on both backends: the known-answer vectors (BLAKE2b KAT, holepunch-formats
 * §3/§4.8/§5.6) and the oracle vectors the Node global setup computed with sodium-native,
 * hypercore-crypto and noise-curve-ed. Also: Chromium gets the SIMD kernel; a module worker loads it.
 */
import { beforeAll, describe, expect, inject, it } from 'vitest'
import * as c from '../src/index.ts'
import { loadKernel } from '../src/merkle-wasm.ts'
import { oracleVectorTests } from './oracle-vectors.ts'
import { vectorTests } from './vector-suite.ts'

it('runs in a browser, where WebAssembly SIMD validates and the SIMD kernel loads', async () => {
  expect(navigator.userAgent).toContain('Chrome')
  const kernel = await loadKernel()
  expect(kernel.lanes).toBe(2)
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
    treeHash: '7ea73eb86179fb7328e73663f90f4c91256574af1112efe97fdf9309e03b67a7',
    publicKey: '8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c'
  })
})

for (const backend of ['wasm', 'js'] as const) {
  describe(`Chromium, ${backend} backend`, () => {
    beforeAll(async () => {
      await c.ready({ backend })
      expect(c.backend()).toBe(backend)
    })
    vectorTests(c)
    oracleVectorTests(c, () => inject('cryptoVectors'))
  })
}
