/**
 * In Chromium (served by Vite, as an app's dev server would) the loader streams the kernel's `.wasm`
 * asset in rather than decoding the inline copy.
 */
import { compileKernel, kernelSource } from '@orchard/wasm'
import { describe, expect, it } from 'vitest'

describe('the browser loader', () => {
  it('streams the SIMD asset in', async () => {
    const m = await compileKernel()
    expect(kernelSource()).toBe('asset')
    const { exports } = await WebAssembly.instantiate(m, {})
    expect((exports as { lanes(): number }).lanes()).toBe(2)
  })
})
