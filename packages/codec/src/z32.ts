/** z-base-32, the human-oriented base-32 hypercore uses for core ids (`core.id`) and links. */
const ALPHABET = 'ybndrfg8ejkmcpqxot1uwisza345h769'

/** The z-base-32 text of `bytes` (52 characters for a 32-byte key, as `core.id`). */
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

/** Decodes z-base-32; null when a character is not in the alphabet. */
export function fromZBase32(text: string): Uint8Array | null {
  const out = new Uint8Array(Math.floor((text.length * 5) / 8))
  let bits = 0
  let value = 0
  let n = 0
  for (const ch of text) {
    const v = ALPHABET.indexOf(ch)
    if (v === -1) return null
    value = ((value << 5) | v) & 0xffff
    bits += 5
    if (bits >= 8) {
      out[n++] = (value >>> (bits - 8)) & 0xff
      bits -= 8
    }
  }
  return out
}
