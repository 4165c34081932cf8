/**
 * Test harness for replication interop: our cores and real hypercore 11 cores, connected pairwise
 * over an in-memory pipe or TCP on 127.0.0.1, each side running its own secret-stream.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, connect as netConnect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import RealSecretStream from '@hyperswarm/secret-stream'
import { openMemoryStorage } from '@orchard/storage'
import { type Duplex, memoryPair, type SecretStream } from '@orchard/wire'
import { fromSocket, connect as tcpConnect } from '@orchard/wire/tcp'
import RealHypercore from 'hypercore'
import { toStreamx } from '../../../wire/test/helpers.ts'
import { Hypercore, type HypercoreOptions } from '../../src/index.ts'

export type Transport = 'memory' | 'tcp'
// biome-ignore lint/suspicious/noExplicitAny: the real hypercore is untyped
export type Real = any
export type AnyCore = { kind: 'ours'; core: Hypercore } | { kind: 'real'; core: Real }

const dir = mkdtempSync(join(tmpdir(), 'orchard-repl-'))
let n = 0
export function cleanup(): void {
  rmSync(dir, { recursive: true, force: true })
}

export async function oursCore(key?: Uint8Array | null, opts: HypercoreOptions = {}): Promise<AnyCore> {
  const core = key ? new Hypercore(openMemoryStorage(), key, opts) : new Hypercore(openMemoryStorage(), opts)
  await core.ready()
  return { kind: 'ours', core }
}

export async function realCore(key?: Uint8Array | null, opts: object = {}): Promise<AnyCore> {
  const core = new RealHypercore(join(dir, `real-${++n}`), key ? Buffer.from(key) : undefined, opts)
  await core.ready()
  return { kind: 'real', core }
}

export function keyOf(c: AnyCore): Uint8Array {
  return new Uint8Array(c.core.key)
}

/** Runs our side of a connection on a byte duplex. */
function oursOn(c: Hypercore, isInitiator: boolean, raw: Duplex): SecretStream {
  return c.replicate(isInitiator, { stream: raw, keepAlive: 0 })
}

/** Runs the real side of a connection on a raw stream (a streamx bridge or a net socket). */
function realOn(c: Real, isInitiator: boolean, raw: unknown): { destroy(): void } {
  const noise = new RealSecretStream(isInitiator, raw)
  c.replicate(noise, { keepAlive: false })
  return noise
}

function side(
  c: AnyCore,
  isInitiator: boolean,
  ours: () => Duplex,
  real: () => unknown
): { destroy(): void } {
  return c.kind === 'ours' ? oursOn(c.core, isInitiator, ours()) : realOn(c.core, isInitiator, real())
}

/** Connects two cores (`a` initiates); returns a function that tears the connection down. */
export async function link(a: AnyCore, b: AnyCore, transport: Transport): Promise<() => void> {
  const streams: Array<{ destroy(): void }> = []
  if (transport === 'memory') {
    const [x, y] = memoryPair()
    streams.push(
      side(
        a,
        true,
        () => x,
        () => toStreamx(x)
      )
    )
    streams.push(
      side(
        b,
        false,
        () => y,
        () => toStreamx(y)
      )
    )
    return () => {
      for (const s of streams) s.destroy()
    }
  }
  const server = createServer((socket) => {
    streams.push(
      side(
        b,
        false,
        () => fromSocket(socket),
        () => socket
      )
    )
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  if (a.kind === 'ours') {
    const duplex = await tcpConnect(port)
    streams.push(
      side(
        a,
        true,
        () => duplex,
        () => null
      )
    )
  } else {
    const socket = netConnect(port, '127.0.0.1')
    await new Promise((r) => socket.once('connect', r))
    streams.push(
      side(
        a,
        true,
        () => fromSocket(socket),
        () => socket
      )
    )
  }
  return () => {
    for (const s of streams) s.destroy()
    server.close()
  }
}

export async function append(c: AnyCore, list: Uint8Array[]): Promise<void> {
  if (c.kind === 'ours') await c.core.append(list)
  else await c.core.append(list.map((b) => Buffer.from(b)))
}

export async function get(c: AnyCore, index: number, timeout = 10_000): Promise<Uint8Array> {
  const v = await c.core.get(index, { timeout })
  return new Uint8Array(v as Uint8Array)
}

export async function has(c: AnyCore, start: number, end: number): Promise<boolean> {
  return c.core.has(start, end)
}

export async function downloadAll(c: AnyCore, end: number): Promise<void> {
  await c.core.download({ start: 0, end }).done()
}

export async function truncate(c: AnyCore, length: number): Promise<void> {
  await c.core.truncate(length)
}

export function length(c: AnyCore): number {
  return c.core.length
}

export function fork(c: AnyCore): number {
  return c.core.fork
}

export async function treeHash(c: AnyCore): Promise<Uint8Array> {
  return new Uint8Array(await c.core.treeHash())
}

/** Waits until `cond()` holds (polling), or throws after `ms`. */
export async function until(
  cond: () => boolean | Promise<boolean>,
  ms = 15_000,
  what = 'condition'
): Promise<void> {
  const end = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

export function block(i: number, salt = 0): Uint8Array {
  const b = new Uint8Array(16 + ((i * 31 + salt) % 200))
  b.fill((i + salt) & 0xff)
  b[0] = i & 0xff
  b[1] = (i >>> 8) & 0xff
  return b
}

export function blocks(from: number, count: number, salt = 0): Uint8Array[] {
  return Array.from({ length: count }, (_, k) => block(from + k, salt))
}

export async function close(...cores: AnyCore[]): Promise<void> {
  for (const c of cores) await c.core.close()
}
