/**
 * What the API suite's parts share: the shapes of a store and a core under test (what a
 * Corestore / Hypercore user has), the error classes expected, and small helpers.
 */

// biome-ignore lint/suspicious/noExplicitAny: the suite drives two families of classes (in-process and shared) through the API they have in common
export type Any = any

/** A core as the suite uses it. */
export interface CoreLike {
  key: Uint8Array | null
  discoveryKey: Uint8Array | null
  length: number
  byteLength: number
  fork: number
  writable: boolean
  ready(): Promise<void>
  close(): Promise<void>
  append(blocks: unknown): Promise<{ length: number; byteLength: number }>
  get(index: number, opts?: { wait?: boolean; valueEncoding?: Any }): Promise<Any>
  has(start: number, end?: number): Promise<boolean>
  truncate(newLength?: number, opts?: number | { fork?: number }): Promise<void>
  createReadStream(opts?: { start?: number; end?: number; live?: boolean }): AsyncIterable<Any>
  seek(bytes: number, opts?: { wait?: boolean }): Promise<[number, number] | null>
  download(range?: { start?: number; end?: number }): { done(): Promise<void>; destroy(): void }
  clear(start: number, end?: number, opts?: { diff?: boolean }): Promise<{ blocks: number } | null>
  on(event: 'append', fn: () => void): unknown
  on(event: 'truncate', fn: (ancestors: number, fork: number) => void): unknown
}

/** A store under test. */
export interface TestStore {
  get(opts: { name?: string; key?: Uint8Array; valueEncoding?: Any }): CoreLike
  namespace(name: string): Pick<TestStore, 'get'>
  bee(core: CoreLike, opts?: Record<string, unknown>): Any
  close(): Promise<void>
}

/** The error classes the suite expects (from the packages the test imports). */
export interface SuiteErrors {
  SessionNotWritableError: Any
  ReadOnlyError: Any
  BeeClosedError: Any
  SessionClosedError: Any
  InvalidOperationError: Any
}

/** Runs a test on a fresh store, closed after it. */
export type WithStore = (fn: (store: TestStore) => Promise<void>) => () => Promise<void>

export const enc = new TextEncoder()
export const dec = new TextDecoder()
export const pad = (i: number) => String(i).padStart(4, '0')
export const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

export async function rejection(p: Promise<unknown>): Promise<Any> {
  try {
    await p
  } catch (err) {
    return err
  }
  throw new Error('expected a rejection')
}
