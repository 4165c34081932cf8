/**
 * The file adapter's files: naming of log generations, creating a log, writing a compacted one,
 * and the small fs helpers around them (positioned writes, fsyncs, error mapping).
 */
import {
  closeSync,
  fdatasync,
  fsyncSync,
  openSync,
  readdirSync,
  renameSync,
  unlinkSync,
  writeSync
} from 'node:fs'
import { join } from 'node:path'
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { StorageError, StorageQuotaError } from '../errors.ts'
import { binaryBounds, binaryBoundsAfter, keyBytes, toBounds } from '../keys.ts'
import type { SortedMap } from '../sorted-map.ts'
import { type BatchOp, STORE_NAMES } from '../types.ts'
import { type IndexBuilder, type IndexValue, newIndex } from './log-index.ts'
import {
  batchRecordBytes,
  decodeRecord,
  encodeBatch,
  FILE_HEADER_BYTES,
  fileHeader,
  sealRecord
} from './record.ts'

export const LOG_PATTERN = /^data\.(\d+)\.log$/

export const logName = (generation: number) => `data.${String(generation).padStart(6, '0')}.log`

export function ioError(err: unknown, what: string): StorageError {
  if (err instanceof StorageError) return err
  const code = (err as NodeJS.ErrnoException | null)?.code
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG') {
    return new StorageQuotaError(`${what}: out of disk space; the batch was not written`, { cause: err })
  }
  return new StorageError(`${what}: ${(err as Error)?.message ?? String(err)}`, 'STORAGE_IO', { cause: err })
}

export function fsyncDir(dir: string): void {
  let fd: number | null = null
  try {
    fd = openSync(dir, 'r')
    fsyncSync(fd)
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic there.
  } finally {
    if (fd !== null) closeSync(fd)
  }
}

export function fdatasyncAsync(fd: number): Promise<void> {
  return new Promise((res, rej) => fdatasync(fd, (err) => (err ? rej(err) : res())))
}

export function listGenerations(dir: string): number[] {
  const gens: number[] = []
  for (const f of readdirSync(dir)) {
    const m = LOG_PATTERN.exec(f)
    if (m) gens.push(Number(m[1]))
  }
  return gens.sort((a, b) => a - b)
}

/** Writes `buf[0, length)` at `pos`, all of it. */
export function writeAt(fd: number, buf: Uint8Array, length: number, pos: number): void {
  let done = 0
  while (done < length) done += writeSync(fd, buf, done, length - done, pos + done)
}

export function listGenerationsOrEmpty(dir: string): number[] {
  try {
    return listGenerations(dir)
  } catch {
    return []
  }
}

/** Creates an empty log of `generation` in `dir` atomically (written aside, flushed, renamed). */
export function createLog(dir: string, generation: number): void {
  const path = join(dir, logName(generation))
  const fd = openSync(`${path}.tmp`, 'w')
  try {
    writeAt(fd, fileHeader(generation), FILE_HEADER_BYTES, 0)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(`${path}.tmp`, path)
  fsyncDir(dir)
}

/**
 * Writes the entries of `maps` as log `generation` of `dir`: aside, flushed, then renamed into
 * place (and the directory flushed), so a crash leaves either no new log or a whole one. Returns
 * the open log, its end and its index. Values come from `read`.
 */
export async function writeCompactedLog(
  dir: string,
  generation: number,
  maps: SortedMap<IndexValue>[],
  inline: number,
  read: (value: IndexValue) => Uint8Array
): Promise<{ fd: number; end: number; index: IndexBuilder }> {
  const path = join(dir, logName(generation))
  const fd = openSync(`${path}.tmp`, 'w+')
  try {
    writeAt(fd, fileHeader(generation), FILE_HEADER_BYTES, 0)
    const index = newIndex(inline)
    let end = FILE_HEADER_BYTES
    const all = binaryBounds(toBounds())
    for (let s = 0; s < maps.length; s++) {
      const store = STORE_NAMES[s]!
      let bounds = all
      for (;;) {
        // Records of up to ~4 MiB, yielding to the event loop between them.
        const ops: BatchOp[] = []
        let bytes = 0
        let last = ''
        maps[s]!.scan(bounds, 4096, (key, value) => {
          if (bytes > 4 * 1024 * 1024) return
          ops.push({ type: 'put', store, key: keyBytes(key), value: read(value) })
          bytes += key.length + value.length
          last = key
        })
        if (ops.length === 0) break
        const buf = new Uint8Array(batchRecordBytes(ops))
        const length = encodeBatch(buf, ops)
        sealRecord(buf, length, 0)
        writeAt(fd, buf, length, end)
        index.begin(buf, end)
        decodeRecord(buf, 0, length, index)
        end += length
        bounds = binaryBoundsAfter(bounds, last)
        await yieldToLoop()
      }
    }
    index.touched = 0
    await fdatasyncAsync(fd)
    renameSync(`${path}.tmp`, path)
    fsyncDir(dir)
    return { fd, end, index }
  } catch (err) {
    closeSync(fd)
    try {
      unlinkSync(`${path}.tmp`)
    } catch {
      // Removed on the next open.
    }
    throw ioError(err, `${dir}: compaction failed`)
  }
}
