/**
 * In real Chromium, on both backends: the known-answer vectors (BLAKE2b KAT, holepunch-formats
 * §3/§4.8/§5.6) and the oracle vectors the Node global setup computed with sodium-native,
 * hypercore-crypto and noise-curve-ed. Also checks that Chromium gets the SIMD kernel.
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
