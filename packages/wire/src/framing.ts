/**
 * secret-stream framing: every frame is `uint24le(length) ‖ length bytes`. The decoder takes
 * chunks as they arrive (split or merged arbitrarily) and yields whole frames, zero-copy when a
 * frame lies inside one chunk.
 */

/** The largest frame payload a uint24 length can announce (16 MiB − 1). */
export const MAX_FRAME = 0xffffff

export function writeUint24LE(n: number, buf: Uint8Array, offset = 0): void {
  buf[offset] = n & 255
  buf[offset + 1] = (n >>> 8) & 255
  buf[offset + 2] = (n >>> 16) & 255
}

/** `uint24le(payload.length) ‖ payload` as one buffer. */
export function frame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(3 + payload.byteLength)
  writeUint24LE(payload.byteLength, out)
  out.set(payload, 3)
  return out
}

/** Reassembles frames from chunks that split or merge them arbitrarily. */
export class FrameDecoder {
  /** Header bytes read of the current frame (0–3), then the frame's length. */
  #headerBytes = 0
  #length = 0
  #partial: Uint8Array | null = null
  #filled = 0

  /** Feeds a chunk; calls `onframe` for every complete frame (its bytes are only valid during the call if zero-copy). */
  push(chunk: Uint8Array, onframe: (frame: Uint8Array) => void): void {
    let offset = 0
    while (offset < chunk.byteLength) {
      if (this.#headerBytes < 3) {
        this.#length |= chunk[offset++]! << (8 * this.#headerBytes)
        if (++this.#headerBytes < 3) continue
        if (this.#length === 0) {
          this.#reset()
          onframe(EMPTY)
          continue
        }
      }
      const missing = this.#length - this.#filled
      const available = chunk.byteLength - offset
      if (this.#partial === null && available >= missing) {
        const f = chunk.subarray(offset, offset + missing)
        offset += missing
        this.#reset()
        onframe(f)
        continue
      }
      if (this.#partial === null) this.#partial = new Uint8Array(this.#length)
      const take = Math.min(missing, available)
      this.#partial.set(chunk.subarray(offset, offset + take), this.#filled)
      this.#filled += take
      offset += take
      if (this.#filled === this.#length) {
        const f = this.#partial
        this.#reset()
        onframe(f)
      }
    }
  }

  #reset(): void {
    this.#headerBytes = 0
    this.#length = 0
    this.#partial = null
    this.#filled = 0
  }
}

const EMPTY = new Uint8Array(0)
