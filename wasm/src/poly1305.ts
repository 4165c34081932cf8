// Poly1305 (RFC 8439 §2.5) with 26-bit limbs: products of two limbs fit in 64 bits, and WebAssembly
// has a 64-bit multiply but no wider one. Streaming over a state the caller places in memory:
// init / update (any lengths) / finish.

// State layout.
const P_R = 0 // r, 5 limbs (u32)
const P_H = 20 // accumulator h, 5 limbs (u32)
const P_PAD = 40 // s, the second half of the key, 16 bytes
const P_FILL = 56 // buffered bytes (u32)
const P_BUF = 64 // 16-byte buffer of a partial block

const MASK: u32 = 0x3ffffff

/** Starts a MAC under the 32-byte one-time key at `key`. */
export function polyInit(st: usize, key: usize): void {
  // r is clamped (RFC 8439 §2.5.1) while it is split into limbs.
  store<u32>(st, load<u32>(key, 0) & 0x3ffffff, P_R)
  store<u32>(st, (load<u32>(key, 3) >> 2) & 0x3ffff03, P_R + 4)
  store<u32>(st, (load<u32>(key, 6) >> 4) & 0x3ffc0ff, P_R + 8)
  store<u32>(st, (load<u32>(key, 9) >> 6) & 0x3f03fff, P_R + 12)
  store<u32>(st, (load<u32>(key, 12) >> 8) & 0x00fffff, P_R + 16)
  memory.fill(st + P_H, 0, 20)
  memory.copy(st + P_PAD, key + 16, 16)
  store<u32>(st, 0, P_FILL)
}

/** Absorbs len / 16 whole blocks at m; `hibit` is 1 << 24 for message blocks, 0 for the padded last one. */
function blocks(st: usize, m: usize, len: usize, hibit: u32): void {
  const r0 = <u64>load<u32>(st, P_R)
  const r1 = <u64>load<u32>(st, P_R + 4)
  const r2 = <u64>load<u32>(st, P_R + 8)
  const r3 = <u64>load<u32>(st, P_R + 12)
  const r4 = <u64>load<u32>(st, P_R + 16)
  const s1 = r1 * 5
  const s2 = r2 * 5
  const s3 = r3 * 5
  const s4 = r4 * 5
  let h0 = load<u32>(st, P_H)
  let h1 = load<u32>(st, P_H + 4)
  let h2 = load<u32>(st, P_H + 8)
  let h3 = load<u32>(st, P_H + 12)
  let h4 = load<u32>(st, P_H + 16)
  while (len >= 16) {
    h0 += load<u32>(m, 0) & MASK
    h1 += (load<u32>(m, 3) >> 2) & MASK
    h2 += (load<u32>(m, 6) >> 4) & MASK
    h3 += (load<u32>(m, 9) >> 6) & MASK
    h4 += (load<u32>(m, 12) >> 8) | hibit
    const g0 = <u64>h0
    const g1 = <u64>h1
    const g2 = <u64>h2
    const g3 = <u64>h3
    const g4 = <u64>h4
    const d0 = g0 * r0 + g1 * s4 + g2 * s3 + g3 * s2 + g4 * s1
    let d1 = g0 * r1 + g1 * r0 + g2 * s4 + g3 * s3 + g4 * s2
    let d2 = g0 * r2 + g1 * r1 + g2 * r0 + g3 * s4 + g4 * s3
    let d3 = g0 * r3 + g1 * r2 + g2 * r1 + g3 * r0 + g4 * s4
    let d4 = g0 * r4 + g1 * r3 + g2 * r2 + g3 * r1 + g4 * r0
    // Partial carry propagation: limbs end below 2^26 plus a little, enough for the next block.
    d1 += d0 >> 26
    h0 = <u32>d0 & MASK
    d2 += d1 >> 26
    h1 = <u32>d1 & MASK
    d3 += d2 >> 26
    h2 = <u32>d2 & MASK
    d4 += d3 >> 26
    h3 = <u32>d3 & MASK
    const c = <u32>(d4 >> 26)
    h4 = <u32>d4 & MASK
    h0 += c * 5
    h1 += h0 >> 26
    h0 &= MASK
    m += 16
    len -= 16
  }
  store<u32>(st, h0, P_H)
  store<u32>(st, h1, P_H + 4)
  store<u32>(st, h2, P_H + 8)
  store<u32>(st, h3, P_H + 12)
  store<u32>(st, h4, P_H + 16)
}

/** Absorbs len bytes at m (any length; a partial block waits in the state's buffer). */
export function polyUpdate(st: usize, m: usize, len: usize): void {
  let fill = <usize>load<u32>(st, P_FILL)
  if (fill > 0) {
    const take = min<usize>(16 - fill, len)
    memory.copy(st + P_BUF + fill, m, take)
    fill += take
    m += take
    len -= take
    if (fill < 16) {
      store<u32>(st, <u32>fill, P_FILL)
      return
    }
    blocks(st, st + P_BUF, 16, 1 << 24)
    fill = 0
  }
  const whole = len & ~15
  if (whole > 0) blocks(st, m, whole, 1 << 24)
  const rest = len - whole
  if (rest > 0) memory.copy(st + P_BUF, m + whole, rest)
  store<u32>(st, <u32>rest, P_FILL)
}

/** Finishes the MAC: 16 bytes at out. */
export function polyFinish(st: usize, out: usize): void {
  const fill = <usize>load<u32>(st, P_FILL)
  if (fill > 0) {
    // The last partial block gets a 1 byte after it and no 2^128 bit.
    store<u8>(st + P_BUF + fill, 1)
    memory.fill(st + P_BUF + fill + 1, 0, 15 - fill)
    blocks(st, st + P_BUF, 16, 0)
  }
  let h0 = load<u32>(st, P_H)
  let h1 = load<u32>(st, P_H + 4)
  let h2 = load<u32>(st, P_H + 8)
  let h3 = load<u32>(st, P_H + 12)
  let h4 = load<u32>(st, P_H + 16)
  // Full carry propagation.
  let c = h1 >> 26
  h1 &= MASK
  h2 += c
  c = h2 >> 26
  h2 &= MASK
  h3 += c
  c = h3 >> 26
  h3 &= MASK
  h4 += c
  c = h4 >> 26
  h4 &= MASK
  h0 += c * 5
  c = h0 >> 26
  h0 &= MASK
  h1 += c
  // g = h + 5 - 2^130; take g where it does not borrow (h ≥ p), in constant time.
  let g0 = h0 + 5
  c = g0 >> 26
  g0 &= MASK
  let g1 = h1 + c
  c = g1 >> 26
  g1 &= MASK
  let g2 = h2 + c
  c = g2 >> 26
  g2 &= MASK
  let g3 = h3 + c
  c = g3 >> 26
  g3 &= MASK
  const g4 = h4 + c - (1 << 26)
  const useG = (g4 >> 31) - 1 // all ones where g4 did not go negative
  const useH = ~useG
  h0 = (h0 & useH) | (g0 & useG)
  h1 = (h1 & useH) | (g1 & useG)
  h2 = (h2 & useH) | (g2 & useG)
  h3 = (h3 & useH) | (g3 & useG)
  h4 = (h4 & useH) | (g4 & useG)
  // h mod 2^128, plus s.
  const w0 = h0 | (h1 << 26)
  const w1 = (h1 >> 6) | (h2 << 20)
  const w2 = (h2 >> 12) | (h3 << 14)
  const w3 = (h3 >> 18) | (h4 << 8)
  let f = <u64>w0 + load<u32>(st, P_PAD)
  store<u32>(out, <u32>f, 0)
  f = <u64>w1 + load<u32>(st, P_PAD + 4) + (f >> 32)
  store<u32>(out, <u32>f, 4)
  f = <u64>w2 + load<u32>(st, P_PAD + 8) + (f >> 32)
  store<u32>(out, <u32>f, 8)
  f = <u64>w3 + load<u32>(st, P_PAD + 12) + (f >> 32)
  store<u32>(out, <u32>f, 12)
}

/** Whether the 16 bytes at a and b are equal, in time independent of where they differ. */
export function equal16(a: usize, b: usize): bool {
  const d = (load<u64>(a, 0) ^ load<u64>(b, 0)) | (load<u64>(a, 8) ^ load<u64>(b, 8))
  return d == 0
}
