/**
 * `@orchard/wasm` in Node: the kernel is the `.wasm` file next to this module, read from disk (Node
 * 20's `fetch` does not read `file:` URLs). If the file is missing — this module was bundled
 * somewhere else — the inline copy is used.
 */
import { readFile } from 'node:fs/promises'
import { compileInline, type KernelBuild, pickBuild } from './common.ts'

export { type KernelBuild, simdSupported } from './common.ts'

let source: 'asset' | 'inline' | null = null

/** Where the last compiled kernel came from: its `.wasm` asset, the inline fallback, or none yet. */
export function kernelSource(): 'asset' | 'inline' | null {
  return source
}

/**
 * Compiles the kernel: the `simd` build where the engine validates WebAssembly SIMD, else `scalar`
 * (or the one asked for). The module imports nothing: instantiate it with `{}`.
 */
export async function compileKernel(build?: KernelBuild): Promise<WebAssembly.Module> {
  const which = pickBuild(build)
  let bytes: Uint8Array<ArrayBuffer>
  try {
    const url =
      which === 'simd'
        ? new URL('../build/kernel-simd.wasm', import.meta.url)
        : new URL('../build/kernel-scalar.wasm', import.meta.url)
    bytes = new Uint8Array(await readFile(url))
  } catch {
    source = 'inline'
    return compileInline(which)
  }
  source = 'asset'
  return WebAssembly.compile(bytes)
}
