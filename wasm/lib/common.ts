/**
 * What both loaders share: which build the engine runs, and the inline fallback (the same modules
 * as base64 in a generated script, imported lazily so a bundle only carries it as a separate chunk
 * that is fetched when the `.wasm` asset could not be).
 */

/** The two builds of the kernel: two-lane WebAssembly SIMD, or scalar for engines without SIMD. */
export type KernelBuild = 'simd' | 'scalar'

/** The smallest module that uses a v128 value: it validates exactly where WebAssembly SIMD runs. */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98,
  11
])

/** Whether this engine runs WebAssembly SIMD (so the `simd` build is the one to load). */
export function simdSupported(): boolean {
  try {
    return WebAssembly.validate(SIMD_PROBE)
  } catch {
    return false
  }
}

/** The build to load: `build` if given, else SIMD where the engine validates it. */
export function pickBuild(build?: KernelBuild): KernelBuild {
  return build ?? (simdSupported() ? 'simd' : 'scalar')
}

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64)
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}

/** Compiles `build` from the inline base64 copy (loaded on demand). */
export async function compileInline(build: KernelBuild): Promise<WebAssembly.Module> {
  const inline = await import('../build/kernel.generated.ts')
  return WebAssembly.compile(decodeBase64(build === 'simd' ? inline.simd : inline.scalar))
}
