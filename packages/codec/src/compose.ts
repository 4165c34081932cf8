/**
 * Composition: arrays, length-prefixed frames, and structs whose optional parts are announced by
 * a flags bitfield — the shape of nearly every Holepunch message:
 *
 * ```ts
 * const request = struct({
 *   id: uint,
 *   fork: uint,
 *   block: optional(reqBlock, 0),   // present iff flags bit 0, written in declaration order
 *   manifest: flag(4)               // a boolean that lives only in the flags
 * }, { flagsAt: 0 })                // the `uint` flags word comes before field 0
 * ```
 *
 * Decoded optional fields are `null` when absent; on encode they may be omitted. Unknown flag bits
 * are ignored on decode (forward compatibility, as the real packages do).
 */
import { uint } from './numbers.ts'
import { type Codec, CodecError, EMPTY, need, type State } from './state.ts'

/** compact-encoding's limit on array counts. */
export const MAX_ARRAY_LENGTH = 0x100000

/** `uint(count) ‖ items`. */
export function array<T, TIn = T>(item: Codec<T, TIn>): Codec<T[], readonly TIn[]> {
  return {
    preencode(s, list) {
      if (!Array.isArray(list)) throw new CodecError('INVALID_VALUE', 'array: expected an array')
      if (list.length > MAX_ARRAY_LENGTH) {
        throw new CodecError('TOO_LARGE', `array: ${list.length} items exceed ${MAX_ARRAY_LENGTH}`)
      }
      uint.preencode(s, list.length)
      for (let i = 0; i < list.length; i++) item.preencode(s, list[i]!)
    },
    encode(s, list) {
      uint.encode(s, list.length)
      for (let i = 0; i < list.length; i++) item.encode(s, list[i]!)
    },
    decode(s) {
      const n = uint.decode(s)
      if (n > MAX_ARRAY_LENGTH)
        throw new CodecError('TOO_LARGE', `array: count ${n} exceeds ${MAX_ARRAY_LENGTH}`)
      // every item takes at least one byte: reject impossible counts before allocating
      if (n > s.end - s.start) need(s, n, 'array')
      const out = new Array<T>(n)
      for (let i = 0; i < n; i++) out[i] = item.decode(s)
      return out
    }
  }
}

/** `uint(byteLength) ‖ inner`: a sub-message the decoder can skip or bound. */
export function frame<T, TIn = T>(inner: Codec<T, TIn>): Codec<T, TIn> {
  const sizer: State = { start: 0, end: 0, buffer: EMPTY }
  const size = (v: TIn) => {
    sizer.end = 0
    inner.preencode(sizer, v)
    return sizer.end
  }
  return {
    preencode(s, v) {
      const n = size(v)
      uint.preencode(s, n)
      s.end += n
    },
    encode(s, v) {
      uint.encode(s, size(v))
      inner.encode(s, v)
    },
    decode(s) {
      const n = uint.decode(s)
      need(s, n, 'frame')
      const end = s.end
      s.end = s.start + n
      try {
        const v = inner.decode(s)
        s.start = s.end
        return v
      } finally {
        s.end = end
      }
    }
  }
}

/** A codec that writes nothing and decodes `value`. */
export function constant<T>(value: T): Codec<T, T | undefined> {
  return {
    preencode() {},
    encode() {},
    decode: () => value
  }
}

// --- structs -------------------------------------------------------------------------------

const OPTIONAL = Symbol('optional')
const FLAG = Symbol('flag')
const TRAILING = Symbol('trailing')

/**
 * A field present iff flags bit `bit` is set. Decodes as `absent` (default `null`) when the bit is
 * clear; on encode, `null`, `undefined` and `absent` leave the bit clear.
 */
export interface OptionalField<T, TIn = T, A = null> {
  /** Brand that tells {@link struct} this is an optional field. */
  readonly [OPTIONAL]: true
  /** The codec of the value when present. */
  readonly codec: Codec<T, TIn>
  /** The flags bit (0..30) that says the field is present. */
  readonly bit: number
  /** What a clear bit decodes to. */
  readonly absent: A
}

/** A boolean stored only as flags bit `bit`. */
export interface FlagField {
  /** Brand that tells {@link struct} this is a flag field. */
  readonly [FLAG]: true
  /** The flags bit (0..30) holding the boolean. */
  readonly bit: number
}

/**
 * A field at the end of a struct, decoded only if bytes remain (else `fallback`), and omitted on
 * encode when the value is `undefined` or equals `omitWhen`. Older peers that do not send it stay
 * readable.
 */
export interface TrailingField<T, TIn = T> {
  /** Brand that tells {@link struct} this is a trailing field. */
  readonly [TRAILING]: true
  /** The codec of the value when present. */
  readonly codec: Codec<T, TIn>
  /** What the field decodes as when the message ends before it. */
  readonly fallback: T
  /** A value that is not written (so the message stays as short as an older peer's). */
  readonly omitWhen: TIn | undefined
}

/** A struct field present iff flags bit `bit` is set; decodes as `null` when absent. */
export function optional<T, TIn = T>(codec: Codec<T, TIn>, bit: number): OptionalField<T, TIn, null>
/**
 * A struct field present iff flags bit `bit` is set; decodes as `opts.absent` when absent (e.g. `0` or
 * `false`).
 */
export function optional<T, TIn, A>(
  codec: Codec<T, TIn>,
  bit: number,
  opts: { absent: A }
): OptionalField<T, TIn, A>
export function optional<T, TIn, A>(
  codec: Codec<T, TIn>,
  bit: number,
  opts?: { absent: A }
): OptionalField<T, TIn, A | null> {
  checkBit(bit)
  return { [OPTIONAL]: true, codec, bit, absent: opts ? opts.absent : null }
}

/** A boolean struct field carried only as flags bit `bit` (no bytes of its own). */
export function flag(bit: number): FlagField {
  checkBit(bit)
  return { [FLAG]: true, bit }
}

/**
 * A struct field at the end, read only if bytes remain, else `fallback`: how a message grows a field without
 * breaking older readers.
 */
export function trailing<T, TIn = T>(
  codec: Codec<T, TIn>,
  fallback: T,
  opts: { omitWhen?: TIn } = {}
): TrailingField<T, TIn> {
  return { [TRAILING]: true, codec, fallback, omitWhen: opts.omitWhen }
}

function checkBit(bit: number) {
  if (!Number.isInteger(bit) || bit < 0 || bit > 30)
    throw new RangeError(`flag bit must be 0..30, got ${bit}`)
}

/** A codec of any value. @internal */
// biome-ignore lint/suspicious/noExplicitAny: a field of any codec; types are recovered per key below
type AnyCodec = Codec<any, any>
/** One field of a {@link struct}: a codec, or an {@link optional}, {@link flag} or {@link trailing} field. */
// biome-ignore lint/suspicious/noExplicitAny: as above
export type Field = AnyCodec | OptionalField<any, any, any> | FlagField | TrailingField<any, any>
/** The fields of a {@link struct}, by name, in encoding order. */
export type Fields = Record<string, Field>

/** The decoded type of one field. @internal */
type Decoded<F> = F extends FlagField
  ? boolean
  : F extends OptionalField<infer T, infer _, infer A>
    ? T | A
    : F extends TrailingField<infer T, infer _>
      ? T
      : F extends Codec<infer T, infer _>
        ? T
        : never

/** The type one field accepts to encode. @internal */
type Input<F> = F extends FlagField
  ? boolean
  : F extends OptionalField<infer _, infer TIn, infer A>
    ? TIn | A | null
    : F extends TrailingField<infer _, infer TIn>
      ? TIn
      : F extends Codec<infer _, infer TIn>
        ? TIn
        : never

/** The names of the fields that may be omitted on encode. @internal */
type OptionalKeys<S> = {
  // biome-ignore lint/suspicious/noExplicitAny: matches optional fields of any codec
  [K in keyof S]: S[K] extends OptionalField<any, any, any> | FlagField | TrailingField<any, any> ? K : never
}[keyof S]
/** Flattens an intersection for readable hover types. @internal */
type Simplify<T> = { [K in keyof T]: T[K] } & {}

/** The decoded value of a struct of fields `S`. */
export type StructValue<S extends Fields> = Simplify<{ -readonly [K in keyof S]: Decoded<S[K]> }>
/** What a struct of fields `S` accepts to encode: optional parts may be omitted. */
export type StructInput<S extends Fields> = Simplify<
  { [K in Exclude<keyof S, OptionalKeys<S>>]: Input<S[K]> } & { [K in OptionalKeys<S>]?: Input<S[K]> }
>

/** Options of {@link struct}. */
export interface StructOptions {
  /**
   * Where the `uint` flags word goes: before the field at this position among the non-flag
   * fields (0 = first). Required when any field is optional or a flag.
   */
  flagsAt?: number
}

const Kind = {
  Plain: 0,
  Optional: 1,
  Flag: 2,
  Trailing: 3
} as const
type Kind = (typeof Kind)[keyof typeof Kind]

interface Slot {
  key: string
  kind: Kind
  codec: AnyCodec | null
  mask: number
  // biome-ignore lint/suspicious/noExplicitAny: the fallback/omit values of a trailing field
  fallback: any
  // biome-ignore lint/suspicious/noExplicitAny: as above
  omitWhen: any
}

/**
 * A struct codec over `fields`, encoded in declaration order, with an optional flags word.
 * Trailing fields must come last.
 */
export function struct<S extends Fields>(
  fields: S,
  opts: StructOptions = {}
): Codec<StructValue<S>, StructInput<S>> {
  const slots: Slot[] = []
  let hasFlags = false
  let seenTrailing = false
  for (const [key, f] of Object.entries(fields)) {
    if (FLAG in f) {
      slots.push({
        key,
        kind: Kind.Flag,
        codec: null,
        mask: 1 << f.bit,
        fallback: false,
        omitWhen: undefined
      })
      hasFlags = true
    } else if (OPTIONAL in f) {
      if (seenTrailing) throw new TypeError(`struct: optional field ${key} after a trailing field`)
      slots.push({
        key,
        kind: Kind.Optional,
        codec: f.codec,
        mask: 1 << f.bit,
        fallback: f.absent,
        omitWhen: f.absent
      })
      hasFlags = true
    } else if (TRAILING in f) {
      seenTrailing = true
      slots.push({
        key,
        kind: Kind.Trailing,
        codec: f.codec,
        mask: 0,
        fallback: f.fallback,
        omitWhen: f.omitWhen
      })
    } else {
      if (seenTrailing) throw new TypeError(`struct: field ${key} after a trailing field`)
      slots.push({
        key,
        kind: Kind.Plain,
        codec: f as AnyCodec,
        mask: 0,
        fallback: undefined,
        omitWhen: undefined
      })
    }
  }
  const flagsAt = opts.flagsAt ?? 0
  if (hasFlags && (flagsAt < 0 || flagsAt > slots.filter((s) => s.kind === Kind.Plain).length)) {
    throw new RangeError('struct: flagsAt must point at or after the plain fields it follows')
  }
  // the flags word is emitted before the `flagsAt`-th wire field (plain fields count)
  const wire = slots.filter((s) => s.kind !== Kind.Flag)
  const flagSlots = slots.filter((s) => s.kind === Kind.Flag || s.kind === Kind.Optional)
  let flagsPos = -1
  if (hasFlags) {
    let plain = 0
    flagsPos = wire.length
    for (let i = 0; i < wire.length; i++) {
      if (plain === flagsAt) {
        flagsPos = i
        break
      }
      if (wire[i]!.kind === Kind.Plain) plain++
    }
  }

  // biome-ignore lint/suspicious/noExplicitAny: struct values are plain records here
  const flagsOf = (v: any) => {
    let flags = 0
    for (const slot of flagSlots) {
      const x = v[slot.key]
      if (slot.kind === Kind.Flag ? x === true : x !== null && x !== undefined && x !== slot.omitWhen)
        flags |= slot.mask
    }
    return flags
  }
  // biome-ignore lint/suspicious/noExplicitAny: as above
  const present = (slot: Slot, v: any, flags: number) => {
    if (slot.kind === Kind.Plain) return true
    if (slot.kind === Kind.Optional) return (flags & slot.mask) !== 0
    const x = v[slot.key]
    return x !== undefined && x !== slot.omitWhen
  }

  return {
    preencode(s, v) {
      if (typeof v !== 'object' || v === null)
        throw new CodecError('INVALID_VALUE', 'struct: expected an object')
      const flags = hasFlags ? flagsOf(v) : 0
      let trailingFrom = -1
      for (let i = 0; i < wire.length; i++) {
        if (i === flagsPos) uint.preencode(s, flags)
        const slot = wire[i]!
        if (!present(slot, v, flags)) {
          if (slot.kind === Kind.Trailing && trailingFrom === -1) trailingFrom = i
          continue
        }
        if (slot.kind === Kind.Trailing && trailingFrom !== -1) {
          throw new CodecError('INVALID_VALUE', `struct: trailing field ${slot.key} set after an omitted one`)
        }
        // biome-ignore lint/suspicious/noExplicitAny: record access by declared key
        slot.codec!.preencode(s, (v as any)[slot.key])
      }
      if (flagsPos === wire.length) uint.preencode(s, flags)
    },
    encode(s, v) {
      const flags = hasFlags ? flagsOf(v) : 0
      for (let i = 0; i < wire.length; i++) {
        if (i === flagsPos) uint.encode(s, flags)
        const slot = wire[i]!
        // biome-ignore lint/suspicious/noExplicitAny: record access by declared key
        if (present(slot, v, flags)) slot.codec!.encode(s, (v as any)[slot.key])
      }
      if (flagsPos === wire.length) uint.encode(s, flags)
    },
    decode(s) {
      // biome-ignore lint/suspicious/noExplicitAny: filled field by field
      const out: any = {}
      let flags = 0
      for (let i = 0; i < wire.length; i++) {
        if (i === flagsPos) flags = uint.decode(s)
        const slot = wire[i]!
        if (slot.kind === Kind.Plain) out[slot.key] = slot.codec!.decode(s)
        else if (slot.kind === Kind.Optional) {
          out[slot.key] = (flags & slot.mask) !== 0 ? slot.codec!.decode(s) : slot.fallback
        } else out[slot.key] = s.start < s.end ? slot.codec!.decode(s) : slot.fallback
      }
      if (flagsPos === wire.length) flags = uint.decode(s)
      for (const slot of flagSlots) if (slot.kind === Kind.Flag) out[slot.key] = (flags & slot.mask) !== 0
      return out
    }
  }
}
