/**
 * `pnpm start`'s relay runs its own loopback testnet, and a native app on the same machine joins it
 * as hyperswarm does by default — in its own process, with a firewalled DHT node. Two firewalled
 * nodes in different processes on loopback do not holepunch to each other, so the relay's nodes say
 * they are reachable there (they are). These tests run the native peer in a child process, as a
 * user's app would be, and connect it to a tab announced through the relay, to the relay's blind
 * peer, and the other way round.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { keyPair, randomBytes, ready } from '@orchard/crypto'
import type { SecretStream } from '@orchard/wire'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RelayServer } from '../src/index.ts'
import { hex, nextData, openTab, utf8 } from './helpers.ts'

const NATIVE_PEER = fileURLToPath(new URL('./fixtures/native-peer.mjs', import.meta.url))

let relay: RelayServer
let storage: string

beforeAll(async () => {
  await ready()
  storage = mkdtempSync(join(tmpdir(), 'orchard-relay-native-process-'))
  relay = await RelayServer.start({ blindPeer: { storage } })
})

afterAll(async () => {
  await relay?.close()
  rmSync(storage, { recursive: true, force: true })
})

/** A native peer in its own process, and the lines it prints. */
class NativeProcess {
  readonly child: ChildProcessWithoutNullStreams
  readonly lines: string[] = []
  #waiters: (() => void)[] = []

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [NATIVE_PEER, JSON.stringify(relay.bootstrap), ...args])
    let rest = ''
    this.child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n')
      rest = parts.pop()!
      this.lines.push(...parts)
      for (const wake of this.#waiters.splice(0)) wake()
    })
  }

  /** The first printed line starting with `prefix`, without it (waits for it). */
  async line(prefix: string): Promise<string> {
    for (;;) {
      const found = this.lines.find((l) => l.startsWith(prefix))
      if (found !== undefined) return found.slice(prefix.length)
      await new Promise<void>((resolve) => this.#waiters.push(resolve))
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return
    const exited = new Promise((resolve) => this.child.once('exit', resolve))
    this.child.kill('SIGTERM')
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 3000)
    await exited
    clearTimeout(killer)
  }
}

describe('a native peer in another process, started as hyperswarm starts, on the embedded testnet', () => {
  it("the relay's DHT node says it is reachable on its own loopback testnet", () => {
    expect(relay.dht.firewalled).toBe(false)
  })

  it('joins a topic a tab announced through the relay: they connect, with the right keys, and talk both ways', async () => {
    const kp = keyPair()
    const tab = await openTab(relay.url, kp)
    const incoming: SecretStream[] = []
    let arrived = () => {}
    tab
      .createServer({}, (conn) => {
        incoming.push(conn)
        arrived()
      })
      .listen(kp)
    const topic = randomBytes(32)
    await tab.announce(topic, kp)
    try {
      // Holepunching between two firewalled loopback processes failed about one time in six:
      // several fresh native processes in turn, each must connect.
      for (let i = 0; i < 4; i++) {
        const native = new NativeProcess(['join', hex(topic)])
        try {
          while (incoming.length === i) await new Promise<void>((resolve) => (arrived = resolve))
          const conn = incoming[i]!
          const fromNative = nextData(conn)
          expect(await native.line('CONNECTED ')).toBe(hex(kp.publicKey))
          expect(new TextDecoder().decode(await fromNative)).toBe('hello from native')
          conn.write(utf8(`hello from the tab, ${i}`))
          expect(await native.line('DATA ')).toBe(`hello from the tab, ${i}`)
        } finally {
          await native.stop()
        }
      }
    } finally {
      await tab.destroy()
    }
  })

  it('is dialled by a tab through the relay', async () => {
    const native = new NativeProcess(['listen'])
    const tab = await openTab(relay.url)
    try {
      const key = await native.line('KEY ')
      const conn = tab.connect(Buffer.from(key, 'hex'))
      const fromNative = nextData(conn)
      expect(await conn.opened).toBe(true)
      expect(new TextDecoder().decode(await fromNative)).toBe('hello from native')
      conn.write(utf8('hello from the tab'))
      expect(await native.line('DATA ')).toBe('hello from the tab')
    } finally {
      await native.stop()
      await tab.destroy()
    }
  })

  it("reaches the relay's blind peer by its key", async () => {
    const blindKey = hex(relay.blindPeer!.publicKey)
    const native = new NativeProcess(['dial', blindKey])
    try {
      const outcome = await Promise.race([
        native.line('CONNECTED '),
        native.line('ERROR ').then((e) => `error ${e}`)
      ])
      expect(outcome).toBe(blindKey)
    } finally {
      await native.stop()
    }
  })
})
