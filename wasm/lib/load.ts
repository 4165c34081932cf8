/**
 * `@orchard/wasm` in browsers, workers and bundlers: the kernel is a `.wasm` asset next to this
 * module, found with `new URL(…, import.meta.url)` (which Vite, Rollup, webpack 5 and Parcel turn
 * into an emitted asset) and compiled while it streams in. Only the build the engine runs is
 * fetched. Where the asset cannot be fetched or compiled — a bundler that does not emit it, a dev
 * server that moved this module — the inline copy is imported instead.
 */
import { compileInline, type KernelBuild, pickBuild } from './common.ts'

export { type KernelBuild, simdSupported } from './common.ts'

let source: 'asset' | 'inline' | null = null

/** Where the last compiled kernel came from: its `.wasm` asset, the inline fallback, or none yet. */
export function kernelSource(): 'asset' | 'inline' | null {
  return source
}

function assetUrl(build: KernelBuild): URL {
  // Two literal `new URL` expressions, so bundlers see and emit both assets.
  return build === 'simd'
    ? new URL('../build/kernel-simd.wasm', import.meta.url)
    : new URL('../build/kernel-scalar.wasm', import.meta.url)
}

async function compileAsset(build: KernelBuild): Promise<WebAssembly.Module> {
  const res = await fetch(assetUrl(build))
  if (!res.ok) throw new Error(`${res.status} fetching the ${build} kernel`)
  const streaming = typeof WebAssembly.compileStreaming === 'function'
  if (streaming && res.headers.get('content-type')?.split(';')[0]?.trim() === 'application/wasm')
    return WebAssembly.compileStreaming(res)
  return WebAssembly.compile(await res.arrayBuffer())
}

/**
 * Compiles the kernel: the `simd` build where the engine validates WebAssembly SIMD, else `scalar`
 * (or the one asked for). The module imports nothing: instantiate it with `{}`.
 */
export async function compileKernel(build?: KernelBuild): Promise<WebAssembly.Module> {
  const which = pickBuild(build)
  try {
    const module = await compileAsset(which)
    source = 'asset'
    return module
  } catch {
    source = 'inline'
    return compileInline(which)
  }
}
