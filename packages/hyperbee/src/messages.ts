/**
 * Hyperbee's block formats, byte-compatible with hyperbee 2's `lib/messages.js` (protobuf):
 *
 * - block 0 is a {@link Header}: `{ protocol: 'hyperbee', metadata? }`;
 * - every other block is a {@link NodeMessage}: the key and value written, plus `index`, the
 *   encoded {@link YoloIndex} — the tree nodes this write changed, each a {@link Level} of key seqs
 *   and `(seq, offset)` child pointer pairs.
 */
import { DecodingError } from './errors.ts'
import {
  fieldLength,
  LENGTH_DELIMITED,
  Reader,
  tag,
  varintLength,
  writeBytes,
  writeVarint
} from './protobuf.ts'

/** Optional metadata in the header (hyperdrive stores its blobs core key here). */
export interface HeaderMetadata {
  /** The key of a companion core (hyperdrive: its blobs core). */
  contentFeed?: Uint8Array | null
  /** Free-form application bytes. */
  userData?: Uint8Array | null
}

/** Block 0 of a bee. */
export interface Header {
  /** Always `'hyperbee'` for a bee; `Hyperbee.isHyperbee` checks it. */
  protocol: string
  /** Optional metadata, written once with the header. */
  metadata?: HeaderMetadata | null
}

/** A decoded block of a bee: the key and value written (value null for a delete) and the index. */
export interface NodeMessage {
  /** The encoded {@link YoloIndex}: the tree nodes this write changed. */
  index: Uint8Array
  /** The key written (encoded, with a sub's prefix). */
  key: Uint8Array
  /** The value written (encoded), or null for a delete. */
  value: Uint8Array | null
}

/** One tree node in an index: its keys (block seqs) and children, flattened `(seq, offset)` pairs. */
export interface Level {
  /** The node's keys, as the seqs of the blocks that hold them. */
  keys: number[]
  /** The node's children, flattened `(seq, offset)` pairs: block `seq`, level `offset` of its index. */
  children: number[]
}

/** The tree nodes a write changed; level 0 is the root of the tree at that version. */
export interface YoloIndex {
  /** The changed nodes; children point into this list by their offset. */
  levels: Level[]
}

const utf8Encoder = new TextEncoder()
const utf8Decoder = new TextDecoder()

const KEY_1 = tag(1, LENGTH_DELIMITED)
const KEY_2 = tag(2, LENGTH_DELIMITED)
const KEY_3 = tag(3, LENGTH_DELIMITED)

function defined<T>(v: T | null | undefined): v is T {
  return v !== null && v !== undefined
}

// --- Header ---------------------------------------------------------------------------------------

function metadataLength(m: HeaderMetadata): number {
  let len = 0
  if (defined(m.contentFeed)) len += fieldLength(m.contentFeed.byteLength)
  if (defined(m.userData)) len += fieldLength(m.userData.byteLength)
  return len
}

/** Encodes a header block. */
export function encodeHeader(header: Header): Uint8Array {
  const protocol = utf8Encoder.encode(header.protocol)
  const meta = header.metadata
  const metaLen = defined(meta) ? metadataLength(meta) : 0
  const buf = new Uint8Array(fieldLength(protocol.byteLength) + (defined(meta) ? fieldLength(metaLen) : 0))
  buf[0] = KEY_1
  let o = writeBytes(buf, 1, protocol)
  if (defined(meta)) {
    buf[o++] = KEY_2
    o = writeVarint(buf, o, metaLen)
    if (defined(meta.contentFeed)) {
      buf[o++] = KEY_1
      o = writeBytes(buf, o, meta.contentFeed)
    }
    if (defined(meta.userData)) {
      buf[o++] = KEY_2
      o = writeBytes(buf, o, meta.userData)
    }
  }
  return buf
}

/** Decodes a header block; throws {@link DecodingError} on anything that is not one. */
export function decodeHeader(buf: Uint8Array): {
  /** The protocol name (`'hyperbee'` for a bee). */
  protocol: string
  /** The metadata, or null when the header has none. */
  metadata: HeaderMetadata | null
} {
  const r = new Reader(buf)
  let protocol: string | null = null
  let metadata: HeaderMetadata | null = null
  while (!r.done) {
    const key = r.varint()
    const field = Math.floor(key / 8)
    if (field === 1) protocol = utf8Decoder.decode(r.bytes())
    else if (field === 2) {
      const end = r.delimited()
      const m = new Reader(buf, r.pos, end)
      const out: HeaderMetadata = { contentFeed: null, userData: null }
      while (!m.done) {
        const k = m.varint()
        const f = Math.floor(k / 8)
        if (f === 1) out.contentFeed = m.bytes()
        else if (f === 2) out.userData = m.bytes()
        else m.skip(k & 7)
      }
      r.pos = end
      metadata = out
    } else r.skip(key & 7)
  }
  if (protocol === null) throw new DecodingError('header has no protocol')
  return { protocol, metadata }
}

// --- Node -----------------------------------------------------------------------------------------

/** Encodes a node block (index, key, then the value unless it is a delete). */
export function encodeNode(node: NodeMessage): Uint8Array {
  let len = fieldLength(node.index.byteLength) + fieldLength(node.key.byteLength)
  if (node.value !== null) len += fieldLength(node.value.byteLength)
  const buf = new Uint8Array(len)
  buf[0] = KEY_1
  let o = writeBytes(buf, 1, node.index)
  buf[o++] = KEY_2
  o = writeBytes(buf, o, node.key)
  if (node.value !== null) {
    buf[o++] = KEY_3
    writeBytes(buf, o, node.value)
  }
  return buf
}

/**
 * Decodes a node block; throws {@link DecodingError} when it is not one (missing index or key,
 * truncated fields). The fields are views into `buf`.
 */
export function decodeNode(buf: Uint8Array): NodeMessage {
  const r = new Reader(buf)
  let index: Uint8Array | null = null
  let key: Uint8Array | null = null
  let value: Uint8Array | null = null
  while (!r.done) {
    const k = r.varint()
    const field = Math.floor(k / 8)
    if (field === 1) index = r.bytes()
    else if (field === 2) key = r.bytes()
    else if (field === 3) value = r.bytes()
    else r.skip(k & 7)
  }
  if (index === null || key === null) throw new DecodingError('not a hyperbee node (index or key missing)')
  return { index, key, value }
}

// --- YoloIndex ------------------------------------------------------------------------------------

function packedLength(list: number[]): number {
  let len = 0
  for (const n of list) len += varintLength(n)
  return len
}

function levelLength(level: Level): number {
  const k = packedLength(level.keys)
  const c = packedLength(level.children)
  return (k ? fieldLength(k) : 0) + (c ? fieldLength(c) : 0)
}

function writePacked(buf: Uint8Array, o: number, key: number, list: number[], len: number): number {
  if (!len) return o
  buf[o++] = key
  o = writeVarint(buf, o, len)
  for (const n of list) o = writeVarint(buf, o, n)
  return o
}

/** Encodes an index: one length-delimited {@link Level} per tree node, packed varint arrays inside. */
export function encodeYoloIndex(index: YoloIndex): Uint8Array {
  const lens = index.levels.map(levelLength)
  let total = 0
  for (const l of lens) total += fieldLength(l)
  const buf = new Uint8Array(total)
  let o = 0
  for (let i = 0; i < index.levels.length; i++) {
    const level = index.levels[i]!
    buf[o++] = KEY_1
    o = writeVarint(buf, o, lens[i]!)
    o = writePacked(buf, o, KEY_1, level.keys, packedLength(level.keys))
    o = writePacked(buf, o, KEY_2, level.children, packedLength(level.children))
  }
  return buf
}

/** A tree node as {@link encodeNodeWith} reads it: key slots and child pointers, by their seqs. */
export interface NodeLayout {
  keys: ReadonlyArray<{ readonly seq: number }>
  children: ReadonlyArray<{ readonly seq: number; readonly offset: number }>
}

/** Blocks up to this size are carved out of a shared pool (one allocation per many blocks). */
const BLOCK_POOLED_MAX = 8192
const BLOCK_POOL_SIZE = 65536
let blockPool = new Uint8Array(BLOCK_POOL_SIZE)
let blockPoolOffset = 0

/** Per-level scratch lengths of {@link encodeNodeWith} (keys, children, level), reused across calls. */
let scratch = new Array<number>(48).fill(0)

/**
 * Encodes a node block straight from the tree nodes of its index: the same bytes as
 * `encodeNode({ key, value, index: encodeYoloIndex(...) })` with each level's key seqs and
 * `(seq, offset)` child pairs. Small blocks are views into a shared pool (as `Buffer`s often are):
 * never written to once returned, but a view keeps its pool alive, so copy one before caching it.
 */
export function encodeNodeWith(
  key: Uint8Array,
  value: Uint8Array | null,
  levels: ArrayLike<NodeLayout>
): Uint8Array {
  const n = levels.length
  if (scratch.length < 3 * n) scratch = new Array<number>(3 * n).fill(0)
  let indexLen = 0
  for (let i = 0; i < n; i++) {
    const { keys, children } = levels[i]!
    let k = 0
    for (let j = 0; j < keys.length; j++) k += varintLength(keys[j]!.seq)
    let c = 0
    for (let j = 0; j < children.length; j++) {
      const ch = children[j]!
      c += varintLength(ch.seq) + varintLength(ch.offset)
    }
    const len = (k ? fieldLength(k) : 0) + (c ? fieldLength(c) : 0)
    scratch[3 * i] = k
    scratch[3 * i + 1] = c
    scratch[3 * i + 2] = len
    indexLen += fieldLength(len)
  }
  let total = fieldLength(indexLen) + fieldLength(key.byteLength)
  if (value !== null) total += fieldLength(value.byteLength)
  let buf: Uint8Array
  let o: number
  if (total > BLOCK_POOLED_MAX) {
    buf = new Uint8Array(total)
    o = 0
  } else {
    if (blockPoolOffset + total > BLOCK_POOL_SIZE) {
      blockPool = new Uint8Array(BLOCK_POOL_SIZE)
      blockPoolOffset = 0
    }
    buf = blockPool
    o = blockPoolOffset
    blockPoolOffset += total
  }
  const start = o
  buf[o++] = KEY_1
  o = writeVarint(buf, o, indexLen)
  for (let i = 0; i < n; i++) {
    const { keys, children } = levels[i]!
    const k = scratch[3 * i]!
    const c = scratch[3 * i + 1]!
    buf[o++] = KEY_1
    o = writeVarint(buf, o, scratch[3 * i + 2]!)
    if (k) {
      buf[o++] = KEY_1
      o = writeVarint(buf, o, k)
      for (let j = 0; j < keys.length; j++) o = writeVarint(buf, o, keys[j]!.seq)
    }
    if (c) {
      buf[o++] = KEY_2
      o = writeVarint(buf, o, c)
      for (let j = 0; j < children.length; j++) {
        const ch = children[j]!
        o = writeVarint(buf, o, ch.seq)
        o = writeVarint(buf, o, ch.offset)
      }
    }
  }
  buf[o++] = KEY_2
  o = writeBytes(buf, o, key)
  if (value !== null) {
    buf[o++] = KEY_3
    writeBytes(buf, o, value)
  }
  return buf === blockPool ? buf.subarray(start, start + total) : buf
}

function readPacked(r: Reader, into: number[]): void {
  const end = r.delimited()
  const p = new Reader(r.buf, r.pos, end)
  while (!p.done) into.push(p.varint())
  r.pos = end
}

/** Decodes an index; throws {@link DecodingError} on malformed bytes. */
export function decodeYoloIndex(buf: Uint8Array): YoloIndex {
  const r = new Reader(buf)
  const levels: Level[] = []
  while (!r.done) {
    const k = r.varint()
    if (Math.floor(k / 8) !== 1) {
      r.skip(k & 7)
      continue
    }
    const end = r.delimited()
    const l = new Reader(buf, r.pos, end)
    const level: Level = { keys: [], children: [] }
    while (!l.done) {
      const lk = l.varint()
      const f = Math.floor(lk / 8)
      if (f === 1) readPacked(l, level.keys)
      else if (f === 2) readPacked(l, level.children)
      else l.skip(lk & 7)
    }
    r.pos = end
    levels.push(level)
  }
  return { levels }
}
