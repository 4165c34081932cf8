/**
 * Test helpers: a relay on a loopback testnet, tabs (the isomorphic client over `ws`), real
 * hyperswarm peers, and waiting for events.
 */

import type { KeyPair } from '@orchard/crypto'
import type { WebSocketLike } from '@orchard/wire'
import WebSocket from 'ws'
import { RelayDHT } from '../src/client/index.ts'

/** Opens a tab session on the relay at `url`. */
export async function openTab(url: string, keyPair?: KeyPair): Promise<RelayDHT> {
  const ws = new WebSocket(url)
  const tab = new RelayDHT(ws as unknown as WebSocketLike, keyPair ? { keyPair } : {})
  await tab.ready()
  return tab
}

/** Resolves with the first `event` of `emitter` (its arguments). */
export function once<T extends unknown[]>(
  emitter: { once(event: string, fn: (...args: T) => void): unknown },
  event: string
): Promise<T> {
  return new Promise((resolve) => emitter.once(event, (...args: T) => resolve(args)))
}

/** Resolves with the next message of a message stream. */
export function nextData(stream: {
  once(event: 'data', fn: (d: Uint8Array) => void): unknown
}): Promise<Uint8Array> {
  return new Promise((resolve) => stream.once('data', (d: Uint8Array) => resolve(d)))
}

/** Bytes of a string. */
export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s)
}

/** Hex of bytes. */
export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
}

/** True when `a` and `b` hold the same bytes. */
export function equal(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0
}
