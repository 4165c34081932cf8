/**
 * The encoding state and the codec contract, shaped like compact-encoding's so hand-written
 * codecs port directly: `preencode` adds a value's size to `state.end`, `encode` writes it at
 * `state.start` and advances, `decode` reads at `state.start` up to `state.end` and advances.
 * A message is sized once, allocated once and written once.
 */

/** A cursor over a byte buffer. `start` is the read/write position, `end` the limit. */
export interface State {
  /** Read/write position: where the next `encode` writes or `decode` reads. */
  start: number
  /** Limit: the end of the readable bytes, or while preencoding the running size. */
  end: number
  /** The bytes being written or read. */
  buffer: Uint8Array
}

/**
 * A codec for values of type `T`. `TIn` is what `encode` accepts, when it is looser than what
 * `decode` returns (e.g. optional struct fields that decode as `null`).
 */
export interface Codec<T, TIn = T> {
  /** Adds the encoded size of `value` to `state.end`; writes nothing. */
  preencode(state: State, value: TIn): void
  /** Writes `value` at `state.start` and advances it; the buffer was sized by `preencode`. */
  encode(state: State, value: TIn): void
  /**
   * Reads a value at `state.start` (never past `state.end`) and advances; throws {@link CodecError} on bad
   * bytes.
   */
  decode(state: State): T
}

/** The decoded type of a codec. */
export type Infer<C> = C extends Codec<infer T, infer _> ? T : never
/** The type a codec's `encode` accepts. */
export type InferInput<C> = C extends Codec<infer _, infer TIn> ? TIn : never

/** What went wrong, as a stable string for programs to test (the message is for people). */
export type CodecErrorCode =
  /** The input ended before the value did. */
  | 'TRUNCATED'
  /** A number outside what the codec can represent (negative, fractional, > 2^53 − 1, ...). */
  | 'OUT_OF_RANGE'
  /** A value of the wrong type or shape for the codec. */
  | 'INVALID_VALUE'
  /** A byte sequence the codec does not accept (bad bool byte, bad UTF-8, bad JSON, ...). */
  | 'INVALID_ENCODING'
  /** A declared count or size over the codec's limit. */
  | 'TOO_LARGE'
  /** Bytes left over after a strict decode. */
  | 'TRAILING_BYTES'

/** Every failure of this package: bad input to decode, or an unencodable value. */
export class CodecError extends Error {
  /** Which kind of failure this is. */
  readonly code: CodecErrorCode

  /** An error of kind `code` with a human-readable `message`. */
  constructor(code: CodecErrorCode, message: string) {
    super(message)
    this.name = 'CodecError'
    this.code = code
  }
}

/** A fresh state (`start = 0`, `end = 0`, no buffer) for preencoding. */
export function state(start = 0, end = 0, buffer: Uint8Array = EMPTY): State {
  return { start, end, buffer }
}

/** A shared zero-length buffer (the buffer of a fresh state); never written to. */
export const EMPTY = new Uint8Array(0)

/** Throws `TRUNCATED` unless `n` more bytes can be read. */
export function need(s: State, n: number, what: string): void {
  if (s.end - s.start < n) {
    throw new CodecError(
      'TRUNCATED',
      `${what}: needs ${n} byte${n === 1 ? '' : 's'} at offset ${s.start}, ${Math.max(0, s.end - s.start)} left`
    )
  }
}

/** Encodes `value` into a new exact-size buffer. */
export function encode<TIn>(codec: Codec<unknown, TIn>, value: TIn): Uint8Array {
  const s: State = { start: 0, end: 0, buffer: EMPTY }
  codec.preencode(s, value)
  s.buffer = new Uint8Array(s.end)
  codec.encode(s, value)
  return s.buffer
}

/** The number of bytes `value` encodes to. */
export function encodingLength<TIn>(codec: Codec<unknown, TIn>, value: TIn): number {
  const s: State = { start: 0, end: 0, buffer: EMPTY }
  codec.preencode(s, value)
  return s.end
}

/**
 * Encodes `value` into `buffer` at `offset` (for packing many messages into one frame) and
 * returns the offset after it. Throws `TOO_LARGE` if it does not fit.
 */
export function encodeInto<TIn>(
  codec: Codec<unknown, TIn>,
  value: TIn,
  buffer: Uint8Array,
  offset = 0
): number {
  const size = encodingLength(codec, value)
  if (offset < 0 || offset + size > buffer.byteLength) {
    throw new CodecError(
      'TOO_LARGE',
      `value needs ${size} bytes at offset ${offset}, buffer has ${buffer.byteLength}`
    )
  }
  const s: State = { start: offset, end: offset + size, buffer }
  codec.encode(s, value)
  return s.start
}

/** Options of {@link decode}. */
export interface DecodeOptions {
  /**
   * Reject bytes left after the value (`TRAILING_BYTES`). Default true: a whole buffer holds one
   * value. Pass false to ignore the rest, as compact-encoding's `decode` does.
   */
  strict?: boolean
}

/**
 * Decodes one value from `bytes`. Byte fields of the result (buffers, fixed, raw) are zero-copy
 * views into `bytes`: copy them before reusing `bytes`.
 */
export function decode<T>(codec: Codec<T, never>, bytes: Uint8Array, opts: DecodeOptions = {}): T {
  const s: State = { start: 0, end: bytes.byteLength, buffer: bytes }
  const value = codec.decode(s)
  if (opts.strict !== false && s.start !== s.end) {
    throw new CodecError('TRAILING_BYTES', `${s.end - s.start} trailing byte(s) after the value`)
  }
  return value
}
