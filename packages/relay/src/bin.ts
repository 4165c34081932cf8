#!/usr/bin/env node
/**
 * `orchard-relay`: runs a relay node. With no `--bootstrap` it starts an embedded HyperDHT testnet on
 * loopback, so one command gives a working network for local development. Logs are JSON lines on
 * stdout; SIGTERM/SIGINT close gracefully (sessions unannounce, then close with `SHUTDOWN`).
 */
import { parseArgs } from 'node:util'
import { RelayServer } from './server.ts'

const HELP = `orchard-relay — a blind relay node: browser tabs borrow a real HyperDHT node

Usage: orchard-relay [options]

Options:
  --port <n>            HTTP/WebSocket port (default 8787; 0 = any free port)
  --host <addr>         interface to bind (default 127.0.0.1)
  --bootstrap <list>    DHT bootstrap nodes, host:port[,host:port...] (repeatable);
                        without it an embedded DHT testnet runs on loopback
  --max-sessions <n>    tab sessions held at once (default 1000)
  --blind-peer <dir>    also run Holepunch's blind-peer, storing in <dir>: it keeps
                        the cores tabs ask it to (@orchard/blind-peering) while they
                        are closed; its key is logged and served in /health
  -h, --help            show this help

Endpoints: ws://host:port/ (relay protocol v1), /health (JSON), /metrics (Prometheus)
`

function fail(message: string): never {
  process.stderr.write(`orchard-relay: ${message}\n\n${HELP}`)
  process.exit(2)
}

function int(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) fail(`--${name} must be a non-negative integer, got ${value}`)
  return n
}

function parseBootstrap(values: string[] | undefined): { host: string; port: number }[] | undefined {
  if (!values || values.length === 0) return undefined
  return values
    .flatMap((v) => v.split(','))
    .filter((v) => v.length > 0)
    .map((v) => {
      const at = v.lastIndexOf(':')
      const port = Number(v.slice(at + 1))
      if (at <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) fail(`bad bootstrap node ${v}`)
      return { host: v.slice(0, at), port }
    })
}

async function main(): Promise<void> {
  let args: ReturnType<typeof parse>
  try {
    args = parse()
  } catch (err) {
    fail((err as Error).message)
  }
  if (args.values.help) {
    process.stdout.write(HELP)
    return
  }
  const log = (record: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(record)}\n`)
  const bootstrap = parseBootstrap(args.values.bootstrap)
  const starting = RelayServer.start({
    port: int('port', args.values.port, 8787),
    host: args.values.host ?? '127.0.0.1',
    ...(bootstrap ? { bootstrap } : {}),
    limits: { maxSessions: int('max-sessions', args.values['max-sessions'], 1000) },
    ...(args.values['blind-peer'] ? { blindPeer: { storage: args.values['blind-peer'] } } : {}),
    log
  })
  // handlers first: a signal during start-up closes the relay as soon as it is up
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    log({ time: new Date().toISOString(), event: 'signal', signal })
    starting
      .then((relay) => relay.close())
      .then(
        () => process.exit(0),
        (err) => {
          log({ time: new Date().toISOString(), event: 'error', message: (err as Error).message })
          process.exit(1)
        }
      )
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
  await starting
}

function parse() {
  return parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      bootstrap: { type: 'string', multiple: true },
      'max-sessions': { type: 'string' },
      'blind-peer': { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    },
    strict: true,
    allowPositionals: false
  })
}

main().catch((err) => {
  process.stderr.write(`orchard-relay: ${(err as Error).stack ?? err}\n`)
  process.exit(1)
})
