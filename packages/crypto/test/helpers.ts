/**
 * Test helpers shared by the Node and Chromium tests (no Node built-ins here): a seeded PRNG so
 * every random input is reproducible from the seed in the test name, hex helpers.
 */

/** xorshift128+ on two 32-bit halves: fast, seedable, good enough to pick test inputs. */
export function rng(seed: number) {
  let a = seed >>> 0 || 1
  let b = (seed * 2654435761) >>> 0 || 2
  const next = (): number => {
    let t = a ^ (a << 11)
    a = b
    b = b ^ (b >>> 19) ^ t ^ (t >>> 8)
    t = b >>> 0
    return t
  }
  return {
    /** Uniform integer in [0, n). */
    int(n: number): number {
      return Math.floor((next() / 2 ** 32) * n)
    },
    bytes(n: number): Uint8Array {
      const out = new Uint8Array(n)
      for (let i = 0; i < n; i++) out[i] = next() & 0xff
      return out
    },
    /** A length skewed toward block boundaries (0, 1, 127, 128, 129, …) and small sizes. */
    length(max: number): number {
      const edges = [0, 1, 55, 63, 64, 65, 111, 112, 118, 119, 120, 127, 128, 129, 255, 256, 257]
      const pick = next() % 4
      if (pick === 0) return Math.min(max, edges[next() % edges.length]!)
      if (pick === 1) return Math.min(max, (next() % 8) * 128 + (next() % 3) - 1 + 1)
      return next() % (max + 1)
    }
  }
}

export const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')

export function fromHex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, '')
  const out = new Uint8Array(clean.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(2 * i, 2 * i + 2), 16)
  return out
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

/** Bytes 0x00, 0x01, … n-1 (the BLAKE2 KAT inputs and key). */
export function sequence(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => i)
}

/** The three ways `ready()` can set the library up, which every primitive test runs on. */
export const BACKENDS = [
  {
    label: 'wasm backend with libsodium (the Node default)',
    options: { backend: 'wasm', libsodium: true },
    backend: 'wasm',
    primitives: 'libsodium'
  },
  {
    label: 'wasm backend with kernel ciphers and @noble Ed25519 (the browser default)',
    options: { backend: 'wasm', libsodium: false },
    backend: 'wasm',
    primitives: 'kernel'
  },
  { label: 'js backend', options: { backend: 'js' }, backend: 'js', primitives: 'noble' }
] as const
