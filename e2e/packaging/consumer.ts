// The packaging test's strict consumer: type-checked against the installed tarballs' `.d.ts` with
// `moduleResolution: bundler` and with `nodenext`, `erasableSyntaxOnly`, `verbatimModuleSyntax` and
// `skipLibCheck: false`. It is never run.
import { backend, discoveryKey, type KeyPair, ready } from '@orchard/crypto'
import { Hypercore, type HypercoreOptions } from '@orchard/hypercore'
import { openMemoryStorage, type Storage } from '@orchard/storage'
import { openIdbStorage } from '@orchard/storage/idb'
import { openMemoryStorage as openMemory } from '@orchard/storage/memory'
import { openNamedStorage } from '@orchard/storage/named'
import { compileKernel, type KernelBuild } from '@orchard/wasm'
import { type Duplex, fromWebSocket, memoryPair, type SecretStream } from '@orchard/wire'

const enc = new TextEncoder()

export async function main(): Promise<string> {
  await ready()
  const which: 'wasm' | 'js' = backend()
  const opts: HypercoreOptions = { valueEncoding: 'utf-8' }
  const storage: Storage = await openMemoryStorage()
  const core = new Hypercore(storage, null, opts)
  await core.ready()
  const key: Uint8Array | null = core.key
  const keyPair: KeyPair | null = core.keyPair
  await core.append([enc.encode('a'), enc.encode('b')])
  const block = await core.get(0)
  const dk: Uint8Array = discoveryKey(key!)

  const clone = new Hypercore(openMemory(), key)
  const [a, b]: [Duplex, Duplex] = memoryPair()
  const stream: SecretStream = core.replicate(true, { stream: a })
  clone.replicate(false, { stream: b })
  await clone.download({ start: 0, end: core.length }).done()

  const snap = core.snapshot()
  const session = core.session({ writable: false })
  const build: KernelBuild = 'simd'
  const module: WebAssembly.Module = await compileKernel(build)

  const named = await openNamedStorage('my-app')
  const idb = (): Promise<Storage> => openIdbStorage('db')
  const ws = (socket: WebSocket) => fromWebSocket(socket)
  await Promise.all([snap.close(), session.close(), clone.close(), core.close(), named.close()])
  stream.destroy()
  return `${which} ${String(block)} ${dk.length} ${keyPair !== null} ${module !== null} ${typeof idb} ${typeof ws}`
}
