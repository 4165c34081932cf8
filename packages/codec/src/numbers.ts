/**
 * Integers and other numbers, little-endian unless named `be`, as compact-encoding writes them.
 * `uint` is the prefix varint used everywhere in Holepunch: one byte up to 0xfc, then a 0xfd,
 * 0xfe or 0xff marker followed by 2, 4 or 8 little-endian bytes. Encoders reject negative,
 * fractional, NaN and over-2^53 values instead of writing a wrong number.
 */
import { type Codec, CodecError, need, type State } from './state.ts'

const MAX = Number.MAX_SAFE_INTEGER
/** zig-zag doubles magnitudes, so signed values reach half as far (as in compact-encoding). */
const MAX_INT = 2 ** 52 - 1
const MIN_INT = -(2 ** 52)
const TWO_32 = 0x100000000

function checkUint(n: number, max: number, what: string): void {
  // `n >>> 0 === n` is the fast path for the common small case
  if (n >>> 0 === n ? n <= max : Number.isInteger(n) && n >= 0 && n <= max) return
  throw new CodecError('OUT_OF_RANGE', `${what}: ${n} is not an integer in [0, ${max}]`)
}

function checkSafe(n: number, what: string): number {
  if (n > MAX) throw new CodecError('OUT_OF_RANGE', `${what}: decoded value ${n} exceeds 2^53 - 1`)
  return n
}

function writeU32(s: State, n: number): void {
  const b = s.buffer
  b[s.start++] = n
  b[s.start++] = n >>> 8
  b[s.start++] = n >>> 16
  b[s.start++] = n >>> 24
}

function readU32(s: State): number {
  const b = s.buffer
  const i = s.start
  s.start += 4
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16)) + b[i + 3]! * 0x1000000
}

/** The prefix varint. */
export const uint: Codec<number> = {
  preencode(s, n) {
    s.end += n <= 0xfc ? 1 : n <= 0xffff ? 3 : n <= 0xffffffff ? 5 : 9
  },
  encode(s, n) {
    checkUint(n, MAX, 'uint')
    const b = s.buffer
    if (n <= 0xfc) {
      b[s.start++] = n
    } else if (n <= 0xffff) {
      b[s.start++] = 0xfd
      b[s.start++] = n
      b[s.start++] = n >>> 8
    } else if (n <= 0xffffffff) {
      b[s.start++] = 0xfe
      writeU32(s, n)
    } else {
      b[s.start++] = 0xff
      writeU32(s, n >>> 0)
      writeU32(s, Math.floor(n / TWO_32))
    }
  },
  decode(s) {
    need(s, 1, 'uint')
    const a = s.buffer[s.start++]!
    if (a <= 0xfc) return a
    if (a === 0xfd) {
      need(s, 2, 'uint')
      const b = s.buffer
      const v = b[s.start]! | (b[s.start + 1]! << 8)
      s.start += 2
      return v
    }
    if (a === 0xfe) {
      need(s, 4, 'uint')
      return readU32(s)
    }
    need(s, 8, 'uint')
    const lo = readU32(s)
    return checkSafe(lo + readU32(s) * TWO_32, 'uint')
  }
}

/** A little-endian unsigned integer of `bytes` bytes (1–8). */
function fixedUint(bytes: number, name: string): Codec<number> {
  const max = bytes >= 7 ? MAX : 2 ** (8 * bytes) - 1
  return {
    preencode(s) {
      s.end += bytes
    },
    encode(s, n) {
      checkUint(n, max, name)
      const b = s.buffer
      let lo = n % TWO_32
      let hi = Math.floor(n / TWO_32)
      for (let i = 0; i < bytes; i++) {
        if (i < 4) {
          b[s.start++] = lo & 0xff
          lo >>>= 8
        } else {
          b[s.start++] = hi & 0xff
          hi >>>= 8
        }
      }
    },
    decode(s) {
      need(s, bytes, name)
      const b = s.buffer
      let n = 0
      for (let i = bytes - 1; i >= 0; i--) n = n * 256 + b[s.start + i]!
      s.start += bytes
      return bytes > 6 ? checkSafe(n, name) : n
    }
  }
}

/** One byte, 0..255. */
export const uint8: Codec<number> = {
  preencode(s) {
    s.end += 1
  },
  encode(s, n) {
    checkUint(n, 0xff, 'uint8')
    s.buffer[s.start++] = n
  },
  decode(s) {
    need(s, 1, 'uint8')
    return s.buffer[s.start++]!
  }
}
/** 2 bytes little-endian, 0..65 535. */
export const uint16: Codec<number> = fixedUint(2, 'uint16')
/** 3 bytes little-endian (protomux's frame length). */
export const uint24: Codec<number> = fixedUint(3, 'uint24')
/** 4 bytes little-endian. */
export const uint32: Codec<number> = {
  preencode(s) {
    s.end += 4
  },
  encode(s, n) {
    checkUint(n, 0xffffffff, 'uint32')
    writeU32(s, n)
  },
  decode(s) {
    need(s, 4, 'uint32')
    return readU32(s)
  }
}
/** 5 bytes little-endian. */
export const uint40: Codec<number> = fixedUint(5, 'uint40')
/** 6 bytes little-endian. */
export const uint48: Codec<number> = fixedUint(6, 'uint48')
/** 7 bytes little-endian; values over 2^53 − 1 are refused on decode. */
export const uint56: Codec<number> = fixedUint(7, 'uint56')
/** 8 bytes little-endian; values over 2^53 − 1 are refused on decode. */
export const uint64: Codec<number> = fixedUint(8, 'uint64')

/** A big-endian unsigned integer of `bytes` bytes. */
function fixedUintBE(bytes: number, name: string): Codec<number> {
  const le = fixedUint(bytes, name)
  return {
    preencode: le.preencode,
    encode(s, n) {
      const at = s.start
      le.encode(s, n)
      s.buffer.subarray(at, s.start).reverse()
    },
    decode(s) {
      need(s, bytes, name)
      const b = s.buffer
      let n = 0
      for (let i = 0; i < bytes; i++) n = n * 256 + b[s.start + i]!
      s.start += bytes
      return bytes > 6 ? checkSafe(n, name) : n
    }
  }
}
/** 2 bytes big-endian. */
export const uint16be: Codec<number> = fixedUintBE(2, 'uint16be')
/** 3 bytes big-endian. */
export const uint24be: Codec<number> = fixedUintBE(3, 'uint24be')
/** 4 bytes big-endian. */
export const uint32be: Codec<number> = fixedUintBE(4, 'uint32be')
/** 8 bytes big-endian; values over 2^53 − 1 are refused on decode. */
export const uint64be: Codec<number> = fixedUintBE(8, 'uint64be')

/** Zig-zag (0, −1, 1, −2, … → 0, 1, 2, 3, …) on top of an unsigned codec. */
function zigzag(inner: Codec<number>, name: string, min: number, max: number): Codec<number> {
  const toUnsigned = (n: number) => {
    if (!(Number.isInteger(n) && n >= min && n <= max)) {
      throw new CodecError('OUT_OF_RANGE', `${name}: ${n} is not an integer in [${min}, ${max}]`)
    }
    return n < 0 ? -2 * n - 1 : 2 * n
  }
  return {
    preencode(s, n) {
      inner.preencode(s, toUnsigned(n))
    },
    encode(s, n) {
      inner.encode(s, toUnsigned(n))
    },
    decode(s) {
      const u = inner.decode(s)
      return u % 2 === 0 ? u / 2 : -(u + 1) / 2
    }
  }
}
const half = (bytes: number) => 2 ** (8 * bytes - 1)
/** A signed prefix varint: zig-zag over {@link uint}, range ±2^52. */
export const int: Codec<number> = zigzag(uint, 'int', MIN_INT, MAX_INT)
/** A signed byte, zig-zag encoded as compact-encoding does (not two's complement). */
export const int8: Codec<number> = zigzag(uint8, 'int8', -half(1), half(1) - 1)
/** A signed 16-bit integer, zig-zag over {@link uint16}. */
export const int16: Codec<number> = zigzag(uint16, 'int16', -half(2), half(2) - 1)
/** A signed 24-bit integer, zig-zag over {@link uint24}. */
export const int24: Codec<number> = zigzag(uint24, 'int24', -half(3), half(3) - 1)
/** A signed 32-bit integer, zig-zag over {@link uint32}. */
export const int32: Codec<number> = zigzag(uint32, 'int32', -half(4), half(4) - 1)
/** A signed 40-bit integer, zig-zag over {@link uint40}. */
export const int40: Codec<number> = zigzag(uint40, 'int40', -half(5), half(5) - 1)
/** A signed 48-bit integer, zig-zag over {@link uint48}. */
export const int48: Codec<number> = zigzag(uint48, 'int48', -half(6), half(6) - 1)
/** A signed 56-bit integer, zig-zag over {@link uint56}, limited to ±2^52 (JavaScript's safe range). */
export const int56: Codec<number> = zigzag(uint56, 'int56', MIN_INT, MAX_INT)
/** A signed 64-bit integer, zig-zag over {@link uint64}, limited to ±2^52 (JavaScript's safe range). */
export const int64: Codec<number> = zigzag(uint64, 'int64', MIN_INT, MAX_INT)

const F64 = new Float64Array(1)
const F64_BYTES = new Uint8Array(F64.buffer)
const F32 = new Float32Array(1)
const F32_BYTES = new Uint8Array(F32.buffer)
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

function floatCodec(arr: Float64Array | Float32Array, bytes: Uint8Array, name: string): Codec<number> {
  const n = bytes.byteLength
  return {
    preencode(s) {
      s.end += n
    },
    encode(s, v) {
      if (typeof v !== 'number') throw new CodecError('INVALID_VALUE', `${name}: expected a number`)
      arr[0] = v
      for (let i = 0; i < n; i++) s.buffer[s.start + i] = bytes[LITTLE_ENDIAN ? i : n - 1 - i]!
      s.start += n
    },
    decode(s) {
      need(s, n, name)
      for (let i = 0; i < n; i++) bytes[LITTLE_ENDIAN ? i : n - 1 - i] = s.buffer[s.start + i]!
      s.start += n
      return arr[0]!
    }
  }
}
/** An IEEE 754 double, 8 bytes little-endian. */
export const float64: Codec<number> = floatCodec(F64, F64_BYTES, 'float64')
/** An IEEE 754 single, 4 bytes little-endian (precision is lost on encode, as with `Float32Array`). */
export const float32: Codec<number> = floatCodec(F32, F32_BYTES, 'float32')

/** One byte, 0 or 1. Any other byte is rejected rather than read as false. */
export const bool: Codec<boolean> = {
  preencode(s) {
    s.end += 1
  },
  encode(s, b) {
    s.buffer[s.start++] = b ? 1 : 0
  },
  decode(s) {
    need(s, 1, 'bool')
    const v = s.buffer[s.start++]!
    if (v > 1) throw new CodecError('INVALID_ENCODING', `bool: byte ${v} is neither 0 nor 1`)
    return v === 1
  }
}
