/**
 * A dedicated worker holding OPFS storages for the page's tests: `serveStorage` (the public way a
 * page reaches a worker's roots) plus a few test-only calls on the writer of a root (tag
 * `opfs-test`): its `stats` and `compact`, and `tearTail`, which leaves what a crash would.
 */
import { type LogStorage, openOpfsStorage, serveStorage } from '../../src/index.ts'
import { OPFS_ROOT_DIRECTORY, opfsDirectoryName } from '../../src/opfs.ts'

/** The writer of each root opened here, by name. */
const writers = new Map<string, LogStorage>()

serveStorage(async (name, opts) => {
  const st = await openOpfsStorage(name, opts)
  if (!st.readOnly) writers.set(name, st)
  return st
})

/**
 * Appends `bytes` to root `name`'s newest log file (closed), as a write a crash cut short would
 * leave; returns the file's size before.
 */
async function tearTail(name: string, bytes: Uint8Array): Promise<number> {
  const top = await (await navigator.storage.getDirectory()).getDirectoryHandle(OPFS_ROOT_DIRECTORY)
  const dir = await top.getDirectoryHandle(opfsDirectoryName(name))
  const logs: string[] = []
  for await (const key of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) {
    if (key.endsWith('.log')) logs.push(key)
  }
  const file = (await dir.getFileHandle(logs.sort().at(-1)!)) as FileSystemFileHandle & {
    createSyncAccessHandle(): Promise<{
      getSize(): number
      write(b: Uint8Array, o: { at: number }): number
      flush(): void
      close(): void
    }>
  }
  const handle = await file.createSyncAccessHandle()
  const size = handle.getSize()
  handle.write(bytes, { at: size })
  handle.flush()
  handle.close()
  return size
}

const extras: Record<string, (name: string, ...args: never[]) => unknown> = {
  stats: (name: string) => writers.get(name)!.stats(),
  compact: (name: string) => writers.get(name)!.compact(),
  tearTail
}

addEventListener(
  'message',
  async (e: MessageEvent<{ tag?: string; id: number; op: string; args: unknown[] }>) => {
    if (e.data?.tag !== 'opfs-test') return
    const { id, op, args } = e.data
    try {
      const value = await (extras[op] as (...a: unknown[]) => unknown)(...args)
      postMessage({ tag: 'opfs-test', id, ok: true, value })
    } catch (err) {
      postMessage({ tag: 'opfs-test', id, ok: false, error: String(err) })
    }
  }
)
