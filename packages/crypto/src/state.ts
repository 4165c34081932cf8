/**
 * Which backend is active, and loading it. `ready()` instantiates our WebAssembly kernel (BLAKE2b,
 * Merkle and the ciphers) and, where libsodium is wanted (by default under Node: see `#platform`),
 * libsodium too; each is imported on demand, so a bundle fetches only what `ready()` picks. If
 * WebAssembly cannot instantiate — a CSP without 'wasm-unsafe-eval', an engine without it — `auto`
 * falls back to the pure-JS backend with the identical API.
 */
import { LIBSODIUM_BY_DEFAULT } from '#platform'
import { BackendUnavailableError, NotReadyError } from './errors.ts'
import type { RawSodium } from './primitives-sodium.ts'
import type { Hasher, Primitives, SignaturePrimitives } from './types.ts'

/** `ready()` options. */
export interface ReadyOptions {
  /** `auto` (default): WebAssembly, or the JS fallback if it cannot run; `wasm`/`js` force one. */
  backend?: 'auto' | 'wasm' | 'js'
  /**
   * Whether the `wasm` backend runs signatures and Noise DH in libsodium. Default: `true` under
   * Node, `false` elsewhere, where they run in @noble/curves (Ed25519; WebCrypto for
   * `signAsync`/`verifyAsync`). `true` in a browser downloads libsodium (~190 KB gzipped) for
   * faster synchronous `sign`/`verify` (1.5–3× in Chromium). The ciphers (secretstream,
   * ChaCha20-Poly1305, XSalsa20, secretbox) run in our kernel either way: it outruns libsodium's
   * builds of them (`pnpm bench crypto`).
   */
  libsodium?: boolean
}

interface Loaded {
  hasher: Hasher
  primitives: Primitives
}

let hasher: Hasher | null = null
let primitives: Primitives | null = null

/** A loader that runs once, and again after a failure. */
function once<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | null = null
  return () => {
    pending ??= load().catch((err: unknown) => {
      pending = null
      throw err
    })
    return pending
  }
}

const loadKernel = once(async (): Promise<Loaded> => {
  const [{ instantiateKernel, kernelHasher }, { KernelCiphers }, { kernelPrimitives }] = await Promise.all([
    import('./merkle-wasm.ts'),
    import('./ciphers-wasm.ts'),
    import('./primitives-kernel.ts')
  ])
  const instance = await instantiateKernel()
  return { hasher: kernelHasher(instance), primitives: kernelPrimitives(new KernelCiphers(instance.exports)) }
})

const loadSodium = once(async (): Promise<SignaturePrimitives> => {
  const [mod, { sodiumPrimitives }] = await Promise.all([
    import('libsodium-wrappers-sumo'),
    import('./primitives-sodium.ts')
  ])
  const sodium = mod.default ?? mod
  await sodium.ready
  const raw = (sodium as unknown as { libsodium?: RawSodium }).libsodium
  if (!raw || typeof raw._crypto_scalarmult_ed25519_noclamp !== 'function') {
    throw new Error('libsodium-wrappers-sumo did not expose the raw libsodium module')
  }
  return sodiumPrimitives(raw)
})

const loadJs = once(async (): Promise<Loaded> => {
  const [{ jsHasher }, { noblePrimitives }] = await Promise.all([
    import('./merkle-js.ts'),
    import('./primitives-noble.ts')
  ])
  return { hasher: jsHasher, primitives: noblePrimitives }
})

/** libsodium's signatures and Noise DH with the kernel's ciphers (see `ReadyOptions.libsodium`). */
function withKernelCiphers(sodium: SignaturePrimitives, kernel: Primitives): Primitives {
  return {
    ...sodium,
    chacha20poly1305Encrypt: kernel.chacha20poly1305Encrypt,
    chacha20poly1305Decrypt: kernel.chacha20poly1305Decrypt,
    secretStream: kernel.secretStream,
    xsalsa20Xor: kernel.xsalsa20Xor,
    secretboxEasy: kernel.secretboxEasy,
    secretboxOpenEasy: kernel.secretboxOpenEasy
  }
}

/**
 * Loads the backend. Call once (further calls are cheap) before any synchronous function; calling
 * it again with other options switches backends. With `backend: 'wasm'` it rejects with
 * `BackendUnavailableError` where WebAssembly (or libsodium, if asked for) cannot load.
 */
export async function ready(opts: ReadyOptions = {}): Promise<void> {
  const want = opts.backend ?? 'auto'
  if (want !== 'js') {
    try {
      const withSodium = opts.libsodium ?? LIBSODIUM_BY_DEFAULT
      const [kernel, sodium] = await Promise.all([loadKernel(), withSodium ? loadSodium() : null])
      hasher = kernel.hasher
      primitives = sodium === null ? kernel.primitives : withKernelCiphers(sodium, kernel.primitives)
      return
    } catch (err) {
      if (want === 'wasm')
        throw new BackendUnavailableError('WebAssembly backend cannot load here', { cause: err })
    }
  }
  const js = await loadJs()
  hasher = js.hasher
  primitives = js.primitives
}

/** The active backend: `wasm` (our kernel, with libsodium or not) or `js` (@noble). */
export function backend(): 'wasm' | 'js' {
  if (!hasher) throw new NotReadyError()
  return hasher.name
}

/**
 * What runs signatures and Noise DH: `libsodium` (with our kernel's ciphers), `kernel` (our
 * kernel's ciphers and @noble/curves, with WebCrypto for `signAsync`/`verifyAsync`) or `noble`
 * (the JS fallback).
 */
export function primitivesBackend(): 'libsodium' | 'kernel' | 'noble' {
  if (!primitives) throw new NotReadyError()
  return primitives.name
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
