/**
 * Moving bytes between streams of every shape a drive may hand out: async iterables (Orchard,
 * streamx, Node), WHATWG `ReadableStream`/`WritableStream`, and Node/streamx-style writables
 * (`write`/`end` with `drain`/`finish`/`close`/`error`).
 */
import { MirrorDriveError } from './errors.ts'
import type { ByteSink, ByteSource, EventWritable, Transformer } from './types.ts'

/** `source` as an async iterable (a `ReadableStream` without async iteration gets a reader). */
export function iterate<T>(source: AsyncIterable<T> | ReadableStream<T>): AsyncIterable<T> {
  if (typeof source !== 'object' || source === null) {
    throw new MirrorDriveError('BAD_STREAM', 'expected an async iterable or a ReadableStream')
  }
  if (typeof (source as AsyncIterable<T>)[Symbol.asyncIterator] === 'function') {
    return source as AsyncIterable<T>
  }
  if (typeof (source as ReadableStream<T>).getReader === 'function') {
    const stream = source as ReadableStream<T>
    return {
      [Symbol.asyncIterator]() {
        const reader = stream.getReader()
        return {
          async next() {
            const r = await reader.read()
            if (r.done) {
              reader.releaseLock()
              return { done: true, value: undefined }
            }
            return { done: false, value: r.value }
          },
          async return() {
            await reader.cancel().catch(() => undefined)
            return { done: true, value: undefined }
          }
        }
      }
    }
  }
  throw new MirrorDriveError('BAD_STREAM', 'expected an async iterable or a ReadableStream')
}

function isWritableStream(sink: unknown): sink is WritableStream<Uint8Array> {
  return typeof sink === 'object' && sink !== null && typeof (sink as WritableStream).getWriter === 'function'
}

function isEventWritable(sink: unknown): sink is EventWritable {
  const s = sink as EventWritable
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof s.write === 'function' &&
    typeof s.end === 'function' &&
    typeof s.on === 'function'
  )
}

/** Whether `t` is something {@link through} can pipe through. */
export function isTransformer(t: unknown): t is Transformer {
  if (typeof t !== 'object' || t === null) return false
  const ws = t as { readable?: unknown; writable?: unknown }
  const readable = ws.readable as ReadableStream | undefined
  if (isWritableStream(ws.writable) && typeof readable?.getReader === 'function') {
    return true
  }
  return (
    isEventWritable(t) &&
    typeof (t as Partial<AsyncIterable<Uint8Array>>)[Symbol.asyncIterator] === 'function'
  )
}

function off(s: EventWritable, event: string, fn: (...args: unknown[]) => void): void {
  if (s.off) s.off(event, fn)
  else s.removeListener?.(event, fn)
}

/**
 * Writes every chunk of `chunks` into `sink` and ends it; resolves once the sink has finished
 * (its data is committed: a hyperdrive's entry is put, a localdrive's file renamed). If reading
 * fails the sink is destroyed (aborted), so a partial file is never committed.
 */
export async function writeAll(sink: ByteSink, chunks: AsyncIterable<Uint8Array>): Promise<void> {
  if (isWritableStream(sink)) {
    const writer = sink.getWriter()
    try {
      for await (const chunk of chunks) {
        await writer.ready
        await writer.write(chunk)
      }
      await writer.close()
    } catch (err) {
      await writer.abort(err).catch(() => undefined)
      throw err
    }
    return
  }
  if (!isEventWritable(sink)) {
    throw new MirrorDriveError('BAD_STREAM', 'expected a WritableStream or a writable with write/end/on')
  }

  // mutated by the listeners: kept in an object so the checks below are not narrowed away
  const st: { failure: { err: unknown } | null; finished: boolean; drained: boolean } = {
    failure: null,
    finished: false,
    drained: false
  }
  let wake: (() => void) | null = null
  const poke = () => {
    const w = wake
    wake = null
    w?.()
  }
  const onerror = (err: unknown) => {
    st.failure ??= { err }
    poke()
  }
  const onfinish = () => {
    st.finished = true
    poke()
  }
  const onclose = () => {
    if (!st.finished) {
      st.failure ??= { err: new MirrorDriveError('STREAM_CLOSED', 'stream closed before finishing') }
    }
    poke()
  }
  const ondrain = () => {
    st.drained = true
    poke()
  }
  const wait = () => new Promise<void>((resolve) => (wake = resolve))
  sink.on('error', onerror)
  sink.on('finish', onfinish)
  sink.on('close', onclose)
  // `drain` is listened to only once needed: a streamx writable opens itself (creating the file)
  // as soon as anyone listens to it, and a mirror that fails before writing must leave no file
  let drainListened = false
  try {
    try {
      for await (const chunk of chunks) {
        if (st.failure) break
        st.drained = false
        if (sink.write(chunk) === false) {
          if (!drainListened) {
            drainListened = true
            sink.on('drain', ondrain)
          }
          while (!st.drained && !st.failure && !st.finished) await wait()
        }
      }
    } catch (err) {
      // abort without an error: the caller gets `err`, and an `error` event nobody hears would crash Node
      sink.destroy?.()
      throw err
    }
    if (!st.failure) {
      sink.end()
      while (!st.finished && !st.failure) await wait()
    }
    if (st.failure) throw st.failure.err
  } finally {
    off(sink, 'error', onerror)
    off(sink, 'finish', onfinish)
    off(sink, 'close', onclose)
    if (drainListened) off(sink, 'drain', ondrain)
  }
}

/** `chunks` piped through `transformer`, as an async iterable of what comes out. */
export async function* through(
  transformer: Transformer,
  chunks: AsyncIterable<Uint8Array>
): AsyncGenerator<Uint8Array, void, undefined> {
  const web = transformer as { readable?: ReadableStream<Uint8Array>; writable?: WritableStream<Uint8Array> }
  const input: ByteSink = isWritableStream(web.writable) ? web.writable : (transformer as EventWritable)
  const output: ByteSource = isWritableStream(web.writable)
    ? web.readable!
    : (transformer as AsyncIterable<Uint8Array>)
  const pump = writeAll(input, chunks).then(
    () => null,
    (err: unknown) => ({ err })
  )
  for await (const chunk of iterate(output)) yield chunk
  const failed = await pump
  if (failed) throw failed.err
}

/** Whether two byte streams carry the same bytes, however they are chunked. Stops at a difference. */
export async function streamsEqual(a: ByteSource, b: ByteSource): Promise<boolean> {
  const ia = iterate(a)[Symbol.asyncIterator]()
  const ib = iterate(b)[Symbol.asyncIterator]()
  let ba: Uint8Array | null = null
  let bb: Uint8Array | null = null
  let aEnded = false
  let bEnded = false
  try {
    while (true) {
      while (ba === null && !aEnded) {
        const r = await ia.next()
        if (r.done) aEnded = true
        else if (r.value.byteLength > 0) ba = r.value
      }
      while (bb === null && !bEnded) {
        const r = await ib.next()
        if (r.done) bEnded = true
        else if (r.value.byteLength > 0) bb = r.value
      }
      if (ba === null || bb === null) return ba === null && bb === null
      const n = Math.min(ba.byteLength, bb.byteLength)
      for (let i = 0; i < n; i++) if (ba[i] !== bb[i]) return false
      ba = ba.byteLength === n ? null : ba.subarray(n)
      bb = bb.byteLength === n ? null : bb.subarray(n)
    }
  } finally {
    await Promise.all([ia.return?.(), ib.return?.()]).catch(() => undefined)
  }
}
