/** Test helpers: bridges between our duplexes and the real packages' streamx streams. */
import { Duplex as StreamxDuplex } from 'streamx'
import type { Duplex } from '../src/index.ts'

/** Wraps one of our byte duplexes as a streamx duplex the real secret-stream can run on. */
export function toStreamx(d: Duplex): InstanceType<typeof StreamxDuplex> {
  const sx = new StreamxDuplex({
    write(data: Uint8Array, cb: (err?: Error | null) => void) {
      d.write(new Uint8Array(data))
      cb(null)
    },
    final(cb: (err?: Error | null) => void) {
      d.end()
      cb(null)
    },
    predestroy() {
      d.destroy()
    }
  })
  d.on('data', (chunk) => sx.push(chunk))
  d.on('end', () => sx.push(null))
  d.on('close', () => sx.destroy())
  return sx
}

export function hex(b: Uint8Array | null | undefined): string {
  return b ? Buffer.from(b).toString('hex') : ''
}

/** Resolves with the next `n` data events of an emitter-like stream. */
export function take(
  stream: { on(e: 'data', fn: (m: Uint8Array) => void): unknown },
  n: number
): Promise<Uint8Array[]> {
  return new Promise((resolve) => {
    const got: Uint8Array[] = []
    stream.on('data', (m: Uint8Array) => {
      got.push(new Uint8Array(m))
      if (got.length === n) resolve(got)
    })
  })
}
