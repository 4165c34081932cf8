// Fixed memory map of the kernel (see README.md). Everything below ARENA belongs to the kernel;
// the loader owns ARENA and above, grows the memory as it needs and passes pointers into it.

/** One-shot BLAKE2b state (h, t, buffer), 256 bytes. */
export const STATE: usize = 256
/** Scalar Merkle state: h of the message in flight, 64 bytes. */
export const HSTATE: usize = 512
/** Block assembly scratch for lane 0 and lane 1 (prefix/segment boundaries, zero padding). */
export const SCRATCH0: usize = 640
export const SCRATCH1: usize = 768
/** Two-lane state: 8 words × 2 lanes, interleaved (word j of lane L at 16·j + 8·L). */
export const LANE_H: usize = 1024
/** Two-lane block: 16 words × 2 lanes, interleaved. */
export const LANE_M: usize = 1152
/** The single descriptor used by one-message calls (`tree`). */
export const ONE_DESC: usize = 1408
/** First byte the loader may use; data segments of the module (if any) sit at 4096. */
export const ARENA: usize = 65536

/** A message descriptor: prefix (≤ 16 bytes, inline) ‖ segment 1 ‖ segment 2, hashed to `out`. */
export const DESC_SIZE: usize = 48
export const D_SEG1_PTR = 0
export const D_SEG1_LEN = 4
export const D_SEG2_PTR = 8
export const D_SEG2_LEN = 12
export const D_OUT = 16
export const D_PREFIX_LEN = 20
export const D_PREFIX = 24

/** A tree node record: index u64 ‖ size u64 ‖ hash[32]. */
export const NODE_SIZE: usize = 48
export const N_INDEX = 0
export const N_SIZE = 8
export const N_HASH = 16

/** Poly1305 state of the cipher entry points (see poly1305.ts), 80 bytes. */
export const POLY: usize = 2048
/** A secretstream message's 64-byte tag block. */
export const TAG_BLOCK: usize = 2176
/** Keystream scratch for partial blocks, the Poly1305 key block and length blocks, 64 bytes. */
export const KS: usize = 2240
/** A derived (HChaCha20 / HSalsa20) subkey, 32 bytes. */
export const SUBKEY: usize = 2304
/** A computed tag, 16 bytes, compared with the received one. */
export const MAC: usize = 2336
/** Sixteen zero bytes: the padding Poly1305 absorbs. Never written. */
export const ZERO16: usize = 2352
