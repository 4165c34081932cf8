/**
 * The few protobuf primitives hyperbee's messages use: base-128 varints (unsigned, up to 2^53),
 * length-delimited fields, packed repeated varints, and skipping unknown fields. Reads are
 * bounds-checked: anything that runs past its message throws {@link DecodingError}.
 */
import { DecodingError } from './errors.ts'

/** Wire type of varint fields. */
export const VARINT = 0
/** Wire type of length-delimited fields (bytes, strings, messages, packed arrays). */
export const LENGTH_DELIMITED = 2

/** The field key byte(s): `(field << 3) | wireType`. */
export function tag(field: number, wireType: number): number {
  return field * 8 + wireType
}

/** How many bytes `n` takes as a varint. */
export function varintLength(n: number): number {
  if (n < 0x80) return 1
  if (n < 0x4000) return 2
  if (n < 0x200000) return 3
  let len = 1
  while (n >= 128) {
    n = Math.floor(n / 128)
    len++
  }
  return len
}

/** Writes `n` as a varint at `offset`; returns the offset after it. */
export function writeVarint(buf: Uint8Array, offset: number, n: number): number {
  if (n < 0x80) {
    buf[offset] = n
    return offset + 1
  }
  while (n >= 128) {
    buf[offset++] = (n % 128) | 128
    n = Math.floor(n / 128)
  }
  buf[offset++] = n
  return offset
}

/** Writes a length prefix and `bytes`; returns the offset after them. */
export function writeBytes(buf: Uint8Array, offset: number, bytes: Uint8Array): number {
  offset = writeVarint(buf, offset, bytes.byteLength)
  buf.set(bytes, offset)
  return offset + bytes.byteLength
}

/** Bytes taken by a length-delimited payload of `len` bytes with its one-byte key. */
export function fieldLength(len: number): number {
  return 1 + varintLength(len) + len
}

/** A bounds-checked cursor over a protobuf message (or a nested part of one). */
export class Reader {
  readonly buf: Uint8Array
  pos: number
  readonly end: number

  constructor(buf: Uint8Array, start = 0, end = buf.byteLength) {
    this.buf = buf
    this.pos = start
    this.end = end
  }

  /** Whether the cursor reached the end of this message. */
  get done(): boolean {
    return this.pos >= this.end
  }

  /** Reads an unsigned varint (at most 2^53 - 1). */
  varint(): number {
    let n = 0
    let mul = 1
    for (let i = 0; i < 8; i++) {
      if (this.pos >= this.end) throw new DecodingError('truncated varint')
      const b = this.buf[this.pos++]!
      n += (b & 127) * mul
      if (b < 128) {
        if (!Number.isSafeInteger(n)) break
        return n
      }
      mul *= 128
    }
    throw new DecodingError('varint too large')
  }

  /** Reads a length prefix and returns the end offset of the payload, checked against the message. */
  delimited(): number {
    const len = this.varint()
    const end = this.pos + len
    if (end > this.end) throw new DecodingError('length-delimited field runs past its message')
    return end
  }

  /** Reads a length-delimited byte string (a view into the buffer). */
  bytes(): Uint8Array {
    const end = this.delimited()
    const out = this.buf.subarray(this.pos, end)
    this.pos = end
    return out
  }

  /** Skips a field of wire type `wireType` (groups are not supported, as protocol-buffers). */
  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint()
        return
      case 1:
        this.pos += 8
        break
      case 2:
        this.pos = this.delimited()
        return
      case 5:
        this.pos += 4
        break
      default:
        throw new DecodingError(`unsupported wire type ${wireType}`)
    }
    if (this.pos > this.end) throw new DecodingError('fixed-size field runs past its message')
  }
}
