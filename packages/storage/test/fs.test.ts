import {
  appendFileSync,
  closeSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
  writeSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { acquireFileLock, openFileStorage } from '../src/fs.ts'
import { type BatchOp, StorageArgumentError, StorageCorruptError, StorageLockedError } from '../src/index.ts'
import { defineConformanceSuite } from './conformance.ts'
import { bundleFixture, removeFixtureBundles, runChild } from './fixtures/child.ts'

const base = mkdtempSync(join(tmpdir(), 'orchard-storage-fs-'))
afterAll(async () => {
  rmSync(base, { recursive: true, force: true })
  await removeFixtureBundles()
})
let dirs = 0
const freshDir = () => join(base, `store-${++dirs}`)
const fixture = (name: string) => bundleFixture(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)))

defineConformanceSuite('files', { open: (name, opts) => openFileStorage(join(base, name), opts) })

const u8 = (...b: number[]) => new Uint8Array(b)
const put = (k: number, v: Uint8Array): BatchOp => ({ type: 'put', store: 'blocks', key: u8(k), value: v })
const logFile = (dir: string) => join(dir, readdirSync(dir).find((f) => f.endsWith('.log'))!)

describe('file storage: recovery', () => {
  it('cuts a torn tail off and keeps every whole batch', async () => {
    const dir = freshDir()
    const st = await openFileStorage(dir)
    await st.write([put(1, new Uint8Array(300).fill(1)), put(2, u8(2))])
    await st.write([put(3, new Uint8Array(5000).fill(3))])
    await st.close()
    const file = logFile(dir)
    const whole = statSync(file).size
    // Append a third batch, then tear it at every kind of place: header, payload, last byte.
    const withThird = await openFileStorage(dir)
    await withThird.write([put(4, new Uint8Array(700).fill(4)), { type: 'del', store: 'blocks', key: u8(1) }])
    await withThird.close()
    const full = readFileSync(file)
    const third = full.length - whole
    for (const cut of [1, 10, 16, 17, third - 1]) {
      writeFileSync(file, full.subarray(0, whole + cut))
      const re = await openFileStorage(dir)
      expect(await re.get('blocks', u8(4))).toBeNull()
      expect(await re.get('blocks', u8(1))).toEqual(new Uint8Array(300).fill(1))
      expect(await re.get('blocks', u8(3))).toEqual(new Uint8Array(5000).fill(3))
      await re.close()
      expect(statSync(file).size).toBe(whole)
    }
    // Garbage instead of a record at the tail is cut too, and writing resumes after it.
    appendFileSync(file, new Uint8Array(100).fill(0xab))
    const re = await openFileStorage(dir)
    await re.write([put(5, u8(5))])
    await re.close()
    const last = await openFileStorage(dir)
    expect(await last.get('blocks', u8(5))).toEqual(u8(5))
    expect(await last.get('blocks', u8(2))).toEqual(u8(2))
    await last.destroy()
  })

  it('refuses to open, rather than drop data, when a flushed record is damaged', async () => {
    const dir = freshDir()
    const st = await openFileStorage(dir)
    await st.write([put(1, new Uint8Array(200).fill(1))])
    await st.write([put(2, new Uint8Array(200).fill(2))], { durability: 'strict' })
    await st.write([put(3, new Uint8Array(200).fill(3))])
    await st.close()
    const file = logFile(dir)
    const bytes = readFileSync(file)
    // Flip a byte inside the first record's value: later records vouch it had been flushed.
    const damaged = Uint8Array.from(bytes)
    damaged[16 + 16 + 40] = damaged[16 + 16 + 40]! ^ 0xff
    writeFileSync(file, damaged)
    await expect(openFileStorage(dir)).rejects.toBeInstanceOf(StorageCorruptError)
    // The failed open took nothing: the bytes are as they were, the lock is free.
    expect(readFileSync(file)).toEqual(Buffer.from(damaged))
    writeFileSync(file, bytes)
    const ok = await openFileStorage(dir)
    expect(await ok.get('blocks', u8(1))).toEqual(new Uint8Array(200).fill(1))
    await ok.destroy()
  })

  it('rejects a file that is not a storage log', async () => {
    const dir = freshDir()
    const st = await openFileStorage(dir)
    await st.close()
    writeFileSync(logFile(dir), 'definitely not a log file')
    await expect(openFileStorage(dir)).rejects.toBeInstanceOf(StorageCorruptError)
  })

  it('ignores an unfinished compaction and an older generation left by a crash', async () => {
    const dir = freshDir()
    const st = await openFileStorage(dir)
    await st.write([put(1, u8(1))])
    await st.close()
    // An interrupted compaction: a half-written next generation.
    writeFileSync(join(dir, 'data.000002.log.tmp'), new Uint8Array(1000).fill(7))
    const re = await openFileStorage(dir)
    expect(await re.get('blocks', u8(1))).toEqual(u8(1))
    await re.write([put(2, u8(2))])
    await re.compact()
    expect(re.stats().generation).toBe(2)
    await re.close()
    expect(readdirSync(dir).sort()).toEqual(['data.000002.log'])
    // A crash after the rename but before the old log was removed: the newer one wins.
    writeFileSync(join(dir, 'data.000001.log'), readFileSync(join(dir, 'data.000002.log')))
    const again = await openFileStorage(dir)
    expect(again.stats().generation).toBe(2)
    expect(await again.getMany('blocks', [u8(1), u8(2)])).toEqual([u8(1), u8(2)])
    await again.close()
    expect(readdirSync(dir).sort()).toEqual(['data.000002.log'])
  })
})

describe('file storage: limits', () => {
  it('refuses a batch larger than one log record can hold, writing nothing', async () => {
    const dir = freshDir()
    const st = await openFileStorage(dir)
    const chunk = new Uint8Array(64 * 1024 * 1024)
    const ops: BatchOp[] = Array.from({ length: 33 }, (_, i) => put(i, chunk))
    await expect(st.write(ops)).rejects.toBeInstanceOf(StorageArgumentError)
    expect(st.stats().keys).toBe(0)
    await st.write([put(1, u8(1))])
    expect(await st.get('blocks', u8(1))).toEqual(u8(1))
    await st.destroy()
  })
})

describe('file storage: compaction', () => {
  it('compacts a mostly dead log, keeps the data, and lets writes queue meanwhile', async () => {
    const dir = freshDir()
    const st = await openFileStorage(dir, { compactMinBytes: 2 ** 40 })
    for (let round = 0; round < 20; round++) {
      const ops: BatchOp[] = []
      for (let k = 0; k < 50; k++) ops.push(put(k, new Uint8Array(1000).fill(round)))
      await st.write(ops)
    }
    await st.write([{ type: 'delRange', store: 'blocks', gte: u8(40), lt: u8(50) }])
    const before = st.stats()
    expect(before.logBytes).toBeGreaterThan(900_000)
    const compaction = st.compact()
    // Issued during the compaction: applied after it, in order.
    const during = [st.write([put(1, u8(0xaa))]), st.write([put(1, u8(0xbb)), put(60, u8(60))])]
    await compaction
    await Promise.all(during)
    const after = st.stats()
    expect(after.generation).toBe(before.generation + 1)
    expect(after.logBytes).toBeLessThan(60_000)
    expect(after.keys).toBe(41)
    expect(await st.get('blocks', u8(1))).toEqual(u8(0xbb))
    expect(await st.get('blocks', u8(2))).toEqual(new Uint8Array(1000).fill(19))
    expect(await st.get('blocks', u8(45))).toBeNull()
    await st.close()
    const re = await openFileStorage(dir)
    expect(re.stats().keys).toBe(41)
    expect(await re.get('blocks', u8(39))).toEqual(new Uint8Array(1000).fill(19))
    expect(await re.get('blocks', u8(60))).toEqual(u8(60))
    await re.destroy()
  })

  it('compacts on its own once half the log is dead, and followers move along', async () => {
    const dir = freshDir()
    const st = await openFileStorage(dir, { compactMinBytes: 64 * 1024 })
    const follower = await openFileStorage(dir, { lock: 'readonly-if-locked' })
    expect(follower.readOnly).toBe(true)
    for (let i = 0; i < 200; i++) await st.write([put(i % 5, new Uint8Array(2000).fill(i & 0xff))])
    // Let the scheduled compaction run.
    for (let tries = 0; tries < 100 && st.stats().generation === 1; tries++)
      await new Promise((r) => setTimeout(r, 10))
    expect(st.stats().generation).toBeGreaterThan(1)
    expect(st.stats().logBytes).toBeLessThan(200 * 2000)
    await st.write([put(9, u8(9))])
    expect(await follower.get('blocks', u8(9))).toEqual(u8(9))
    expect(await follower.get('blocks', u8(4))).toEqual(new Uint8Array(2000).fill(199))
    expect(follower.stats().generation).toBe(st.stats().generation)
    await follower.close()
    await st.destroy()
  })
})

describe('file storage: lock file', () => {
  it('refuses a live writer in another process, and takes over after it is killed', async () => {
    const dir = freshDir()
    const child = runChild(await fixture('lock-holder.ts'), [dir])
    await child.waitFor('ready')
    await expect(openFileStorage(dir)).rejects.toBeInstanceOf(StorageLockedError)
    const follower = await openFileStorage(dir, { lock: 'readonly-if-locked' })
    expect(follower.readOnly).toBe(true)
    expect(await follower.get('meta', u8(1))).toEqual(u8(child.proc.pid! & 0xff))
    await follower.close()
    child.proc.kill('SIGKILL')
    await child.exited
    // The lock file is still there, naming a dead process: it is stale.
    expect(readFileSync(join(dir, 'LOCK'), 'utf8')).toContain(`"pid":${child.proc.pid}`)
    const st = await openFileStorage(dir)
    expect(st.readOnly).toBe(false)
    expect(await st.get('meta', u8(1))).toEqual(u8(child.proc.pid! & 0xff))
    await st.destroy()
  })

  it('works on its own: one holder per path, released on demand', async () => {
    const path = join(base, 'standalone.lock')
    const a = acquireFileLock(path)
    expect(a).not.toBeNull()
    expect(acquireFileLock(path)).toBeNull()
    await a!.release()
    await a!.release()
    const b = acquireFileLock(path)
    expect(b).not.toBeNull()
    await b!.release()
    expect(readdirSync(base)).not.toContain('standalone.lock')
  })

  it('treats an unreadable lock file as held while fresh, and as stale once old', async () => {
    const path = join(base, 'garbled.lock')
    const fd = openSync(path, 'w')
    writeSync(fd, 'garbage')
    closeSync(fd)
    expect(acquireFileLock(path)).toBeNull()
    const old = (Date.now() - 60_000) / 1000
    utimesSync(path, old, old)
    const lock = acquireFileLock(path)
    expect(lock).not.toBeNull()
    await lock!.release()
  })
})

describe('file storage: out of space', () => {
  it('refuses the batch that does not fit with StorageQuotaError and keeps everything before it', async () => {
    const dir = freshDir()
    // A file size limit of 2048 blocks (1 MiB or 2 MiB depending on the shell's block size).
    const child = runChild(await fixture('quota-writer.ts'), [dir], { fileSizeLimitBlocks: 2048 })
    const { code } = await child.exited
    expect(code).toBe(0)
    const refused = child.lines.find((l) => l.startsWith('refused'))!
    expect(refused).toMatch(/^refused \d+ StorageQuotaError true$/)
    const acks = child.lines.filter((l) => l.startsWith('ack ')).map((l) => Number(l.slice(4)))
    const lastAck = acks[acks.length - 1]!
    expect(acks.length).toBeGreaterThan(3)
    expect(child.lines).toContain(`head ${lastAck} refused-present false`)
    expect(child.lines).toContain('small-write ok')
    expect(child.lines).toContain('closed')
    const st = await openFileStorage(dir)
    for (const n of acks) expect(await st.get('blocks', u8(n))).toEqual(new Uint8Array(64 * 1024).fill(n))
    expect(await st.get('blocks', u8(lastAck + 1))).toBeNull()
    expect(await st.get('meta', u8(1))).toEqual(u8(7))
    await st.destroy()
  })
})
