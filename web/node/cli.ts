/**
 * `web/node/cli.ts`: a native peer of Orchard Notebook — the real hyperswarm, corestore, hyperbee
 * and hyperdrive in Node, on the same HyperDHT as the relay the tabs use. It opens a notebook from
 * its share link, prints its notes and photos, follows it (`--watch`), and writes to notebooks it
 * created itself (`--create`, `--add`).
 *
 *   node --import tsx web/node/cli.ts '<share link>'
 *
 * The DHT to join is asked from the app that made the link (`<origin>/config.json`, which
 * `pnpm start` serves), or given with `--bootstrap host:port`.
 */
import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { basename, join } from 'node:path'
import { parseArgs } from 'node:util'
import { keyFromLink, shareLink, toHex } from '../src/link.ts'
import {
  addNote,
  addPhoto,
  Corestore,
  createNotebook,
  HyperDHT,
  Hyperswarm,
  type NodeNotebook,
  type NotebookReadout,
  openNotebook,
  readNotebook,
  type Untyped
} from './notebook-node.ts'

const HELP = `Orchard Notebook — a native peer (real hyperswarm + corestore + hyperbee + hyperdrive)

Usage:
  cli.ts <share link>                   sync the notebook, print its notes and photos, exit
  cli.ts <share link> --watch           keep following it (and serving it to others), print changes
  cli.ts <share link> --add "text"      add a note (only to a notebook this peer created)
  cli.ts --create "Title"               create a notebook here, print its link, serve it

Options:
  --photo <file>        with --add or --create: add this file as a photo too
  --bootstrap <list>    DHT bootstrap nodes host:port[,…] (default: the app's /config.json)
  --app <url>           the app's URL, for --create's link and its config (default http://127.0.0.1:4173/)
  --storage <dir>       this peer's store (default ~/.orchard-notebook)
  --timeout <ms>        how long to wait for peers (default 30000)
  --json                print the notebook as JSON
  -h, --help            show this help
`

const MIME: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.svg': 'image/svg+xml'
}

function fail(message: string): never {
  process.stderr.write(`cli: ${message}\n`)
  process.exit(1)
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The DHT's bootstrap nodes: given, or from the app's `/config.json`. */
async function bootstrapFor(given: string | undefined, app: string): Promise<string[]> {
  if (given) return given.split(',').map((s) => s.trim())
  const url = new URL('config.json', app)
  let config: { bootstrap?: string[] }
  try {
    config = (await (await fetch(url)).json()) as { bootstrap?: string[] }
  } catch (err) {
    fail(`could not read ${url} (${(err as Error).message}); is \`pnpm start\` running? or pass --bootstrap`)
  }
  if (!config.bootstrap?.length) fail(`${url} names no DHT bootstrap; pass --bootstrap`)
  return config.bootstrap
}

function isLoopback(node: string): boolean {
  const host = node.slice(0, node.lastIndexOf(':'))
  return host === 'localhost' || host.startsWith('127.') || host === '[::1]'
}

function print(readout: NotebookReadout, json: boolean): void {
  if (json) return void process.stdout.write(`${JSON.stringify(readout)}\n`)
  const lines = [
    `${readout.title ?? '(no peer had this notebook)'}  —  ${readout.writable ? 'you write it' : 'read-only'}`,
    `Notes (${readout.notes.length}):`,
    ...readout.notes.map(
      (n) => `  • ${new Date(n.updated).toLocaleString()}  ${n.text.replace(/\n/g, '\n    ')}`
    ),
    `Photos (${readout.photos.length}):`,
    ...readout.photos.map((p) => `  • ${p.name}  (${p.type}, ${p.size} bytes)`)
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
}

/** Waits until some peer reports holding the core's whole length (or `timeout` passes). */
async function uploaded(core: Untyped, timeout: number): Promise<boolean> {
  const until = Date.now() + timeout
  while (Date.now() < until) {
    if (core.peers.some((p: Untyped) => p.remoteLength >= core.length)) return true
    await sleep(100)
  }
  return false
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: {
      create: { type: 'string' },
      add: { type: 'string' },
      photo: { type: 'string' },
      watch: { type: 'boolean' },
      bootstrap: { type: 'string' },
      app: { type: 'string' },
      storage: { type: 'string' },
      timeout: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' }
    },
    allowPositionals: true,
    strict: true
  })
  if (values.help || (positionals.length === 0 && values.create === undefined)) {
    return void process.stdout.write(HELP)
  }
  const link = positionals[0]
  const key = link ? keyFromLink(link) : null
  if (link && !key) fail(`not a notebook link: ${link}`)
  const linkOrigin = link && /^https?:\/\//.test(link) ? link : null
  const app = values.app ?? linkOrigin ?? 'http://127.0.0.1:4173/'
  const timeout = Number(values.timeout ?? 30_000)
  const dir = values.storage ?? join(homedir(), '.orchard-notebook')
  const bootstrap = await bootstrapFor(values.bootstrap, app)

  const store: Untyped = new Corestore(dir)
  await store.ready()
  // On a loopback DHT (`pnpm start`'s testnet) every peer is on this host: bind loopback, and say we
  // are reachable there (we are). Two firewalled nodes in different processes on loopback holepunch
  // to each other only some of the time, while a reachable side is dialled directly — both ways. (The
  // relay's nodes say the same on a testnet they started, not on one given by `--bootstrap`.)
  const loopback = bootstrap.every(isLoopback)
  const dht = new HyperDHT({
    bootstrap,
    ...(loopback ? { host: '127.0.0.1', firewalled: false, ephemeral: true } : {})
  })
  const swarm: Untyped = new Hyperswarm({ dht })
  swarm.on('connection', (conn: Untyped) => {
    conn.on('error', () => {}) // a peer that goes away resets its stream
    store.replicate(conn)
  })

  let nb: NodeNotebook
  if (values.create !== undefined) {
    nb = await createNotebook(store, dir, values.create)
    process.stdout.write(`Created "${values.create}": ${shareLink(app, nb.key)}\n`)
  } else {
    nb = await openNotebook(store, dir, key!)
  }

  let closing = false
  const close = async (code: number) => {
    if (closing) return
    closing = true
    await swarm.destroy()
    await nb.close()
    await store.close()
    process.exit(code)
  }
  process.on('SIGINT', () => close(0))
  process.on('SIGTERM', () => close(0))

  // find peers; reads wait until the first lookup and its connections are done
  const found = store.findingPeers()
  swarm.join(nb.bee.discoveryKey)
  swarm.flush().then(found, found)

  if (!nb.writable) {
    const until = Date.now() + timeout
    while (nb.bee.core.length === 0 && Date.now() < until) {
      await nb.bee.core.update({ wait: true }).catch(() => false)
      if (nb.bee.core.length === 0) await sleep(250)
    }
    if (nb.bee.core.length === 0) {
      process.stderr.write(`cli: no peer with notebook ${toHex(nb.key)} was found in ${timeout} ms\n`)
      return close(2)
    }
  }

  if (values.add !== undefined) {
    await addNote(nb, values.add)
    process.stdout.write('Note added.\n')
  }
  if (values.photo) {
    const name = basename(values.photo)
    const type = MIME[name.slice(name.lastIndexOf('.')).toLowerCase()] ?? 'application/octet-stream'
    await addPhoto(nb, name, type, readFileSync(values.photo))
    process.stdout.write(`Photo ${name} added.\n`)
  }

  const read = () => readNotebook(store, nb, { timeout, hashPhotos: values.json === true })
  print(await read(), values.json === true)

  if (values.add !== undefined && !values.watch) {
    const ok = await uploaded(nb.bee.core, timeout)
    process.stdout.write(
      ok
        ? 'A peer has it.\n'
        : 'No peer took it yet: it syncs when this peer and a reader are online together.\n'
    )
  }
  if (!values.watch && values.create === undefined) return close(0)

  process.stdout.write('Following the notebook (and serving it to other peers); Ctrl+C to stop.\n')
  let again = false
  let printing: Promise<void> | null = null
  const reprint = () => {
    if (printing) {
      again = true
      return
    }
    printing = read()
      .then((r) => print(r, values.json === true))
      .catch((err: Error) => {
        process.stderr.write(`cli: ${err.message}\n`)
      })
      .finally(() => {
        printing = null
        if (again) {
          again = false
          reprint()
        }
      })
  }
  nb.bee.core.on('append', reprint)
  if (nb.drive) nb.drive.core.on('append', reprint)
}

main().catch((err: Error) => fail(err.stack ?? err.message))
