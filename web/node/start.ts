/**
 * `pnpm start`: builds Orchard Notebook, starts a relay on an embedded loopback HyperDHT testnet
 * (or on the DHT `--bootstrap` names), serves the app on loopback and prints the URL to open, the
 * relay and the DHT bootstrap (for native peers: `web/node/cli.ts`). Beside the relay runs
 * Holepunch's blind peer, which keeps the notebooks the app hands it while every tab is closed.
 * SIGINT/SIGTERM stop it all cleanly (exit code 0).
 *
 * Ports are fixed by default — the app's origin (host and port) is where the browser keeps the
 * notebooks and the service worker, so the same URL finds them again next time.
 */
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { toHex } from '@orchard/codec'
import { RelayServer } from '@orchard/relay'
import { buildApp, DEFAULT_OUT_DIR } from './build.ts'
import { serveApp } from './serve.ts'

/** Where the blind peer keeps its data by default (ignored by git, kept across restarts). */
const DEFAULT_BLIND_PEER_DIR = fileURLToPath(new URL('../../.tmp/blind-peer', import.meta.url))

const HELP = `pnpm start — Orchard Notebook with a relay on a local DHT

Options (\`pnpm start --port 0\`):
  --port <n>          app HTTP port (default 4173; 0 = any free port)
  --relay-port <n>    relay WebSocket port (default 8787; 0 = any free port)
  --host <addr>       interface both bind (default 127.0.0.1)
  --bootstrap <list>  DHT bootstrap nodes host:port[,…] instead of the embedded loopback testnet
  --blind-peer <dir>  where the blind peer beside the relay keeps notebooks while every tab is
                      closed (default .tmp/blind-peer in the repository)
  --no-blind-peer     run no blind peer
  --no-build          serve the existing web/dist
  --verbose           print the relay's log lines
  -h, --help          show this help
`

function port(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${name} must be a port, got ${value}`)
  return n
}

function hostPort(node: string | { host: string; port: number }): string {
  return typeof node === 'string' ? node : `${node.host}:${node.port}`
}

async function main(): Promise<void> {
  // `pnpm start -- --port 0` hands the `--` through
  const args = process.argv.slice(2).filter((a, i) => !(i === 0 && a === '--'))
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      'relay-port': { type: 'string' },
      host: { type: 'string' },
      bootstrap: { type: 'string' },
      'blind-peer': { type: 'string' },
      'no-blind-peer': { type: 'boolean' },
      'no-build': { type: 'boolean' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' }
    },
    strict: true
  })
  if (values.help) return void process.stdout.write(HELP)
  const host = values.host ?? '127.0.0.1'
  const say = (line = '') => process.stdout.write(`${line}\n`)

  // handlers first: a signal while starting stops what has started
  const stops: (() => Promise<void>)[] = []
  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    say(`\n${signal}: stopping…`)
    let code = 0
    for (const s of stops.reverse()) {
      await s().catch((err: Error) => {
        process.stderr.write(`while stopping: ${err.message}\n`)
        code = 1
      })
    }
    process.exit(code)
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))

  const dir = DEFAULT_OUT_DIR
  if (!values['no-build']) {
    say('Building Orchard Notebook (vite build)…')
    await buildApp(dir)
  }
  const bootstrapList = values.bootstrap
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  const relay = await RelayServer.start({
    port: port('relay-port', values['relay-port'], 8787),
    host,
    ...(bootstrapList ? { bootstrap: bootstrapList } : {}),
    ...(values['no-blind-peer']
      ? {}
      : { blindPeer: { storage: values['blind-peer'] ?? DEFAULT_BLIND_PEER_DIR } }),
    ...(values.verbose ? { log: (r: Record<string, unknown>) => say(JSON.stringify(r)) } : {})
  })
  stops.push(() => relay.close())
  const bootstrap = relay.bootstrap.map(hostPort)
  const app = await serveApp({
    dir,
    host,
    port: port('port', values.port, 4173),
    relayPort: () => relay.address().port,
    bootstrap,
    blindPeers: () => (relay.blindPeer ? [toHex(relay.blindPeer.publicKey)] : [])
  })
  stops.push(() => app.close())
  if (stopping) return

  say()
  say('Orchard Notebook is running.')
  say(`  Open:          ${app.url}`)
  say(`  Relay:         ${relay.url}`)
  say(`  DHT bootstrap: ${bootstrap.join(',')}${relay.testnet ? ' (embedded loopback testnet)' : ''}`)
  say(`  Node peer:     node --import tsx web/node/cli.ts '<share link>'`)
  if (relay.blindPeer)
    say(
      `  Blind peer:    ${toHex(relay.blindPeer.publicKey)} (keeps notebooks in ${relay.blindPeer.storage})`
    )
  say()
  say('Press Ctrl+C to stop.')
}

main().catch((err: Error & { code?: string; port?: number }) => {
  const why =
    err.code === 'EADDRINUSE'
      ? `port ${err.port} is in use (another \`pnpm start\` or \`orchard-relay\`?); pick others with --port / --relay-port, 0 for any free one`
      : (err.stack ?? err.message)
  process.stderr.write(`pnpm start: ${why}\n`)
  process.exit(1)
})
