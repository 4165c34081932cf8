/**
 * CRC-32 (ISO-HDLC, zlib's `crc32`) in plain JavaScript, for runtimes without zlib: the log's
 * record checksum. Slicing by four tables; `crc32(b, crc32(a))` equals `crc32(a ‖ b)`, as zlib's.
 */

const TABLES = (() => {
  const t = new Int32Array(4 * 256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!
    for (let k = 1; k < 4; k++) {
      c = t[c & 0xff]! ^ (c >>> 8)
      t[k * 256 + n] = c
    }
  }
  return t
})()

/** The CRC-32 of `data`, continuing from `seed` (the CRC of the bytes before it; 0 to start). */
export function crc32(data: Uint8Array, seed = 0): number {
  const t = TABLES
  let c = ~seed
  let i = 0
  const n = data.length
  const end4 = n - (n % 4)
  for (; i < end4; i += 4) {
    c ^= data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)
    c = t[768 + (c & 0xff)]! ^ t[512 + ((c >>> 8) & 0xff)]! ^ t[256 + ((c >>> 16) & 0xff)]! ^ t[c >>> 24]!
  }
  for (; i < n; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8)
  return ~c >>> 0
}
