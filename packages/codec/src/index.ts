/**
 * `@orchard/codec`: typed binary codecs, byte-compatible with the `compact-encoding` package that
 * every Holepunch module speaks.
 *
 * - The contract ({@link Codec}, {@link State}): `preencode` sizes a value, `encode` writes it,
 *   `decode` reads it — so a message is sized once, allocated once and written once. Helpers:
 *   {@link encode}, {@link decode} (strict about trailing bytes by default), {@link encodingLength},
 *   {@link encodeInto} (pack many messages into one buffer).
 * - Primitives: the `uint` prefix varint, fixed-width and zig-zag integers, floats, `bool`,
 *   `buffer`, `optionalBuffer`, `fixed(n)`, `raw`, `uint32array`, `bitarray`, `utf8`, `json`.
 * - Composition: {@link array}, {@link frame}, and {@link struct} with `optional`, `flag` and
 *   `trailing` fields announced by a flags bitfield, with types inferred from the declaration.
 * - Text forms of keys: {@link toZBase32} / {@link fromZBase32} (hypercore's `core.id`), and the
 *   byte helpers {@link toHex}, {@link equalBytes}, {@link compareBytes}, {@link concatBytes}.
 * - Errors: every bad input is a {@link CodecError} with a `code` (`TRUNCATED`, `OUT_OF_RANGE`,
 *   `INVALID_VALUE`, `INVALID_ENCODING`, `TOO_LARGE`, `TRAILING_BYTES`), never a wrong value.
 *
 * @module \@orchard/codec
 */
export * from './byte-ops.ts'
export * from './bytes.ts'
export * from './compose.ts'
export * from './numbers.ts'
export * from './state.ts'
export * from './string.ts'
export * from './z32.ts'
