/**
 * `@orchard/hypercore/node`: the same Hypercore for Node apps ported from hypercore 11, where
 * binary values come back as Node `Buffer`s (as hypercore's do, through b4a) instead of plain
 * `Uint8Array`s — `block.toString()`, `buf.equals()` and `t.alike(block, Buffer.from(...))` keep
 * working. Same bytes, zero-copy views; everything else is `@orchard/hypercore` unchanged.
 * Browsers and isomorphic code use `@orchard/hypercore`.
 *
 * @module @orchard/hypercore/node
 */
import { Buffer } from 'node:buffer'
import { Hypercore as IsomorphicHypercore } from './hypercore.ts'
import { type GetOptions, type HypercoreOptions, isOptions } from './options.ts'
import type { PlainEncoding } from './value-encoding.ts'

export * from './index.ts'

/** A zero-copy `Buffer` view of `bytes`. */
function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** hypercore's `'binary'` value encoding in Node: bytes or strings in, `Buffer`s out. */
export const bufferEncoding: PlainEncoding = {
  encode(value) {
    if (value instanceof Uint8Array) return value
    if (typeof value === 'string') return Buffer.from(value)
    throw new TypeError('binary blocks must be a Buffer, Uint8Array or string')
  },
  decode: toBuffer
}

/** `opts` with binary values as `Buffer`s where it leaves the encoding binary. */
function withBuffers(opts: HypercoreOptions | undefined): HypercoreOptions {
  const enc = opts?.valueEncoding
  return enc === undefined || enc === 'binary' ? { ...opts, valueEncoding: bufferEncoding } : (opts ?? {})
}

/**
 * {@link IsomorphicHypercore | Hypercore} with hypercore 11's Node value types: blocks of binary
 * cores and user data are `Buffer`s. Sessions and snapshots of it are of this class too.
 */
export class Hypercore<T = Buffer> extends IsomorphicHypercore<T> {
  /**
   * Takes hypercore's argument shapes — `(storage, key?, opts?)`, `(storage, opts)`, `(opts)` —
   * as `@orchard/hypercore` does; binary values come back as `Buffer`s unless another
   * `valueEncoding` is given.
   */
  constructor(
    storageOrOpts: ConstructorParameters<typeof IsomorphicHypercore>[0] = null,
    keyOrOpts?: ConstructorParameters<typeof IsomorphicHypercore>[1],
    maybeOpts?: HypercoreOptions
  ) {
    // the options are wherever hypercore's argument shapes put them: (opts), (storage, opts) or
    // (storage, key, opts)
    if (isOptions(storageOrOpts)) super(withBuffers(storageOrOpts))
    else if (isOptions(keyOrOpts)) super(storageOrOpts, withBuffers({ ...keyOrOpts, ...maybeOpts }))
    else super(storageOrOpts, keyOrOpts, withBuffers(maybeOpts))
  }

  /** Block `index`; stored bytes (`raw`) and per-call `'binary'` reads come back as `Buffer`s too. */
  override async get(index: number, opts: GetOptions = {}): Promise<T | null> {
    const value = await super.get(index, opts)
    const bytes = opts.raw === true || opts.valueEncoding === 'binary'
    return bytes && value instanceof Uint8Array ? (toBuffer(value) as T) : value
  }

  /** User data under `key`, as a `Buffer` (or null). */
  override async getUserData(key: string): Promise<Buffer | null> {
    const value = await super.getUserData(key)
    return value === null ? null : toBuffer(value)
  }
}
