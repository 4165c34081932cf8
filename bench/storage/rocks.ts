/**
 * The reference: the real hypercore-storage (RocksDB through rocksdb-native), as hypercore 11 uses
 * it — blocks written through a core's write batch, read through read batches.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
// @ts-expect-error hypercore-storage ships no types
import CorestoreStorage from 'hypercore-storage'
import type { BenchTarget } from './workloads.ts'

interface CoreTx {
  putBlock(index: number, data: Uint8Array): void
  flush(): Promise<unknown>
}
interface CoreRx {
  getBlock(index: number): Promise<Uint8Array | null>
  tryFlush(): void
}
interface CoreStorage {
  write(): CoreTx
  read(): CoreRx
}

/** Opens a fresh RocksDB-backed corestore storage with one core; `close` removes it. */
export async function openRocksTarget(): Promise<{
  target: BenchTarget
  dir: string
  close(): Promise<void>
}> {
  const dir = mkdtempSync(join(tmpdir(), 'orchard-bench-rocks-'))
  const store = new CorestoreStorage(dir)
  const key = new Uint8Array(32).fill(1)
  const discoveryKey = new Uint8Array(32).fill(2)
  const core: CoreStorage = await store.createCore({ key, discoveryKey, manifest: null, keyPair: null })
  const target: BenchTarget = {
    append(start, values) {
      const tx = core.write()
      for (let i = 0; i < values.length; i++) tx.putBlock(start + i, values[i]!)
      return tx.flush().then(() => undefined)
    },
    get(index) {
      const rx = core.read()
      const p = rx.getBlock(index)
      rx.tryFlush()
      return p
    },
    getMany(indexes) {
      const rx = core.read()
      const ps = indexes.map((i) => rx.getBlock(i))
      rx.tryFlush()
      return Promise.all(ps)
    }
  }
  return {
    target,
    dir,
    async close() {
      await store.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
