import { crc32 as zlibCrc32 } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { crc32 } from '../src/log/crc32.ts'

/** A deterministic byte pattern (xorshift), so a failure reproduces. */
function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n)
  let x = seed || 1
  for (let i = 0; i < n; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

describe('the portable CRC-32 of the log (OPFS) agrees with zlib (files)', () => {
  it('matches the published check value and zlib on every length around the 4-byte stride', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926) // CRC-32/ISO-HDLC check
    expect(crc32(new Uint8Array(0))).toBe(0)
    for (let n = 0; n <= 70; n++) {
      const data = bytes(n, n + 1)
      expect(crc32(data), `length ${n}`).toBe(zlibCrc32(data))
    }
  })

  it('continues from a seed as zlib does: crc(b, crc(a)) = crc(a ‖ b)', () => {
    const data = bytes(100_003, 7)
    for (const cut of [0, 1, 3, 4, 5, 4096, 99_999, 100_003]) {
      const a = data.subarray(0, cut)
      const b = data.subarray(cut)
      expect(crc32(b, crc32(a))).toBe(zlibCrc32(data))
      expect(crc32(b, 0x12345678)).toBe(zlibCrc32(b, 0x12345678))
    }
  })
})
