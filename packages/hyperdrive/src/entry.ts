/**
 * How a drive stores its files in the metadata bee, byte for byte as hyperdrive 13:
 *
 * - the key of a file is `files\0` + its normalised path in UTF-8 (hyperdrive's
 *   `new SubEncoder('files', 'utf-8')`), so every file sorts inside the `files` sub and a folder is
 *   the key range `[folder + '/', folder + '0')`;
 * - the value is JSON `{"executable":…,"linkname":…,"blob":…,"metadata":…}`, in that key order,
 *   with the blob pointer as hyperblobs makes it: `{"blockOffset":…,"byteOffset":…,"blockLength":…,
 *   "byteLength":…}` (JSON keeps key order, so the order is part of the format).
 *
 * Entries come from peers and are untrusted: decoding checks the shape and raises a typed
 * {@link MalformedEntryError} for anything hyperdrive would not have written.
 */
import type { Codec, RangeBounds } from '@orchard/hyperbee'
import { MalformedEntryError } from './errors.ts'
import { isNormalPath } from './paths.ts'

/** Where a file's bytes are in the blobs core (hyperblobs' blob id). */
export interface BlobId {
  /** First block of the blob in the blobs core. */
  blockOffset: number
  /** How many blocks it spans. */
  blockLength: number
  /** Its first byte in the blobs core (the core's byte length when it was written). */
  byteOffset: number
  /** Its size in bytes. */
  byteLength: number
  /** The blob is a block map (hyperblobs' dedup mode): its blocks list where the data is. */
  blockMap?: boolean
}

/** What a drive stores about a file. */
export interface EntryValue<M = unknown> {
  /** The executable bit. */
  executable: boolean
  /** The target of a symlink (as given: absolute, or relative to the link's own path), or null. */
  linkname: string | null
  /** Where the file's bytes are, or null for a symlink. */
  blob: BlobId | null
  /** Application metadata (any JSON value), or null. */
  metadata: M | null
}

/** A file of a drive: the bee entry under its path. */
export interface Entry<M = unknown> {
  /** The bee block the entry was written in (the drive's version right after is `seq + 1`). */
  seq: number
  /** The normalised path, e.g. `/docs/a.txt`. */
  key: string
  /** What the drive stores about the file. */
  value: EntryValue<M>
}

const PREFIX = new Uint8Array([0x66, 0x69, 0x6c, 0x65, 0x73, 0x00]) // 'files\0'
const PREFIX_END = new Uint8Array([0x66, 0x69, 0x6c, 0x65, 0x73, 0x01]) // the sub's upper bound

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

function prefixed(path: string): Uint8Array {
  const body = encoder.encode(path)
  const out = new Uint8Array(PREFIX.byteLength + body.byteLength)
  out.set(PREFIX, 0)
  out.set(body, PREFIX.byteLength)
  return out
}

function hasPrefix(key: Uint8Array): boolean {
  if (key.byteLength < PREFIX.byteLength) return false
  for (let i = 0; i < PREFIX.byteLength; i++) if (key[i] !== PREFIX[i]) return false
  return true
}

/**
 * The key codec of the files: paths in, `files\0` + UTF-8 out; decoding checks that a key is a
 * normalised path (a writer using hyperdrive never stores anything else).
 */
export const filesKeyEncoding: Codec<string> = {
  name: 'hyperdrive-files',
  encode(path: string): Uint8Array {
    return prefixed(path)
  },
  decode(key: Uint8Array): string {
    if (!hasPrefix(key)) throw new MalformedEntryError('a file key outside the files sub')
    let path: string
    try {
      path = decoder.decode(key.subarray(PREFIX.byteLength))
    } catch (err) {
      throw new MalformedEntryError('a file key is not UTF-8', { cause: err })
    }
    if (!isNormalPath(path)) {
      const shown = path.length > 64 ? `${path.slice(0, 64)}…` : path
      throw new MalformedEntryError(`a file key is not a normalised path: ${JSON.stringify(shown)}`)
    }
    return path
  },
  encodeRange(range: RangeBounds<string>): RangeBounds<Uint8Array> {
    // as sub-encoder: a missing lower bound is the sub's prefix, a missing upper one its end
    const out: RangeBounds<Uint8Array> = {}
    if (range.gt != null) out.gt = prefixed(range.gt)
    else if (range.gte != null) out.gte = prefixed(range.gte)
    else out.gte = PREFIX
    if (range.lt != null) out.lt = prefixed(range.lt)
    else if (range.lte != null) out.lte = prefixed(range.lte)
    else out.lt = PREFIX_END
    return out
  }
}

function canonicalBlob(blob: BlobId): BlobId {
  const out: BlobId = {
    blockOffset: blob.blockOffset,
    byteOffset: blob.byteOffset,
    blockLength: blob.blockLength,
    byteLength: blob.byteLength
  }
  if (blob.blockMap) out.blockMap = true
  return out
}

/** The JSON bytes hyperdrive writes for `value` (same key order, so the same bytes). */
export function encodeEntryValue(value: EntryValue): Uint8Array {
  const { executable, linkname, blob, metadata } = value
  const text = JSON.stringify({
    executable,
    linkname,
    blob: blob ? canonicalBlob(blob) : null,
    metadata: metadata === undefined ? null : metadata
  })
  return encoder.encode(text)
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
}

function decodeBlob(raw: unknown): BlobId | null {
  if (raw === null || raw === undefined) return null
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new MalformedEntryError('a blob id is not an object')
  const b = raw as Record<string, unknown>
  const { blockOffset, blockLength, byteOffset, byteLength } = b
  if (!isCount(blockOffset) || !isCount(blockLength) || !isCount(byteOffset) || !isCount(byteLength)) {
    throw new MalformedEntryError('a blob id needs four non-negative integers')
  }
  if (!Number.isSafeInteger(blockOffset + blockLength) || !Number.isSafeInteger(byteOffset + byteLength)) {
    throw new MalformedEntryError('a blob id points past any core')
  }
  // bytes need blocks to hold them (empty blocks are possible: a write stream can write one)
  if (byteLength > 0 && blockLength === 0) {
    throw new MalformedEntryError('a blob id with impossible lengths')
  }
  if (b.blockMap !== undefined && typeof b.blockMap !== 'boolean') {
    throw new MalformedEntryError('a blob id has a non-boolean blockMap')
  }
  const out: BlobId = { blockOffset, byteOffset, blockLength, byteLength }
  if (b.blockMap) out.blockMap = true
  return out
}

/** Decodes and checks an entry value; throws {@link MalformedEntryError} for anything else. */
export function decodeEntryValue(bytes: Uint8Array): EntryValue {
  let raw: unknown
  try {
    raw = JSON.parse(decoder.decode(bytes))
  } catch (err) {
    throw new MalformedEntryError('an entry is not JSON', { cause: err })
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new MalformedEntryError('an entry is not a JSON object')
  }
  const v = raw as Record<string, unknown>
  const executable = v.executable ?? false
  if (typeof executable !== 'boolean') throw new MalformedEntryError('executable is not a boolean')
  const linkname = v.linkname ?? null
  if (linkname !== null && typeof linkname !== 'string') {
    throw new MalformedEntryError('linkname is not a string')
  }
  return { executable, linkname, blob: decodeBlob(v.blob), metadata: v.metadata ?? null }
}

/** The value codec of the files, for the bee. */
export const entryValueEncoding: Codec<EntryValue> = {
  name: 'hyperdrive-entry',
  encode: encodeEntryValue,
  decode: decodeEntryValue
}

/** The encodings of a drive's bee calls. */
export interface EntryEncodings {
  /** Paths ↔ `files\0` + UTF-8. */
  readonly keyEncoding: Codec<string>
  /** Entry values ↔ hyperdrive's JSON. */
  readonly valueEncoding: Codec<EntryValue>
}

/** The options every bee call of the drive passes, so `drive.db` keeps hyperbee's own encodings. */
export const ENTRY_ENCODINGS: EntryEncodings = {
  keyEncoding: filesKeyEncoding,
  valueEncoding: entryValueEncoding
}

/** An entry value as the drive writes it: executable coerced to a boolean, metadata null when absent. */
export function entryValue<M>(
  executable: boolean | undefined,
  linkname: string | null,
  blob: BlobId | null,
  metadata: M | null | undefined
): EntryValue<M> {
  return { executable: !!executable, linkname, blob, metadata: metadata ?? null }
}

/** Whether `v` looks like an entry (a drive's calls take an entry in place of its path). */
export function isEntry(v: unknown): v is Entry {
  const e = v as Entry | null
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.key === 'string' &&
    typeof e.value === 'object' &&
    e.value !== null
  )
}
