/** z-base-32, the human-oriented base-32 hypercore uses for core ids (`core.id`). */
const ALPHABET = 'ybndrfg8ejkmcpqxot1uwisza345h769'

export function toZBase32(bytes: Uint8Array): string {
  let out = ''
  let bits = 0
  let value = 0
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31]
  return out
}
