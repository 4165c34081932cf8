/**
 * Reading a log back: a resumable scanner that walks records from an offset, applies valid ones
 * and stops at the first record that is incomplete or fails its checks. It reads synchronously in
 * bounded steps, so an opener can yield between steps and a follower can catch up inside a read.
 */
import { type Crc32, checkRecord, decodeRecord, RECORD_HEADER_BYTES, type RecordVisitor } from './record.ts'
import type { LogFile } from './volume.ts'

/** Receives the ops of each valid record; `base` is the file offset of `buf[0]`. */
export interface ScanSink extends RecordVisitor {
  begin(buf: Uint8Array, base: number): void
}

/** Why a scan step stopped. */
export type ScanStatus =
  /** The step budget ran out; call `step` again. */
  | 'more'
  /** Reached the end of the file exactly at a record boundary. */
  | 'end'
  /** The bytes at `pos` are not a whole valid record (torn tail, in-progress write, or damage). */
  | 'stopped'
  /** A "moved" record: the log continues in generation `moved`. */
  | 'moved'

const CHUNK = 8 * 1024 * 1024

export class LogScanner {
  /** File offset of the next record to read. */
  pos: number
  /** Generation named by a "moved" record, once met. */
  moved: number | null = null
  #file: LogFile
  #crc32: Crc32
  #size: number
  #buf = new Uint8Array(0)
  #bufStart = 0
  #bufLen = 0

  constructor(file: LogFile, from: number, size: number, crc32: Crc32) {
    this.#file = file
    this.#crc32 = crc32
    this.pos = from
    this.#size = size
  }

  /** Scans about `budget` bytes of records into `sink`. */
  step(sink: ScanSink, budget = CHUNK): ScanStatus {
    const stopAt = this.pos + budget
    while (this.pos < this.#size) {
      if (this.pos >= stopAt) return 'more'
      if (!this.#ensure(this.pos, RECORD_HEADER_BYTES)) return 'stopped'
      let check = checkRecord(this.#buf, this.pos - this.#bufStart, this.#bufLen, this.#crc32)
      if (!check.ok && check.incomplete) {
        if (!this.#ensure(this.pos, check.need)) return 'stopped'
        check = checkRecord(this.#buf, this.pos - this.#bufStart, this.#bufLen, this.#crc32)
      }
      if (!check.ok) return 'stopped'
      sink.begin(this.#buf, this.#bufStart)
      const moved = decodeRecord(this.#buf, this.pos - this.#bufStart, check.length, sink)
      this.pos += check.length
      if (moved !== null) {
        this.moved = moved
        return 'moved'
      }
    }
    return 'end'
  }

  /**
   * Looks past a bad record at `from` for any later valid record, and returns the highest
   * "synced" offset such records claim (-1 if none). A claim above `from` means the bad record
   * had been flushed to disk: corruption rather than a torn tail.
   */
  laterSyncedClaim(from: number): number {
    let claim = -1
    for (let p = from + 1; p + RECORD_HEADER_BYTES <= this.#size; p++) {
      if (!this.#ensure(p, RECORD_HEADER_BYTES)) break
      let check = checkRecord(this.#buf, p - this.#bufStart, this.#bufLen, this.#crc32)
      if (!check.ok && check.incomplete) {
        if (p + check.need > this.#size || !this.#ensure(p, check.need)) continue
        check = checkRecord(this.#buf, p - this.#bufStart, this.#bufLen, this.#crc32)
      }
      if (check.ok && check.synced > claim) claim = check.synced
    }
    return claim
  }

  /** Makes file bytes `[pos, pos + n)` available in the buffer; false if the file ends first. */
  #ensure(pos: number, n: number): boolean {
    if (pos >= this.#bufStart && pos + n <= this.#bufStart + this.#bufLen) return true
    if (pos + n > this.#size) return false
    const want = Math.max(n, Math.min(CHUNK, this.#size - pos))
    if (this.#buf.length < want) this.#buf = new Uint8Array(want)
    this.#bufStart = pos
    this.#bufLen = this.#file.readAt(this.#buf, 0, want, pos)
    return this.#bufLen >= n
  }
}
