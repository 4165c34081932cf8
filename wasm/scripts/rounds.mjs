/**
 * Writes the BLAKE2b compression functions as AssemblyScript. The twelve rounds are unrolled with
 * the state in locals — the only form engines keep in registers — which is 96 G steps; generating
 * them from the RFC 7693 tables keeps the source short and the tables the single place to check.
 */

/** RFC 7693 §2.7: message word schedule for rounds 0..9 (rounds 10, 11 reuse rows 0, 1). */
const SIGMA = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0]
]

/** RFC 7693 §2.6: the initialisation vector (the SHA-512 IV). */
export const IV = [
  '0x6a09e667f3bcc908',
  '0xbb67ae8584caa73b',
  '0x3c6ef372fe94f82b',
  '0xa54ff53a5f1d36f1',
  '0x510e527fade682d1',
  '0x9b05688c2b3e6c1f',
  '0x1f83d9abfb41bd6b',
  '0x5be0cd19137e2179'
]

/** The column then diagonal G applications of one round: [a, b, c, d]. */
const STEPS = [
  [0, 4, 8, 12],
  [1, 5, 9, 13],
  [2, 6, 10, 14],
  [3, 7, 11, 15],
  [0, 5, 10, 15],
  [1, 6, 11, 12],
  [2, 7, 8, 13],
  [3, 4, 9, 14]
]

function rounds(g) {
  const lines = []
  for (let r = 0; r < 12; r++) {
    const s = SIGMA[r % 10]
    lines.push(`  // round ${r}`)
    STEPS.forEach(([a, b, c, d], i) => {
      lines.push(...g(a, b, c, d, s[2 * i], s[2 * i + 1]))
    })
  }
  return lines.join('\n')
}

const PARAM32 = '0x01010020' // digest length 32, no key, fanout 1, depth 1

/** Scalar: one message, state h (8 u64) in memory at `h`, block (16 u64, any alignment) at `m`. */
export function scalarSource() {
  const g = (a, b, c, d, x, y) => [
    `  v${a} += v${b} + m${x}; v${d} = rotr<u64>(v${d} ^ v${a}, 32)`,
    `  v${c} += v${d}; v${b} = rotr<u64>(v${b} ^ v${c}, 24)`,
    `  v${a} += v${b} + m${y}; v${d} = rotr<u64>(v${d} ^ v${a}, 16)`,
    `  v${c} += v${d}; v${b} = rotr<u64>(v${b} ^ v${c}, 63)`
  ]
  const loadM = Array.from({ length: 16 }, (_, i) => `  const m${i} = load<u64>(m, ${8 * i})`)
  const loadV = Array.from({ length: 8 }, (_, i) => `  let v${i} = load<u64>(h, ${8 * i})`)
  const ivV = [0, 1, 2, 3].map((i) => `  let v${8 + i}: u64 = ${IV[i]}`)
  const store = Array.from(
    { length: 8 },
    (_, i) => `  store<u64>(h, load<u64>(h, ${8 * i}) ^ v${i} ^ v${8 + i}, ${8 * i})`
  )
  const freshV = Array.from(
    { length: 8 },
    (_, i) => `  let v${i}: u64 = ${IV[i]}${i === 0 ? ` ^ ${PARAM32}` : ''}`
  )
  const out = [0, 1, 2, 3].map(
    (i) => `  store<u64>(out, ${IV[i]}${i === 0 ? ` ^ ${PARAM32}` : ''} ^ v${i} ^ v${8 + i}, ${8 * i})`
  )
  const tail = (f) => `${ivV.join('\n')}
  let v12: u64 = ${IV[4]} ^ t
  let v13: u64 = ${IV[5]}
  let v14: u64 = ${IV[6]} ^ ${f}
  let v15: u64 = ${IV[7]}
${rounds(g)}`
  return `/** BLAKE2b F (RFC 7693 §3.2) on one message: h ^= compress(h, m, t, f). */
export function compress(h: usize, m: usize, t: u64, f: u64): void {
${loadM.join('\n')}
${loadV.join('\n')}
${tail('f')}
${store.join('\n')}
}

/** BLAKE2b-256 of a message that is one (final, zero-padded) block of t bytes: no state in memory. */
export function hashBlock32(m: usize, t: u64, out: usize): void {
${loadM.join('\n')}
${freshV.join('\n')}
${tail('0xffffffffffffffff')}
${out.join('\n')}
}
`
}

/**
 * SIMD: two independent messages, one per i64x2 lane. State h (8 × v128) at `h` and block
 * (16 × v128) at `m` are interleaved: word j of lane L at offset 16·j + 8·L.
 */
export function simdSource() {
  const add = (x, y) => `i64x2.add(${x}, ${y})`
  const xor = (x, y) => `v128.xor(${x}, ${y})`
  const g = (a, b, c, d, x, y) => [
    `  v${a} = ${add(add(`v${a}`, `v${b}`), `m${x}`)}; v${d} = rotr32(${xor(`v${d}`, `v${a}`)})`,
    `  v${c} = ${add(`v${c}`, `v${d}`)}; v${b} = rotr24(${xor(`v${b}`, `v${c}`)})`,
    `  v${a} = ${add(add(`v${a}`, `v${b}`), `m${y}`)}; v${d} = rotr16(${xor(`v${d}`, `v${a}`)})`,
    `  v${c} = ${add(`v${c}`, `v${d}`)}; v${b} = rotr63(${xor(`v${b}`, `v${c}`)})`
  ]
  const loadM = Array.from({ length: 16 }, (_, i) => `  const m${i} = v128.load(m, ${16 * i})`)
  const loadV = Array.from({ length: 8 }, (_, i) => `  let v${i} = v128.load(h, ${16 * i})`)
  const ivV = [0, 1, 2, 3].map((i) => `  let v${8 + i} = i64x2.splat(${IV[i]})`)
  const store = Array.from(
    { length: 8 },
    (_, i) => `  v128.store(h, ${xor(xor(`v128.load(h, ${16 * i})`, `v${i}`), `v${8 + i}`)}, ${16 * i})`
  )
  return `// Lane-wise 64-bit rotations: byte shuffles where the amount is a whole number of bytes.
// @ts-ignore: decorator
@inline function rotr32(x: v128): v128 {
  return i8x16.shuffle(x, x, 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11)
}
// @ts-ignore: decorator
@inline function rotr24(x: v128): v128 {
  return i8x16.shuffle(x, x, 3, 4, 5, 6, 7, 0, 1, 2, 11, 12, 13, 14, 15, 8, 9, 10)
}
// @ts-ignore: decorator
@inline function rotr16(x: v128): v128 {
  return i8x16.shuffle(x, x, 2, 3, 4, 5, 6, 7, 0, 1, 10, 11, 12, 13, 14, 15, 8, 9)
}
// @ts-ignore: decorator
@inline function rotr63(x: v128): v128 {
  return v128.or(i64x2.add(x, x), i64x2.shr_u(x, 63))
}

/** BLAKE2b-256 of two one-block messages at once (lane 0 → outA, lane 1 → outB). */
export function hashBlock32x2(m: usize, t0: u64, t1: u64, outA: usize, outB: usize): void {
${loadM.join('\n')}
${Array.from({ length: 8 }, (_, i) => `  let v${i} = i64x2.splat(${IV[i]}${i === 0 ? ` ^ ${PARAM32}` : ''})`).join('\n')}
${ivV.join('\n')}
  let v12 = v128.xor(i64x2.splat(${IV[4]}), i64x2(t0, t1))
  let v13 = i64x2.splat(${IV[5]})
  let v14 = v128.xor(i64x2.splat(${IV[6]}), i64x2.splat(0xffffffffffffffff))
  let v15 = i64x2.splat(${IV[7]})
${rounds(g)}
${[0, 1, 2, 3]
  .map((i) => {
    const x = `v128.xor(v128.xor(i64x2.splat(${IV[i]}${i === 0 ? ` ^ ${PARAM32}` : ''}), v${i}), v${8 + i})`
    return `  const o${i} = ${x}\n  store<u64>(outA, i64x2.extract_lane(o${i}, 0), ${8 * i})\n  store<u64>(outB, i64x2.extract_lane(o${i}, 1), ${8 * i})`
  })
  .join('\n')}
}

/** BLAKE2b F on two messages at once (lane 0 and lane 1), each with its own t and f. */
export function compress2(h: usize, m: usize, t0: u64, t1: u64, f0: u64, f1: u64): void {
${loadM.join('\n')}
${loadV.join('\n')}
${ivV.join('\n')}
  let v12 = v128.xor(i64x2.splat(${IV[4]}), i64x2(t0, t1))
  let v13 = i64x2.splat(${IV[5]})
  let v14 = v128.xor(i64x2.splat(${IV[6]}), i64x2(f0, f1))
  let v15 = i64x2.splat(${IV[7]})
${rounds(g)}
${store.join('\n')}
}
`
}
