/**
 * The byte format of the log adapters' log (files in Node, OPFS in browsers).
 *
 * A log file starts with a 16-byte header — magic `ORCHLOG1`, u32 format version, u32 generation —
 * followed by records, each a 16-byte header and a payload:
 *
 * ```
 * u32 payloadLength | u32 crc32 | u32 syncedLo | u32 syncedHi | payload
 * ```
 * `crc32` covers the length, the synced offset and the payload, so a torn or garbled record is
 * detected. `synced` is the log offset known to be on stable storage when the record was written:
 * a bad record below some later record's `synced` offset was once durable, so it is corruption,
 * not a torn tail.
 *
 * Payloads: kind 1 = batch (`varint count`, then ops), kind 2 = moved (the log was compacted into
 * generation `varint gen`; followers reopen it). An op is `u8 (type << 4 | store)`, then
 * length-prefixed byte strings: key (+ value) for put, key for del, gte and lt for delRange.
 * All integers little-endian; varints are unsigned LEB128.
 */
import { StorageCorruptError } from '../errors.ts'
import { type BatchOp, STORE_NAMES } from '../types.ts'

/**
 * A CRC-32 (zlib's `crc32` semantics: `crc(b, crc(a))` is the CRC of `a ‖ b`). Each platform
 * passes its fastest: zlib's in Node, `./crc32.ts` elsewhere; they agree bit for bit.
 */
export type Crc32 = (data: Uint8Array, seed?: number) => number

export const MAGIC = new Uint8Array([0x4f, 0x52, 0x43, 0x48, 0x4c, 0x4f, 0x47, 0x31]) // ORCHLOG1
export const FORMAT_VERSION = 1
export const FILE_HEADER_BYTES = 16
export const RECORD_HEADER_BYTES = 16
/** Largest payload accepted; larger lengths read from disk mean garbage. */
export const MAX_PAYLOAD_BYTES = 0x7fff_0000

export const KIND_BATCH = 1
export const KIND_MOVED = 2

export const OP_PUT = 0
export const OP_DEL = 1
export const OP_DEL_RANGE = 2

const STORE_INDEX = new Map<string, number>(STORE_NAMES.map((s, i) => [s, i]))

/** The 16-byte header of a fresh log file of `generation`. */
export function fileHeader(generation: number): Uint8Array {
  const h = new Uint8Array(FILE_HEADER_BYTES)
  h.set(MAGIC, 0)
  const v = new DataView(h.buffer)
  v.setUint32(8, FORMAT_VERSION, true)
  v.setUint32(12, generation, true)
  return h
}

/** Checks a file header and returns its generation. */
export function readFileHeader(h: Uint8Array, file: string): number {
  if (h.length < FILE_HEADER_BYTES) throw new StorageCorruptError(`${file}: log header is truncated`)
  for (let i = 0; i < MAGIC.length; i++) {
    if (h[i] !== MAGIC[i]) throw new StorageCorruptError(`${file}: not an orchard storage log`)
  }
  const v = new DataView(h.buffer, h.byteOffset, h.byteLength)
  const version = v.getUint32(8, true)
  if (version !== FORMAT_VERSION)
    throw new StorageCorruptError(`${file}: unsupported log format version ${version}`)
  return v.getUint32(12, true)
}

function varintBytes(n: number): number {
  let bytes = 1
  while (n >= 0x80) {
    n = Math.floor(n / 128)
    bytes++
  }
  return bytes
}

function writeVarint(buf: Uint8Array, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n & 0x7f) | 0x80
    n = Math.floor(n / 128)
  }
  buf[pos++] = n
  return pos
}

/** Bytes the record of `ops` takes, header included. */
export function batchRecordBytes(ops: readonly BatchOp[]): number {
  let n = RECORD_HEADER_BYTES + 1 + varintBytes(ops.length)
  for (const op of ops) {
    n += 1
    if (op.type === 'put')
      n += varintBytes(op.key.length) + op.key.length + varintBytes(op.value.length) + op.value.length
    else if (op.type === 'del') n += varintBytes(op.key.length) + op.key.length
    else n += varintBytes(op.gte.length) + op.gte.length + varintBytes(op.lt.length) + op.lt.length
  }
  return n
}

function putBytes(buf: Uint8Array, pos: number, bytes: Uint8Array): number {
  pos = writeVarint(buf, pos, bytes.length)
  buf.set(bytes, pos)
  return pos + bytes.length
}

/**
 * Encodes `ops` (already validated) as one batch record into `buf` from 0, which must hold
 * {@link batchRecordBytes} bytes. Returns the record length. Header fields are sealed by
 * {@link sealRecord}.
 */
export function encodeBatch(buf: Uint8Array, ops: readonly BatchOp[]): number {
  let pos = RECORD_HEADER_BYTES
  buf[pos++] = KIND_BATCH
  pos = writeVarint(buf, pos, ops.length)
  for (const op of ops) {
    const store = STORE_INDEX.get(op.store)!
    if (op.type === 'put') {
      buf[pos++] = (OP_PUT << 4) | store
      pos = putBytes(buf, pos, op.key)
      pos = putBytes(buf, pos, op.value)
    } else if (op.type === 'del') {
      buf[pos++] = (OP_DEL << 4) | store
      pos = putBytes(buf, pos, op.key)
    } else {
      buf[pos++] = (OP_DEL_RANGE << 4) | store
      pos = putBytes(buf, pos, op.gte)
      pos = putBytes(buf, pos, op.lt)
    }
  }
  return pos
}

/** Encodes a "moved to `generation`" record into a fresh buffer (unsealed). */
export function encodeMoved(generation: number): Uint8Array {
  const buf = new Uint8Array(RECORD_HEADER_BYTES + 1 + varintBytes(generation))
  buf[RECORD_HEADER_BYTES] = KIND_MOVED
  writeVarint(buf, RECORD_HEADER_BYTES + 1, generation)
  return buf
}

/** Fills in the header of the record in `buf[0, length)`: its length, synced offset and checksum. */
export function sealRecord(buf: Uint8Array, length: number, synced: number, crc32: Crc32): void {
  const v = new DataView(buf.buffer, buf.byteOffset, length)
  v.setUint32(0, length - RECORD_HEADER_BYTES, true)
  v.setUint32(8, synced >>> 0, true)
  v.setUint32(12, Math.floor(synced / 0x1_0000_0000), true)
  v.setUint32(4, recordChecksum(buf, 0, length, crc32), true)
}

function recordChecksum(buf: Uint8Array, start: number, end: number, crc32: Crc32): number {
  return crc32(buf.subarray(start + 8, end), crc32(buf.subarray(start, start + 4)))
}

/** What {@link checkRecord} found at a position. */
export type RecordCheck =
  /** A whole, valid record of `length` bytes (header included). */
  | { ok: true; length: number; synced: number }
  /** Not enough bytes yet for the header or the announced payload. */
  | { ok: false; incomplete: true; need: number }
  /** Bytes present but not a valid record. */
  | { ok: false; incomplete: false }

/** Checks the record starting at `buf[pos]`, with `buf[pos, end)` available. */
export function checkRecord(buf: Uint8Array, pos: number, end: number, crc32: Crc32): RecordCheck {
  if (end - pos < RECORD_HEADER_BYTES) return { ok: false, incomplete: true, need: RECORD_HEADER_BYTES }
  const v = new DataView(buf.buffer, buf.byteOffset + pos, RECORD_HEADER_BYTES)
  const payload = v.getUint32(0, true)
  if (payload === 0 || payload > MAX_PAYLOAD_BYTES) return { ok: false, incomplete: false }
  const length = RECORD_HEADER_BYTES + payload
  if (end - pos < length) return { ok: false, incomplete: true, need: length }
  const kind = buf[pos + RECORD_HEADER_BYTES]
  if (kind !== KIND_BATCH && kind !== KIND_MOVED) return { ok: false, incomplete: false }
  if (v.getUint32(4, true) !== recordChecksum(buf, pos, pos + length, crc32))
    return { ok: false, incomplete: false }
  return { ok: true, length, synced: v.getUint32(8, true) + v.getUint32(12, true) * 0x1_0000_0000 }
}

/** Receives the decoded ops of a batch record. Byte strings are views into the record buffer. */
export interface RecordVisitor {
  put(store: number, key: Uint8Array, valueStart: number, valueLength: number): void
  del(store: number, key: Uint8Array): void
  delRange(store: number, gte: Uint8Array, lt: Uint8Array): void
}

/**
 * Decodes the valid record at `buf[pos, pos + length)`. Calls `visit` per op of a batch; returns
 * the new generation for a moved record, else null. Value positions are relative to `buf`.
 */
export function decodeRecord(
  buf: Uint8Array,
  pos: number,
  length: number,
  visit: RecordVisitor
): number | null {
  const end = pos + length
  let p = pos + RECORD_HEADER_BYTES
  const corrupt = () =>
    new StorageCorruptError(`Log record at ${pos} passed its checksum but does not decode`)
  const varint = (): number => {
    let n = 0
    let scale = 1
    for (;;) {
      if (p >= end || scale > 2 ** 49) throw corrupt()
      const b = buf[p++]!
      n += (b & 0x7f) * scale
      if (b < 0x80) return n
      scale *= 128
    }
  }
  const bytes = (): [number, number] => {
    const len = varint()
    if (len > end - p) throw corrupt()
    const start = p
    p += len
    return [start, len]
  }
  const kind = buf[p++]
  if (kind === KIND_MOVED) return varint()
  const count = varint()
  for (let i = 0; i < count; i++) {
    if (p >= end) throw corrupt()
    const tag = buf[p++]!
    const type = tag >> 4
    const store = tag & 0x0f
    if (store >= STORE_NAMES.length) throw corrupt()
    const [ks, kl] = bytes()
    if (type === OP_PUT) {
      const [vs, vl] = bytes()
      visit.put(store, buf.subarray(ks, ks + kl), vs, vl)
    } else if (type === OP_DEL) {
      visit.del(store, buf.subarray(ks, ks + kl))
    } else if (type === OP_DEL_RANGE) {
      const [ls, ll] = bytes()
      visit.delRange(store, buf.subarray(ks, ks + kl), buf.subarray(ls, ls + ll))
    } else {
      throw corrupt()
    }
  }
  if (p !== end) throw corrupt()
  return null
}
