/**
 * Every transport adapter passes the one Duplex conformance suite: the in-memory pair, TCP on
 * loopback, and a WebSocket (Node's `ws`, client and server both wrapped by `fromWebSocket`).
 */
import type { AddressInfo } from 'node:net'
import { ready } from '@orchard/crypto'
import { beforeAll, describe, it } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import { type Duplex, fromWebSocket, memoryPair } from '../src/index.ts'
import { connect, listen } from '../src/tcp.ts'
import { type DuplexPair, duplexChecks } from './duplex-conformance.ts'

beforeAll(() => ready())

function duplexConformance(name: string, connect: () => Promise<DuplexPair>): void {
  describe(`Duplex conformance: ${name}`, () => {
    for (const [check, run] of Object.entries(duplexChecks)) it(check, () => run(connect))
  })
}

duplexConformance('memoryPair', async () => {
  const [a, b] = memoryPair()
  return { a, b, cleanup: () => {} }
})

duplexConformance('TCP on loopback', async () => {
  let accepted: ((d: Duplex) => void) | null = null
  const remote = new Promise<Duplex>((resolve) => {
    accepted = resolve
  })
  const server = await listen((d) => accepted!(d))
  const a = await connect(server.port)
  const b = await remote
  return { a, b, cleanup: () => new Promise<void>((resolve) => server.close(() => resolve())) }
})

duplexConformance('WebSocket (ws)', async () => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise((r) => wss.once('listening', r))
  const remote = new Promise<Duplex>((resolve) =>
    wss.once('connection', (socket) => resolve(fromWebSocket(socket as never)))
  )
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`)
  const a = fromWebSocket(client as never)
  const b = await remote
  await new Promise((r) => (client.readyState === WebSocket.OPEN ? r(null) : client.once('open', r)))
  return {
    a,
    b,
    cleanup: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate()
        wss.close(() => resolve())
      })
  }
})
