/**
 * The one message of the `blind-peer` protomux channel (`blind-peer-muxer` 1, schema
 * `@blind-peer/cores` v1): which cores a client asks a blind peer to keep, with their lengths.
 *
 * Layout: a `uint` flags word (bit 0 referrer present, bit 1 priority present, bit 2 announce),
 * then the 32-byte referrer, the `uint` priority, and an array of `{ key: fixed32, length: uint }`.
 */
import { array, type Codec, fixed32, flag, optional, struct, uint } from '@orchard/codec'

/** One core in a request: its key and the length the client has. */
export interface CoreEntry {
  key: Uint8Array
  length: number
}

/** What a client asks a blind peer to keep. */
export interface CoresRequest {
  /** A core whose peers the blind peer should wake up about these cores (autobase's wakeup key). */
  referrer: Uint8Array | null
  /** 0 normal, 1 high; blind peers cap untrusted clients at 1. */
  priority: number
  /** Ask the blind peer to announce the cores on the DHT (honoured for trusted clients only). */
  announce: boolean
  cores: CoreEntry[]
}

const coreEntry = struct({ key: fixed32, length: uint })

/** The `@blind-peer/cores` codec. */
export const coresRequest: Codec<CoresRequest> = struct(
  {
    referrer: optional(fixed32, 0),
    priority: optional(uint, 1, { absent: 0 }),
    announce: flag(2),
    cores: array(coreEntry)
  },
  { flagsAt: 0 }
)

/** The protomux protocol name of the channel. */
export const BLIND_PEER_PROTOCOL = 'blind-peer'
