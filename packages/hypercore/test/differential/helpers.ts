/** Small helpers shared by the scenario modules. */
import type { CoreLike, InfoLike } from './targets.ts'

export const CORE_EVENTS = ['ready', 'append', 'truncate', 'close']
export const PEER_EVENTS = ['peer-add', 'peer-remove']

export function bytes(...xs: number[]): Uint8Array {
  return new Uint8Array(xs)
}

/** `n` bytes of `fill`, first byte the length (blocks of distinct sizes and contents). */
export function filled(n: number, fill: number): Uint8Array {
  const b = new Uint8Array(n).fill(fill)
  if (n > 0) b[0] = n & 0xff
  return b
}

/** The seed of a deterministic key pair: both implementations then make the same core. */
export function seed(n: number): Uint8Array {
  return new Uint8Array(32).fill(n)
}

/** `info()` without `key`/`discoveryKey` (random per run unless the key pair is fixed). */
export async function infoOf(core: CoreLike, withKeys = false): Promise<Partial<InfoLike>> {
  const i = await core.info()
  const out: Partial<InfoLike> = {
    length: i.length,
    contiguousLength: i.contiguousLength,
    byteLength: i.byteLength,
    fork: i.fork,
    padding: i.padding
  }
  if (withKeys) {
    out.key = i.key
    out.discoveryKey = i.discoveryKey
  }
  return out
}

/** The first `n` items of a stream, then destroys it (a live stream would otherwise wait on). */
export async function take<T>(stream: AsyncIterable<T> & { destroy(): void }, n: number): Promise<T[]> {
  const it = stream[Symbol.asyncIterator]()
  const out: T[] = []
  while (out.length < n) {
    const r = await it.next()
    if (r.done) break
    out.push(r.value)
  }
  stream.destroy()
  return out
}

/** Everything a finite stream yields (at most `max` items). */
export async function collect<T>(it: AsyncIterable<T>, max = 1_000): Promise<T[]> {
  const out: T[] = []
  for await (const v of it) {
    out.push(v)
    if (out.length >= max) break
  }
  return out
}
