/**
 * The Node writer of the big-core replication benches (`bench/suites/replicate.ts` and
 * `bench/suites/memory.ts`): our Hypercore on file storage in a temp directory, filled with
 * deterministic blocks appended in small batches (so the bench never holds the whole core in
 * memory), and a loopback WebSocket server that replicates it to every socket that connects —
 * a Chromium tab, or a Node reader in a child process (`node-reader.ts`).
 */
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Hypercore } from '@orchard/hypercore'
import { openFileStorage } from '@orchard/storage/fs'
import { fromWebSocket, type WebSocketLike } from '@orchard/wire'

const here = dirname(fileURLToPath(import.meta.url))
// `ws` is a dependency of the relay package, not of the bench: borrow it from there
const require = createRequire(join(here, '../../packages/relay/package.json'))

interface WsServer {
  on(event: 'connection', listener: (socket: WebSocketLike & { terminate(): void }) => void): void
  once(event: 'listening', listener: () => void): void
  address(): AddressInfo
  clients: Set<{ terminate(): void }>
  close(cb?: () => void): void
}
const { WebSocketServer } = require('ws') as {
  WebSocketServer: new (opts: { host: string; port: number; perMessageDeflate: boolean }) => WsServer
}

/** Blocks appended per `append` call while filling the writer. */
const APPEND_BATCH = 64

/**
 * Block `index` of the bench cores: `size` bytes, the index in the first four bytes and a
 * byte pattern that shifts with it, so every block differs and any reader can check one.
 */
export function benchBlock(index: number, size: number): Uint8Array {
  const block = new Uint8Array(size)
  for (let i = 4; i < size; i++) block[i] = (i + index * 7) & 0xff
  new DataView(block.buffer).setUint32(0, index)
  return block
}

/** A writer core on file storage, served over a loopback WebSocket. */
export interface SourceCore {
  core: Hypercore
  /** The core's key, hex. */
  key: string
  /** `ws://127.0.0.1:<port>`: every socket gets a replication stream of the core. */
  url: string
  close(): Promise<void>
}

/** Creates a writer in `dir` holding `blocks` blocks of `size` bytes and serves it. */
export async function openSourceCore(dir: string, blocks: number, size: number): Promise<SourceCore> {
  const core = new Hypercore(await openFileStorage(dir))
  await core.ready()
  // the pattern repeats every 256 blocks (7 is odd): build those once, stamp the index per block
  const patterns = Array.from({ length: 256 }, (_, i) => benchBlock(i, size))
  for (let start = 0; start < blocks; start += APPEND_BATCH) {
    const batch: Uint8Array[] = []
    for (let i = start; i < Math.min(blocks, start + APPEND_BATCH); i++) {
      const block = patterns[i & 0xff]!.slice()
      new DataView(block.buffer).setUint32(0, i)
      batch.push(block)
    }
    await core.append(batch)
  }
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false })
  wss.on('connection', (socket) => {
    core.replicate(false, { stream: fromWebSocket(socket), keepAlive: 0 })
  })
  await new Promise<void>((resolve) => wss.once('listening', resolve))
  return {
    core,
    key: Buffer.from(core.key!).toString('hex'),
    url: `ws://127.0.0.1:${wss.address().port}`,
    async close() {
      for (const client of wss.clients) client.terminate()
      await new Promise<void>((resolve) => wss.close(() => resolve()))
      await core.close()
    }
  }
}
