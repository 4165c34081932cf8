/**
 * Which backend is active. `ready()` loads the WebAssembly pieces (our BLAKE2b/Merkle kernel and
 * libsodium) once; if either cannot instantiate — a CSP without 'wasm-unsafe-eval', an engine
 * without WebAssembly — `auto` falls back to the pure-JS backend with the identical API.
 */
import { BackendUnavailableError, NotReadyError } from './errors.ts'
import { jsHasher } from './merkle-js.ts'
import { noblePrimitives } from './primitives-noble.ts'
import { type RawSodium, sodiumPrimitives } from './primitives-sodium.ts'
import type { Hasher, Primitives } from './types.ts'

/** `ready()` options. */
export interface ReadyOptions {
  /** `auto` (default): WebAssembly, or the JS fallback if it cannot run; `wasm`/`js` force one. */
  backend?: 'auto' | 'wasm' | 'js'
}

let hasher: Hasher | null = null
let primitives: Primitives | null = null
let wasmLoad: Promise<{ hasher: Hasher; primitives: Primitives }> | null = null

async function loadSodium(): Promise<Primitives> {
  const mod = await import('libsodium-wrappers-sumo')
  const sodium = mod.default ?? mod
  await sodium.ready
  const raw = (sodium as unknown as { libsodium?: RawSodium }).libsodium
  if (!raw || typeof raw._crypto_scalarmult_ed25519_noclamp !== 'function') {
    throw new Error('libsodium-wrappers-sumo did not expose the raw libsodium module')
  }
  return sodiumPrimitives(raw)
}

async function loadWasm(): Promise<{ hasher: Hasher; primitives: Primitives }> {
  const [kernel, sodium] = await Promise.all([loadKernelHasher(), loadSodium()])
  return { hasher: kernel, primitives: sodium }
}

async function loadKernelHasher(): Promise<Hasher> {
  const { loadKernel } = await import('./merkle-wasm.ts')
  return loadKernel()
}

/**
 * Loads the backend. Call once (further calls are cheap) before any synchronous function.
 * With `backend: 'wasm'` it rejects with `BackendUnavailableError` where WebAssembly cannot run.
 */
export async function ready(opts: ReadyOptions = {}): Promise<void> {
  const want = opts.backend ?? 'auto'
  if (want === 'js') {
    hasher = jsHasher
    primitives = noblePrimitives
    return
  }
  try {
    wasmLoad ??= loadWasm()
    const loaded = await wasmLoad
    hasher = loaded.hasher
    primitives = loaded.primitives
  } catch (err) {
    wasmLoad = null
    if (want === 'wasm')
      throw new BackendUnavailableError('WebAssembly backend cannot load here', { cause: err })
    hasher = jsHasher
    primitives = noblePrimitives
  }
}

/** The active backend: `wasm` (our kernel + libsodium) or `js` (@noble). */
export function backend(): 'wasm' | 'js' {
  if (!hasher) throw new NotReadyError()
  return hasher.name
}

/** The active hasher; throws `NotReadyError` before `ready()`. */
export function activeHasher(): Hasher {
  if (hasher === null) throw new NotReadyError()
  return hasher
}

/** The active primitives; throws `NotReadyError` before `ready()`. */
export function activePrimitives(): Primitives {
  if (primitives === null) throw new NotReadyError()
  return primitives
}
