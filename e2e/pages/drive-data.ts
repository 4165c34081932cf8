/** What the drive e2e test and its page share: file specs, readouts, deterministic bytes. */

/** One file the test asks for: its path, size, a fill seed, and whether it is executable. */
export interface FileSpec {
  path: string
  size: number
  seed: number
  executable: boolean
}

/** What the tab reports of its drive. */
export interface DriveReadout {
  key: string
  contentKey: string
  version: number
  /** path → { size, sum, executable } of every file listed. */
  files: Record<string, { size: number; sum: number; executable: boolean }>
  links: Record<string, string>
}

/** Deterministic bytes of a file (the test computes the same in Node). */
export function fill(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size)
  let x = seed >>> 0 || 1
  for (let i = 0; i < size; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

/** A position-weighted checksum, cheap to compare across the page boundary. */
export function sum(bytes: Uint8Array): number {
  let s = 0
  for (let i = 0; i < bytes.length; i++) s = (s * 31 + bytes[i]!) >>> 0
  return s
}
