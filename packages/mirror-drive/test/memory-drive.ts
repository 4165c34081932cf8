/**
 * A drive-shaped object in memory, for tests in Node and in the browser: hyperdrive's listing
 * semantics (sorted keys, `ignore` by key or folder), WHATWG streams both ways (reads come in
 * odd-sized chunks, so comparisons cannot rely on chunk boundaries), `putEntry` like a hyperdrive,
 * and counters of what was written.
 */
import type { DriveEntry, DriveEntryValue, MirrorWriteOptions, TargetDrive } from '../src/index.ts'
import { normalizeKey } from '../src/index.ts'

interface Stored {
  seq: number
  value: DriveEntryValue
  bytes: Uint8Array | null
}

/** An in-memory drive. */
export class MemoryDrive implements TargetDrive {
  readonly files = new Map<string, Stored>()
  readonly supportsMetadata = true
  /** Files written through streams, entries rewritten with putEntry, links made, keys deleted. */
  readonly writes = { streams: 0, putEntry: 0, symlink: 0, del: 0 }
  #seq = 0

  async ready(): Promise<void> {}

  async *list(prefix: string, opts: { ignore?: (key: string) => boolean }) {
    const folder = normalizeKey(prefix)
    const under = folder === '/' ? '/' : `${folder}/`
    for (const key of [...this.files.keys()].sort()) {
      if (!key.startsWith(under) || opts.ignore?.(key)) continue
      const e = await this.entry(key)
      if (e) yield e
    }
  }

  async entry(key: string | DriveEntry): Promise<(DriveEntry & { seq: number }) | null> {
    const k = normalizeKey(typeof key === 'object' ? key.key : key)
    const f = this.files.get(k)
    if (!f) return null
    return { seq: f.seq, key: k, value: structuredClone(f.value) }
  }

  async get(key: string): Promise<Uint8Array | null> {
    return this.files.get(normalizeKey(key))?.bytes ?? null
  }

  async put(key: string, bytes: Uint8Array, opts: { executable?: boolean; metadata?: unknown } = {}) {
    this.#set(key, bytes, !!opts.executable, opts.metadata ?? null)
  }

  #set(key: string, bytes: Uint8Array, executable: boolean, metadata: unknown): void {
    const blob = { byteOffset: 0, blockOffset: 0, blockLength: 1, byteLength: bytes.byteLength }
    this.files.set(normalizeKey(key), {
      seq: ++this.#seq,
      value: { executable, linkname: null, blob, metadata },
      bytes
    })
  }

  async del(key: string): Promise<void> {
    this.writes.del++
    this.files.delete(normalizeKey(key))
  }

  async symlink(key: string, linkname: string): Promise<void> {
    this.writes.symlink++
    this.files.set(normalizeKey(key), {
      seq: ++this.#seq,
      value: { executable: false, linkname, blob: null, metadata: null },
      bytes: null
    })
  }

  async putEntry(key: string, value: DriveEntryValue): Promise<void> {
    this.writes.putEntry++
    const old = this.files.get(normalizeKey(key))
    this.files.set(normalizeKey(key), {
      seq: ++this.#seq,
      value: structuredClone(value),
      bytes: old?.bytes ?? null
    })
  }

  createReadStream(entry: DriveEntry): ReadableStream<Uint8Array> {
    const bytes = this.files.get(normalizeKey(entry.key))?.bytes ?? new Uint8Array(0)
    let offset = 0
    let size = 1
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        if (offset >= bytes.byteLength) return controller.close()
        size = (size * 7 + 3) % 70_001 || 1 // odd, changing chunk sizes
        controller.enqueue(bytes.slice(offset, offset + size))
        offset += size
      }
    })
  }

  createWriteStream(key: string, opts: MirrorWriteOptions): WritableStream<Uint8Array> {
    const chunks: Uint8Array[] = []
    return new WritableStream<Uint8Array>({
      write: (chunk) => {
        chunks.push(chunk.slice())
      },
      close: () => {
        const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0))
        let o = 0
        for (const c of chunks) {
          out.set(c, o)
          o += c.byteLength
        }
        this.writes.streams++
        this.#set(key, out, opts.executable, opts.metadata ?? null)
      }
    })
  }
}
