/**
 * The fallback: where WebAssembly cannot compile (a CSP without 'wasm-unsafe-eval', an engine
 * without it), `ready()` selects the pure-JS backend. WebAssembly is stubbed to refuse — in its own
 * file, because libsodium's module stays broken for the rest of the worker once its load failed.
 */
import { describe, expect, it, vi } from 'vitest'
import { hex } from './helpers.ts'

describe('when WebAssembly cannot instantiate (e.g. a CSP without wasm-unsafe-eval)', () => {
  it('auto falls back to the js backend; backend: "wasm" rejects with BackendUnavailableError', async () => {
    const refuse = () => Promise.reject(new WebAssembly.CompileError('WebAssembly.compile(): refused by CSP'))
    vi.spyOn(WebAssembly, 'compile').mockImplementation(refuse)
    vi.spyOn(WebAssembly, 'instantiate').mockImplementation(refuse)
    const fresh = await import('../src/index.ts')
    await expect(fresh.ready({ backend: 'wasm' })).rejects.toBeInstanceOf(fresh.BackendUnavailableError)
    await fresh.ready()
    expect(fresh.backend()).toBe('js')
    expect(hex(fresh.tree([]))).toBe('bb30a42c1e62f0afda5f0a4e8a562f7a13a24cea00ee81917b86b89e801314aa')
  })
})
