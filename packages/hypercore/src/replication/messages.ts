/**
 * The hypercore replication protocol's messages (hypercore 11's `lib/messages.js` `wire.*`), one
 * protomux message type per index of {@link MESSAGE_TYPES}. Byte-identical to hypercore's; decoders
 * accept what older peers omit (trailing flags) and reject everything else with a `CodecError`.
 */
import {
  array,
  buffer,
  type Codec,
  fixed32,
  flag,
  type Infer,
  type InferInput,
  optional,
  optionalBuffer,
  raw,
  struct,
  uint,
  uint32array,
  utf8
} from '@orchard/codec'
import { manifestCodec } from '../manifest.ts'
import type { Proof } from '../merkle/proof.ts'

/** The channel handshake: flags (bit 0 = seeks supported) ‖ 32-byte capability. */
export const handshake = struct({ capability: fixed32, seeks: flag(0) }, { flagsAt: 0 })
export type Handshake = Infer<typeof handshake>

/**
 * `index ‖ size ‖ hash(32)`: written by hand, as it is decoded for every node of every proof. The
 * hash is copied out of the frame: verified nodes are cached, and a view would keep the whole
 * received frame (blocks and all) alive with them.
 */
export const treeNode: Codec<{ index: number; size: number; hash: Uint8Array }> = {
  preencode(s, n) {
    uint.preencode(s, n.index)
    uint.preencode(s, n.size)
    fixed32.preencode(s, n.hash) // checks the length
  },
  encode(s, n) {
    uint.encode(s, n.index)
    uint.encode(s, n.size)
    fixed32.encode(s, n.hash)
  },
  decode(s) {
    const index = uint.decode(s)
    const size = uint.decode(s)
    return { index, size, hash: fixed32.decode(s).slice() }
  }
}
export const nodeArray = array(treeNode)

const requestBlock = struct({ index: uint, nodes: uint })
const requestSeek = struct({ bytes: uint, padding: uint })
const requestUpgrade = struct({ start: uint, length: uint })

export const sync = struct(
  {
    fork: uint,
    length: uint,
    remoteLength: uint,
    canUpgrade: flag(0),
    uploading: flag(1),
    downloading: flag(2),
    hasManifest: flag(3),
    allowPush: flag(4)
  },
  { flagsAt: 0 }
)
export type SyncMessage = Infer<typeof sync>

/** The request message's layout, as a declarative struct (the reference for {@link request}). */
export const requestShape = struct(
  {
    id: uint,
    fork: uint,
    block: optional(requestBlock, 0),
    hash: optional(requestBlock, 1),
    seek: optional(requestSeek, 2),
    upgrade: optional(requestUpgrade, 3),
    manifest: flag(4),
    priority: optional(uint, 5, { absent: 0 })
  },
  { flagsAt: 0 }
)
export type RequestMessage = Infer<typeof requestShape>
type RequestInput = InferInput<typeof requestShape>

/**
 * The request message, coded by hand for the hot path (one per block requested): the same bytes
 * as {@link requestShape}, without the generic struct's per-field dispatch.
 */
export const request: Codec<RequestMessage, RequestInput> = {
  preencode(s, m) {
    s.end += 1 // flags (< 64)
    uint.preencode(s, m.id)
    uint.preencode(s, m.fork)
    if (m.block) requestBlock.preencode(s, m.block)
    if (m.hash) requestBlock.preencode(s, m.hash)
    if (m.seek) requestSeek.preencode(s, m.seek)
    if (m.upgrade) requestUpgrade.preencode(s, m.upgrade)
    if (m.priority) uint.preencode(s, m.priority)
  },
  encode(s, m) {
    uint.encode(
      s,
      (m.block ? 1 : 0) |
        (m.hash ? 2 : 0) |
        (m.seek ? 4 : 0) |
        (m.upgrade ? 8 : 0) |
        (m.manifest === true ? 16 : 0) |
        (m.priority ? 32 : 0)
    )
    uint.encode(s, m.id)
    uint.encode(s, m.fork)
    if (m.block) requestBlock.encode(s, m.block)
    if (m.hash) requestBlock.encode(s, m.hash)
    if (m.seek) requestSeek.encode(s, m.seek)
    if (m.upgrade) requestUpgrade.encode(s, m.upgrade)
    if (m.priority) uint.encode(s, m.priority)
  },
  decode(s) {
    const flags = uint.decode(s)
    const id = uint.decode(s)
    const fork = uint.decode(s)
    const block = flags & 1 ? requestBlock.decode(s) : null
    const hash = flags & 2 ? requestBlock.decode(s) : null
    const seek = flags & 4 ? requestSeek.decode(s) : null
    const upgrade = flags & 8 ? requestUpgrade.decode(s) : null
    const priority = flags & 32 ? uint.decode(s) : 0
    return { id, fork, block, hash, seek, upgrade, manifest: (flags & 16) !== 0, priority }
  }
}

export const cancel = struct({ request: uint })

const dataBlock = struct({ index: uint, value: buffer, nodes: nodeArray })
const dataHash = struct({ index: uint, nodes: nodeArray })
const dataSeek = struct({ bytes: uint, nodes: nodeArray })
const dataUpgrade = struct({
  start: uint,
  length: uint,
  nodes: nodeArray,
  additionalNodes: nodeArray,
  signature: optionalBuffer
})

/** The data message's layout, as a declarative struct (the reference for {@link data}). */
export const dataShape = struct(
  {
    request: uint,
    fork: uint,
    block: optional(dataBlock, 0),
    hash: optional(dataHash, 1),
    seek: optional(dataSeek, 2),
    upgrade: optional(dataUpgrade, 3),
    manifest: optional(manifestCodec, 4)
  },
  { flagsAt: 0 }
)
export type DataMessage = Infer<typeof dataShape>
type DataInput = InferInput<typeof dataShape>

/**
 * The data message, coded by hand for the hot path (one per block served): the same bytes as
 * {@link dataShape}.
 */
export const data: Codec<DataMessage, DataInput> = {
  preencode(s, m) {
    s.end += 1 // flags (< 32)
    uint.preencode(s, m.request)
    uint.preencode(s, m.fork)
    if (m.block) dataBlock.preencode(s, m.block)
    if (m.hash) dataHash.preencode(s, m.hash)
    if (m.seek) dataSeek.preencode(s, m.seek)
    if (m.upgrade) dataUpgrade.preencode(s, m.upgrade)
    if (m.manifest) manifestCodec.preencode(s, m.manifest)
  },
  encode(s, m) {
    uint.encode(
      s,
      (m.block ? 1 : 0) | (m.hash ? 2 : 0) | (m.seek ? 4 : 0) | (m.upgrade ? 8 : 0) | (m.manifest ? 16 : 0)
    )
    uint.encode(s, m.request)
    uint.encode(s, m.fork)
    if (m.block) dataBlock.encode(s, m.block)
    if (m.hash) dataHash.encode(s, m.hash)
    if (m.seek) dataSeek.encode(s, m.seek)
    if (m.upgrade) dataUpgrade.encode(s, m.upgrade)
    if (m.manifest) manifestCodec.encode(s, m.manifest)
  },
  decode(s) {
    const flags = uint.decode(s)
    const request = uint.decode(s)
    const fork = uint.decode(s)
    let block: DataMessage['block'] = null
    if (flags & 1) {
      const index = uint.decode(s)
      const value = buffer.decode(s)
      block = { index, value, nodes: nodeArray.decode(s) }
    }
    const hash = flags & 2 ? dataHash.decode(s) : null
    const seek = flags & 4 ? dataSeek.decode(s) : null
    const upgrade = flags & 8 ? dataUpgrade.decode(s) : null
    const manifest = flags & 16 ? manifestCodec.decode(s) : null
    return { request, fork, block, hash, seek, upgrade, manifest }
  }
}

export const NOT_AVAILABLE = 1
export const INVALID_REQUEST = 2

/** `request ‖ [flags ‖ [reason]]`: the flags (bit 0 = reason present) may be omitted entirely. */
export const noData: Codec<{ request: number; reason: number }, { request: number; reason?: number }> = {
  preencode(s, m) {
    uint.preencode(s, m.request)
    s.end += 1
    if (m.reason) uint.preencode(s, m.reason)
  },
  encode(s, m) {
    uint.encode(s, m.request)
    uint.encode(s, m.reason ? 1 : 0)
    if (m.reason) uint.encode(s, m.reason)
  },
  decode(s) {
    const req = uint.decode(s)
    const flags = s.start < s.end ? uint.decode(s) : 0
    return { request: req, reason: flags & 1 ? uint.decode(s) : 0 }
  }
}

/** `start ‖ length ‖ [flags]` (bit 0 = any); the flags are written only when non-zero. */
export const want: Codec<
  { start: number; length: number; any: boolean },
  { start: number; length: number; any?: boolean }
> = {
  preencode(s, m) {
    uint.preencode(s, m.start)
    uint.preencode(s, m.length)
    if (m.any) s.end += 1
  },
  encode(s, m) {
    uint.encode(s, m.start)
    uint.encode(s, m.length)
    if (m.any) uint.encode(s, 1)
  },
  decode(s) {
    const start = uint.decode(s)
    const length = uint.decode(s)
    const flags = s.start < s.end ? uint.decode(s) : 0
    return { start, length, any: (flags & 1) !== 0 }
  }
}
export const unwant = want

/** `flags (bit 0 drop, bit 1 length == 1) ‖ start ‖ [length]`. */
export const range: Codec<{ drop: boolean; start: number; length: number }> = {
  preencode(s, m) {
    s.end += 1
    uint.preencode(s, m.start)
    if (m.length !== 1) uint.preencode(s, m.length)
  },
  encode(s, m) {
    uint.encode(s, (m.drop ? 1 : 0) | (m.length === 1 ? 2 : 0))
    uint.encode(s, m.start)
    if (m.length !== 1) uint.encode(s, m.length)
  },
  decode(s) {
    const flags = uint.decode(s)
    const start = uint.decode(s)
    return { drop: (flags & 1) !== 0, start, length: flags & 2 ? 1 : uint.decode(s) }
  }
}

export const bitfield = struct({ start: uint, bitfield: uint32array })

/** `name ‖ raw`; an empty name means "the same as the previous extension message". */
export const extension = struct({ name: utf8, message: raw })

/** Defined by hypercore but never sent on the channel. */
export const reorgHint = struct({ from: uint, to: uint, ancestors: uint })

/** The channel's message types, in wire order (type = index). */
export const MESSAGE_TYPES = {
  sync: 0,
  request: 1,
  cancel: 2,
  data: 3,
  noData: 4,
  want: 5,
  unwant: 6,
  bitfield: 7,
  range: 8,
  extension: 9
} as const

/** The proof a data message carries (what the core verifies). */
export function proofOf(m: DataMessage): Proof {
  return { fork: m.fork, block: m.block, hash: m.hash, seek: m.seek, upgrade: m.upgrade }
}
