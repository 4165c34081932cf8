/**
 * The Node side of the swarm's network-namespace tests and of `pnpm bench webrtc`, run inside the
 * namespace: an Orchard relay node with its embedded HyperDHT testnet on the namespace's loopback,
 * and an HTTP server for the bundled page. Prints `listening <httpPort> <relayPort>` once up.
 * Commands on stdin, one a line: `stop-relay` closes the relay (and its testnet; the page server
 * stays) and answers `relay stopped`. Exits on SIGTERM.
 *
 * Usage: node --import tsx relay-child.ts <bundle.js>
 */
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createInterface } from 'node:readline'
import { bundlePage } from '../../../../test/setup/bundle-page.ts'
import { RelayServer } from '../../../relay/src/index.ts'

const bundle = readFileSync(process.argv[2]!)
const pages = createServer(bundlePage(bundle, 'orchard swarm webrtc'))

const relay = await RelayServer.start({ host: '127.0.0.1', port: 0 })
pages.listen(0, '127.0.0.1', () => {
  const port = (pages.address() as AddressInfo).port
  process.stdout.write(`listening ${port} ${relay.address().port}\n`)
})

createInterface({ input: process.stdin }).on('line', async (line) => {
  if (line.trim() === 'stop-relay') {
    await relay.close()
    process.stdout.write('relay stopped\n')
  }
})

process.on('SIGTERM', async () => {
  pages.closeAllConnections()
  await relay.close().catch(() => {})
  pages.close(() => process.exit(0))
})
