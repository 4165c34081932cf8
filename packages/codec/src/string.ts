/**
 * Strings: `uint(byteLength) ‖ UTF-8`. Short ASCII strings take a fast path (no TextEncoder
 * call); invalid UTF-8 input is rejected, never replaced with U+FFFD.
 */
import { uint } from './numbers.ts'
import { type Codec, CodecError, need, type State } from './state.ts'

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
const ASCII_FAST = 64

/** UTF-8 byte length of `s` without encoding it. */
function utf8Length(s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4
        i++
      } else n += 3 // lone surrogate: encoded as U+FFFD (3 bytes), as TextEncoder does
    } else n += 3
  }
  return n
}

function writeUtf8(st: State, s: string, len: number): void {
  if (len === s.length) {
    // all ASCII
    const b = st.buffer
    for (let i = 0; i < len; i++) b[st.start + i] = s.charCodeAt(i)
  } else {
    encoder.encodeInto(s, st.buffer.subarray(st.start, st.start + len))
  }
  st.start += len
}

function readUtf8(st: State, len: number, what: string): string {
  need(st, len, what)
  const b = st.buffer
  const start = st.start
  st.start += len
  if (len <= ASCII_FAST) {
    let ascii = true
    for (let i = start; i < start + len; i++) {
      if (b[i]! > 0x7f) {
        ascii = false
        break
      }
    }
    if (ascii) return String.fromCharCode.apply(null, b.subarray(start, start + len) as unknown as number[])
  }
  try {
    return decoder.decode(b.subarray(start, start + len))
  } catch {
    throw new CodecError('INVALID_ENCODING', `${what}: invalid UTF-8 at offset ${start}`)
  }
}

/** `uint(byteLength) ‖ UTF-8 bytes`. */
export const utf8: Codec<string> = {
  preencode(st, s) {
    if (typeof s !== 'string') throw new CodecError('INVALID_VALUE', 'string: expected a string')
    const len = utf8Length(s)
    uint.preencode(st, len)
    st.end += len
  },
  encode(st, s) {
    const len = utf8Length(s)
    uint.encode(st, len)
    writeUtf8(st, s, len)
  },
  decode(st) {
    return readUtf8(st, uint.decode(st), 'string')
  }
}

/** Same as {@link utf8}. */
export const string = utf8

/** `JSON.stringify(value)` as a {@link utf8} string. */
export const json: Codec<unknown> = {
  preencode(st, v) {
    utf8.preencode(st, stringify(v))
  },
  encode(st, v) {
    utf8.encode(st, stringify(v))
  },
  decode(st) {
    const text = utf8.decode(st)
    try {
      return JSON.parse(text)
    } catch {
      throw new CodecError('INVALID_ENCODING', 'json: the string is not valid JSON')
    }
  }
}

function stringify(v: unknown): string {
  const text = JSON.stringify(v)
  if (text === undefined) throw new CodecError('INVALID_VALUE', 'json: value has no JSON form')
  return text
}
