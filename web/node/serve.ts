/**
 * Serves the built app over HTTP, as any static host would, plus `/config.json`: where the relay
 * is (its WebSocket URL on the host name the browser used, so the app works on `localhost`,
 * `127.0.0.1` or a LAN address alike), the DHT bootstrap, for native peers, and the blind peers
 * that keep notebooks while every tab is closed.
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, sep } from 'node:path'
import type { AppConfig } from '../src/config.ts'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png'
}

/** Options of {@link serveApp}. */
export interface ServeAppOptions {
  /** The build's folder (`vite build` output). */
  dir: string
  /** The relay's port; the config names it on the host the browser asked for. */
  relayPort: () => number
  /** DHT bootstrap nodes (`host:port`), told to native peers through the config. */
  bootstrap: string[]
  /** Blind peers' public keys (hex) the app asks to keep its notebooks (default none). */
  blindPeers?: () => string[]
  /** Interface to bind (default `127.0.0.1`). */
  host?: string
  /** Port (default 0: any free one). */
  port?: number
}

/** A running app server. */
export interface AppServer {
  /** `http://host:port/`. */
  url: string
  server: Server
  close(): Promise<void>
}

/** The config a browser that reached us as `req` gets. */
function configFor(req: IncomingMessage, opts: ServeAppOptions): AppConfig {
  const hostHeader = req.headers.host ?? '127.0.0.1'
  const hostname = new URL(`http://${hostHeader}`).hostname
  const blindPeers = opts.blindPeers?.() ?? []
  return {
    relay: `ws://${hostname}:${opts.relayPort()}`,
    bootstrap: opts.bootstrap,
    ...(blindPeers.length > 0 ? { blindPeers } : {})
  }
}

/** Starts serving `opts.dir` (see the module doc). */
export async function serveApp(opts: ServeAppOptions): Promise<AppServer> {
  const root = normalize(opts.dir)
  if (!existsSync(join(root, 'index.html'))) throw new Error(`${root} holds no built app (run vite build)`)
  const server = createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
    if (pathname === '/config.json') {
      res.writeHead(200, { 'content-type': TYPES['.json']!, 'cache-control': 'no-store' })
      return void res.end(JSON.stringify(configFor(req, opts)))
    }
    const file = normalize(join(root, pathname === '/' ? 'index.html' : pathname))
    if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' })
      return void res.end('not found')
    }
    // hashed assets never change; everything else is revalidated (the service worker has its copy)
    const immutable = pathname.startsWith('/assets/')
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache'
    })
    res.end(readFileSync(file))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve())
  })
  const { address, port } = server.address() as AddressInfo
  const host = address.includes(':') ? `[${address}]` : address
  return {
    url: `http://${host}:${port}/`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
