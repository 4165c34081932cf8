/**
 * Byte fields. Decoded bytes are zero-copy `subarray` views of the input buffer (like
 * compact-encoding), because hot paths decode large blocks: copy them if the input is reused.
 */
import { uint } from './numbers.ts'
import { type Codec, CodecError, need } from './state.ts'

function checkBytes(b: unknown, what: string): asserts b is Uint8Array {
  if (!(b instanceof Uint8Array)) throw new CodecError('INVALID_VALUE', `${what}: expected a Uint8Array`)
}

/** `uint(length) ‖ bytes`. */
export const buffer: Codec<Uint8Array> = {
  preencode(s, b) {
    checkBytes(b, 'buffer')
    uint.preencode(s, b.byteLength)
    s.end += b.byteLength
  },
  encode(s, b) {
    uint.encode(s, b.byteLength)
    s.buffer.set(b, s.start)
    s.start += b.byteLength
  },
  decode(s) {
    const len = uint.decode(s)
    need(s, len, 'buffer')
    const at = s.start
    s.start += len
    return s.buffer.subarray(at, s.start)
  }
}

/**
 * A buffer that may be null: null encodes as a single `00`, and a zero-length buffer decodes as
 * null (compact-encoding's `optionalBuffer`, used for hypercore's tree signatures).
 */
export const optionalBuffer: Codec<Uint8Array | null, Uint8Array | null | undefined> = {
  preencode(s, b) {
    if (b) buffer.preencode(s, b)
    else s.end += 1
  },
  encode(s, b) {
    if (b) buffer.encode(s, b)
    else s.buffer[s.start++] = 0
  },
  decode(s) {
    const b = buffer.decode(s)
    return b.byteLength === 0 ? null : b
  }
}

/** Exactly `n` raw bytes, no length prefix. */
export function fixed(n: number): Codec<Uint8Array> {
  const what = `fixed(${n})` // built once: these run for every hash of every message
  return {
    preencode(s, b) {
      checkBytes(b, what)
      if (b.byteLength !== n) throw new CodecError('INVALID_VALUE', `${what}: got ${b.byteLength} bytes`)
      s.end += n
    },
    encode(s, b) {
      s.buffer.set(b, s.start)
      s.start += n
    },
    decode(s) {
      need(s, n, what)
      const at = s.start
      s.start += n
      return s.buffer.subarray(at, s.start)
    }
  }
}

/** Exactly 32 bytes, no prefix: keys, hashes, discovery keys. */
export const fixed32: Codec<Uint8Array> = fixed(32)
/** Exactly 64 bytes, no prefix: signatures and secret keys. */
export const fixed64: Codec<Uint8Array> = fixed(64)

/** All remaining bytes, no length prefix; only valid as the last field of a message. */
export const raw: Codec<Uint8Array> = {
  preencode(s, b) {
    checkBytes(b, 'raw')
    s.end += b.byteLength
  },
  encode(s, b) {
    s.buffer.set(b, s.start)
    s.start += b.byteLength
  },
  decode(s) {
    const b = s.buffer.subarray(s.start, s.end)
    s.start = s.end
    return b
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/**
 * `uint(count) ‖ count × uint32le` (hypercore's bitfield messages). The decoded array is a view of
 * the input when aligned, else a copy.
 */
export const uint32array: Codec<Uint32Array> = {
  preencode(s, a) {
    if (!(a instanceof Uint32Array))
      throw new CodecError('INVALID_VALUE', 'uint32array: expected a Uint32Array')
    uint.preencode(s, a.length)
    s.end += a.byteLength
  },
  encode(s, a) {
    uint.encode(s, a.length)
    const b = s.buffer
    if (LITTLE_ENDIAN) {
      b.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), s.start)
      s.start += a.byteLength
    } else {
      for (const w of a) {
        b[s.start++] = w
        b[s.start++] = w >>> 8
        b[s.start++] = w >>> 16
        b[s.start++] = w >>> 24
      }
    }
  },
  decode(s) {
    const count = uint.decode(s)
    if (count > (s.end - s.start) / 4) need(s, count * 4, 'uint32array')
    const bytes = s.buffer.subarray(s.start, s.start + count * 4)
    s.start += count * 4
    if (LITTLE_ENDIAN && bytes.byteOffset % 4 === 0)
      return new Uint32Array(bytes.buffer, bytes.byteOffset, count)
    const out = new Uint32Array(count)
    for (let i = 0; i < count; i++) {
      const j = 4 * i
      out[i] = (bytes[j]! | (bytes[j + 1]! << 8) | (bytes[j + 2]! << 16)) + bytes[j + 3]! * 0x1000000
    }
    return out
  }
}

/** `uint(bits) ‖ ceil(bits/8)` bytes; bit i is byte i>>3, bit i&7 (LSB first). */
export const bitarray: Codec<boolean[]> = {
  preencode(s, bits) {
    if (!Array.isArray(bits)) throw new CodecError('INVALID_VALUE', 'bitarray: expected an array of booleans')
    uint.preencode(s, bits.length)
    s.end += Math.ceil(bits.length / 8)
  },
  encode(s, bits) {
    uint.encode(s, bits.length)
    for (let i = 0; i < bits.length; i += 8) {
      let byte = 0
      for (let j = 0; j < 8 && i + j < bits.length; j++) if (bits[i + j]) byte |= 1 << j
      s.buffer[s.start++] = byte
    }
  },
  decode(s) {
    const n = uint.decode(s)
    const bytes = Math.ceil(n / 8)
    need(s, bytes, 'bitarray')
    const out = new Array<boolean>(n)
    for (let i = 0; i < n; i++) out[i] = (s.buffer[s.start + (i >>> 3)]! & (1 << (i & 7))) !== 0
    s.start += bytes
    return out
  }
}
