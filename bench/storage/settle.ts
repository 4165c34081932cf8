/** Flushes every file under `dir` to disk (untimed, between bench phases). */
import { closeSync, fsyncSync, openSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

export function flushDir(dir: string): Promise<void> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    try {
      if (statSync(path).isDirectory()) {
        void flushDir(path)
        continue
      }
      const fd = openSync(path, 'r')
      try {
        fsyncSync(fd)
      } finally {
        closeSync(fd)
      }
    } catch {
      // Files come and go (RocksDB compactions): skip what vanished.
    }
  }
  return Promise.resolve()
}
