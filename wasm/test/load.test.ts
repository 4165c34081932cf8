/**
 * The Node loader reads the kernel's `.wasm` asset from disk (no inline bytes), picks the SIMD build
 * where the engine validates it, and the inline fallback holds the very same modules.
 */
import { readFileSync } from 'node:fs'
import { compileKernel, kernelSource, simdSupported } from '@orchard/wasm'
import { describe, expect, it } from 'vitest'
import { scalar, simd } from '../build/kernel.generated.ts'
import { compileInline } from '../lib/common.ts'

const lanes = async (m: WebAssembly.Module) =>
  ((await WebAssembly.instantiate(m, {})).exports as { lanes(): number }).lanes()

describe('the Node loader', () => {
  it('compiles the SIMD asset from disk by default', async () => {
    expect(simdSupported()).toBe(true)
    const m = await compileKernel()
    expect(kernelSource()).toBe('asset')
    expect(await lanes(m)).toBe(2)
    expect(await lanes(await compileKernel('scalar'))).toBe(1)
  })

  it('ships the same bytes as an asset and inline', async () => {
    for (const [build, b64] of [
      ['simd', simd],
      ['scalar', scalar]
    ] as const) {
      const asset = readFileSync(new URL(`../build/kernel-${build}.wasm`, import.meta.url))
      expect(Buffer.from(b64, 'base64').equals(asset)).toBe(true)
      expect(await lanes(await compileInline(build))).toBe(build === 'simd' ? 2 : 1)
    }
  })
})
