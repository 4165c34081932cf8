/**
 * The log's files in a volume: naming of generations, creating a log, and writing a compacted one
 * aside and renaming it into place.
 */
import { nextTask } from '@orchard/events'
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
import type { LogFile, LogVolume } from './volume.ts'

export const LOG_PATTERN = /^data\.(\d+)\.log$/
export const TMP_SUFFIX = '.tmp'
export const logName = (generation: number) => `data.${String(generation).padStart(6, '0')}.log`

/** The log generations among `names`, oldest first. */
export function generationsIn(names: readonly string[]): number[] {
  const gens: number[] = []
  for (const f of names) {
    const m = LOG_PATTERN.exec(f)
    if (m) gens.push(Number(m[1]))
  }
  return gens.sort((a, b) => a - b)
}

/** Creates an empty log of `generation` atomically (written aside, flushed, renamed). */
export async function createLog(volume: LogVolume, generation: number): Promise<void> {
  const name = logName(generation)
  const file = await volume.open(name + TMP_SUFFIX, 'create')
  try {
    file.writeAt(fileHeader(generation), FILE_HEADER_BYTES, 0)
    await file.sync()
  } finally {
    file.close()
  }
  await volume.rename(name + TMP_SUFFIX, name)
}

/**
 * Writes the entries of `maps` as log `generation`: aside, flushed, then renamed into place, so a
 * crash leaves either no new log or a whole one. Returns the new log open for writing, its end and
 * its index. Values come from `read`.
 */
export async function writeCompactedLog(
  volume: LogVolume,
  generation: number,
  maps: SortedMap<IndexValue>[],
  inline: number,
  read: (value: IndexValue) => Uint8Array
): Promise<{ file: LogFile; end: number; index: IndexBuilder }> {
  const name = logName(generation)
  const tmp = name + TMP_SUFFIX
  const index = newIndex(inline)
  let end = FILE_HEADER_BYTES
  try {
    const file = await volume.open(tmp, 'create')
    try {
      file.writeAt(fileHeader(generation), FILE_HEADER_BYTES, 0)
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
          sealRecord(buf, length, 0, volume.crc32)
          file.writeAt(buf, length, end)
          index.begin(buf, end)
          decodeRecord(buf, 0, length, index)
          end += length
          bounds = binaryBoundsAfter(bounds, last)
          await nextTask()
        }
      }
      index.touched = 0
      await file.sync()
    } finally {
      file.close()
    }
    await volume.rename(tmp, name)
  } catch (err) {
    await volume.remove(tmp).catch(() => {
      // Removed on the next open.
    })
    throw volume.error(err, `${volume.name}: compaction failed`)
  }
  return { file: await volume.open(name, 'write'), end, index }
}
