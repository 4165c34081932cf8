/** Byte helpers the swarm needs (hex keys for maps, ordering of public keys). */

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

/** Lower-case hex of `bytes`: how peers and topics are keyed in maps. */
export function toHex(bytes: Uint8Array): string {
  let s = ''
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]!]
  return s
}

/** Bytewise comparison, as `Buffer.compare`: negative, zero or positive. */
export function compare(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1
}

/** True when `a` and `b` hold the same bytes. */
export function equals(a: Uint8Array, b: Uint8Array): boolean {
  return compare(a, b) === 0
}
