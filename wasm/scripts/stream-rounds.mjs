/**
 * Writes the ChaCha20 (RFC 8439) and Salsa20 (Bernstein, as libsodium's crypto_stream_salsa20)
 * block functions as AssemblyScript: the 20 rounds unrolled with the 16 state words in locals,
 * like the BLAKE2b rounds in rounds.mjs. Each cipher gets
 * - a one-block XOR (64 bytes of keystream XORed from src into dst; src may equal dst),
 * - a four-block XOR for the SIMD build (256 bytes): each i32x4 holds one state word of four
 *   consecutive blocks, so the rounds are the scalar ones on vectors; the four blocks are then
 *   transposed back to byte order with shuffles,
 * - HChaCha20 / HSalsa20 (the key derivations of the X- variants: the rounds without the final
 *   addition, 8 of the 16 words out).
 */

/** "expand 32-byte k" as little-endian words. */
const SIGMA = ['0x61707865', '0x3320646e', '0x79622d32', '0x6b206574']

/** ChaCha20 quarter rounds of one double round (RFC 8439 §2.3): columns, then diagonals. */
const CHACHA_QR = [
  [0, 4, 8, 12],
  [1, 5, 9, 13],
  [2, 6, 10, 14],
  [3, 7, 11, 15],
  [0, 5, 10, 15],
  [1, 6, 11, 12],
  [2, 7, 8, 13],
  [3, 4, 9, 14]
]

/** Salsa20 quarter rounds of one double round: columns, then rows (the Salsa20 spec, §4–§5). */
const SALSA_QR = [
  [0, 4, 8, 12],
  [5, 9, 13, 1],
  [10, 14, 2, 6],
  [15, 3, 7, 11],
  [0, 1, 2, 3],
  [5, 6, 7, 4],
  [10, 11, 8, 9],
  [15, 12, 13, 14]
]

/** Scalar and vector spellings of the few operations the rounds use. */
const scalar = {
  add: (a, b) => `${a} + ${b}`,
  xor: (a, b) => `${a} ^ ${b}`,
  rotl: (x, n) => `rotl<u32>(${x}, ${n})`
}

// Rotations by 16 and 8 are byte shuffles within each 32-bit lane; the others are two shifts.
const ROTL_BYTES = {
  16: [2, 3, 0, 1],
  8: [3, 0, 1, 2]
}
const vector = {
  add: (a, b) => `i32x4.add(${a}, ${b})`,
  xor: (a, b) => `v128.xor(${a}, ${b})`,
  rotl(x, n) {
    const bytes = ROTL_BYTES[n]
    if (bytes) {
      const lanes = [0, 4, 8, 12].flatMap((l) => bytes.map((b) => l + b))
      return `i8x16.shuffle(${x}, ${x}, ${lanes.join(', ')})`
    }
    return `v128.or(i32x4.shl(${x}, ${n}), i32x4.shr_u(${x}, ${32 - n}))`
  }
}

function chachaRounds(op) {
  const lines = []
  const step = (x, y, z, n) =>
    `    x${x} = ${op.add(`x${x}`, `x${y}`)}; x${z} = ${op.xor(`x${z}`, `x${x}`)}; x${z} = ${op.rotl(`x${z}`, n)}`
  for (let r = 0; r < 10; r++) {
    for (const [a, b, c, d] of CHACHA_QR) {
      lines.push(step(a, b, d, 16), step(c, d, b, 12), step(a, b, d, 8), step(c, d, b, 7))
    }
  }
  return lines.join('\n')
}

// Salsa20 adds two words and rotates the sum: the sum goes through \`t\` so it is computed once.
function salsaRounds(op) {
  const lines = []
  const step = (x, y, z, n) =>
    `    t = ${op.add(`x${y}`, `x${z}`)}; x${x} = ${op.xor(`x${x}`, op.rotl('t', n))}`
  for (let r = 0; r < 10; r++) {
    for (const [a, b, c, d] of SALSA_QR) {
      lines.push(step(b, a, d, 7), step(c, b, a, 9), step(d, c, b, 13), step(a, d, c, 18))
    }
  }
  return lines.join('\n')
}

/**
 * The input words of each cipher: expressions over k (key pointer), ctr and n (nonce pointer).
 * ChaCha20-IETF: constants, key, 32-bit counter, 96-bit nonce. Salsa20: constants on the
 * diagonal, key split around them, 64-bit nonce, 64-bit counter.
 */
const CHACHA_INPUT = [
  ...SIGMA,
  ...Array.from({ length: 8 }, (_, i) => `load<u32>(k, ${4 * i})`),
  'ctr',
  'load<u32>(n, 0)',
  'load<u32>(n, 4)',
  'load<u32>(n, 8)'
]
const SALSA_INPUT = [
  SIGMA[0],
  'load<u32>(k, 0)',
  'load<u32>(k, 4)',
  'load<u32>(k, 8)',
  'load<u32>(k, 12)',
  SIGMA[1],
  'load<u32>(n, 0)',
  'load<u32>(n, 4)',
  '<u32>ctr',
  '<u32>(ctr >> 32)',
  SIGMA[2],
  'load<u32>(k, 16)',
  'load<u32>(k, 20)',
  'load<u32>(k, 24)',
  'load<u32>(k, 28)',
  SIGMA[3]
]

function oneBlock(name, doc, input, rounds, ctrType) {
  const init = input.map((e, i) => `  const j${i}: u32 = ${e}`).join('\n')
  const vars = [...input.map((_, i) => `  let x${i} = j${i}`), '  let t: u32 = 0'].join('\n')
  const out = input
    .map((_, i) => `  store<u32>(dst, (x${i} + j${i}) ^ load<u32>(src, ${4 * i}), ${4 * i})`)
    .join('\n')
  return `/** ${doc} */
export function ${name}(dst: usize, src: usize, k: usize, ctr: ${ctrType}, n: usize): void {
${init}
${vars}
${rounds(scalar).replaceAll('\n    ', '\n  ').replace(/^ {4}/, '  ')}
${out}
}
`
}

function hBlock(name, doc, input, rounds, outWords) {
  // The H functions put the 16-byte nonce where the counter and nonce go.
  const init = [...input.map((e, i) => `  let x${i}: u32 = ${e}`), '  let t: u32 = 0'].join('\n')
  const out = outWords.map((w, i) => `  store<u32>(out, x${w}, ${4 * i})`).join('\n')
  return `/** ${doc} */
export function ${name}(out: usize, k: usize, n: usize): void {
${init}
${rounds(scalar).replaceAll('\n    ', '\n  ').replace(/^ {4}/, '  ')}
${out}
}
`
}

/** The 4×4 transposes that turn four vectors (one word of four blocks each) into block rows. */
function transposeStore(group) {
  const [a, b, c, d] = [0, 1, 2, 3].map((i) => `x${4 * group + i}`)
  return `  {
    const t0 = i32x4.shuffle(${a}, ${b}, 0, 4, 1, 5)
    const t1 = i32x4.shuffle(${c}, ${d}, 0, 4, 1, 5)
    const t2 = i32x4.shuffle(${a}, ${b}, 2, 6, 3, 7)
    const t3 = i32x4.shuffle(${c}, ${d}, 2, 6, 3, 7)
    v128.store(dst, v128.xor(i64x2.shuffle(t0, t1, 0, 2), v128.load(src, ${16 * group})), ${16 * group})
    v128.store(dst, v128.xor(i64x2.shuffle(t0, t1, 1, 3), v128.load(src, ${64 + 16 * group})), ${64 + 16 * group})
    v128.store(dst, v128.xor(i64x2.shuffle(t2, t3, 0, 2), v128.load(src, ${128 + 16 * group})), ${128 + 16 * group})
    v128.store(dst, v128.xor(i64x2.shuffle(t2, t3, 1, 3), v128.load(src, ${192 + 16 * group})), ${192 + 16 * group})
  }`
}

function fourBlocks(name, doc, input, rounds, ctrType, counterWords) {
  const init = input
    .map((e, i) => {
      if (counterWords.includes(i))
        return `  const j${i} = ${counterWords.length === 1 ? 'ctrLo' : i === counterWords[0] ? 'ctrLo' : 'ctrHi'}`
      return `  const j${i} = i32x4.splat(${e})`
    })
    .join('\n')
  const vars = [...input.map((_, i) => `  let x${i} = j${i}`), '  let t = i32x4.splat(0)'].join('\n')
  const adds = input.map((_, i) => `  x${i} = i32x4.add(x${i}, j${i})`).join('\n')
  const counter =
    counterWords.length === 1
      ? `  // Lane i counts block ctr + i (the 32-bit counter wraps, as libsodium's IETF ChaCha20 does).
  const ctrLo = i32x4.add(i32x4.splat(ctr), i32x4(0, 1, 2, 3))`
      : `  // Lane i counts block ctr + i of the 64-bit counter.
  let ctrLo = i32x4.splat(<u32>ctr)
  let ctrHi = i32x4.splat(<u32>(ctr >> 32))
${[1, 2, 3]
  .map(
    (i) => `  ctrLo = i32x4.replace_lane(ctrLo, ${i}, <u32>(ctr + ${i}))
  ctrHi = i32x4.replace_lane(ctrHi, ${i}, <u32>((ctr + ${i}) >> 32))`
  )
  .join('\n')}`
  return `/** ${doc} */
export function ${name}(dst: usize, src: usize, k: usize, ctr: ${ctrType}, n: usize): void {
${counter}
${init}
${vars}
${rounds(vector).replaceAll('\n    ', '\n  ').replace(/^ {4}/, '  ')}
${adds}
${[0, 1, 2, 3].map(transposeStore).join('\n')}
}
`
}

/** The generated module: scalar functions always, four-block SIMD ones used only by the SIMD build. */
export function streamSource() {
  const chachaH = [
    ...CHACHA_INPUT.slice(0, 12),
    'load<u32>(n, 0)',
    'load<u32>(n, 4)',
    'load<u32>(n, 8)',
    'load<u32>(n, 12)'
  ]
  const salsaH = [...SALSA_INPUT]
  salsaH[6] = 'load<u32>(n, 0)'
  salsaH[7] = 'load<u32>(n, 4)'
  salsaH[8] = 'load<u32>(n, 8)'
  salsaH[9] = 'load<u32>(n, 12)'
  return [
    oneBlock(
      'chachaXor1',
      'One ChaCha20-IETF block: dst = src ^ keystream(k, n, block ctr), 64 bytes.',
      CHACHA_INPUT,
      chachaRounds,
      'u32'
    ),
    hBlock(
      'hchacha20',
      'HChaCha20(k, 16-byte n) → 32 bytes at out (words 0–3 and 12–15 after the rounds).',
      chachaH,
      chachaRounds,
      [0, 1, 2, 3, 12, 13, 14, 15]
    ),
    oneBlock(
      'salsaXor1',
      'One Salsa20 block: dst = src ^ keystream(k, 8-byte n, block ctr), 64 bytes.',
      SALSA_INPUT,
      salsaRounds,
      'u64'
    ),
    hBlock(
      'hsalsa20',
      'HSalsa20(k, 16-byte n) → 32 bytes at out (the diagonal words 0, 5, 10, 15, then 6–9).',
      salsaH,
      salsaRounds,
      [0, 5, 10, 15, 6, 7, 8, 9]
    ),
    fourBlocks(
      'chachaXor4',
      'Four ChaCha20-IETF blocks (ctr … ctr + 3) at once, 256 bytes. SIMD build only.',
      CHACHA_INPUT,
      chachaRounds,
      'u32',
      [12]
    ),
    fourBlocks(
      'salsaXor4',
      'Four Salsa20 blocks (ctr … ctr + 3) at once, 256 bytes. SIMD build only.',
      SALSA_INPUT,
      salsaRounds,
      'u64',
      [8, 9]
    )
  ].join('\n')
}
