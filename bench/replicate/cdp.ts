/**
 * A minimal Chrome DevTools Protocol client for the tab replication benches. Playwright enables
 * the Network domain on every page it drives, and Chromium then reports every WebSocket frame to
 * it, payload and all (base64): a tab downloading a gigabyte over a WebSocket pushed the same
 * gigabyte through DevTools, which delayed every CDP answer by tens of seconds and slowed the
 * browser. This client enables no domain, so it costs the tab nothing while it runs.
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
// `ws` is a dependency of the relay package, not of the bench: borrow it from there
const require = createRequire(join(here, '../../packages/relay/package.json'))
interface Socket {
  on(event: 'message', listener: (data: Buffer) => void): void
  on(event: 'close', listener: () => void): void
  once(event: 'open' | 'error', listener: (err?: Error) => void): void
  send(data: string): void
  close(): void
}
const { WebSocket } = require('ws') as {
  WebSocket: new (url: string, opts: { perMessageDeflate: boolean; maxPayload: number }) => Socket
}

interface Reply {
  id?: number
  result?: unknown
  error?: { message: string }
}

/** One CDP connection to the browser; `send` with a `sessionId` talks to an attached target. */
export interface CdpConnection {
  send<T = unknown>(method: string, params?: object, sessionId?: string): Promise<T>
  close(): void
}

export async function connectCdp(browserEndpoint: string): Promise<CdpConnection> {
  const socket = new WebSocket(browserEndpoint, { perMessageDeflate: false, maxPayload: 256 << 20 })
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve())
    socket.once('error', reject)
  })
  let nextId = 1
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void; method: string }>()
  socket.on('message', (data) => {
    const msg = JSON.parse(data.toString()) as Reply
    if (msg.id === undefined) return
    const p = pending.get(msg.id)
    if (!p) return
    pending.delete(msg.id)
    if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`))
    else p.resolve(msg.result)
  })
  socket.on('close', () => {
    for (const p of pending.values()) p.reject(new Error(`${p.method}: the DevTools connection closed`))
    pending.clear()
  })
  return {
    send<T>(method: string, params: object = {}, sessionId?: string) {
      const id = nextId++
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject, method })
        socket.send(JSON.stringify(sessionId ? { id, method, params, sessionId } : { id, method, params }))
      })
    },
    close() {
      socket.close()
    }
  }
}

/** `Runtime.evaluate` of `expression` in a page session, awaiting a promise; returns the value. */
export async function evaluate<T>(cdp: CdpConnection, sessionId: string, expression: string): Promise<T> {
  const reply = await cdp.send<{
    result: { value?: T }
    exceptionDetails?: { text: string; exception?: { description?: string } }
  }>('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }, sessionId)
  if (reply.exceptionDetails) {
    const { text, exception } = reply.exceptionDetails
    throw new Error(`in the tab: ${exception?.description ?? text}`)
  }
  return reply.result.value as T
}
