import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'
import WebSocket from 'ws'
import { exit, waitFor } from './cli.ts'

/**
 * The CLI's flags, spawned from the sources through `tsx` (in the workspace the packages export
 * their TypeScript sources). The compiled bin under plain `node`, installed from the packed
 * tarballs, and a start with no flags at all (port 8787, embedded testnet) are tested by
 * `e2e/packaging.test.ts` — the only test that takes port 8787.
 */
const pkg = join(dirname(fileURLToPath(import.meta.url)), '..')
const bin = join(pkg, 'src', 'bin.ts')

function run(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', bin, ...args], {
    cwd: pkg,
    stdio: ['ignore', 'pipe', 'pipe']
  })
}

it('orchard-relay --help prints the usage and exits 0', async () => {
  const child = run(['--help'])
  let out = ''
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString()
  })
  expect(await exit(child)).toBe(0)
  for (const flag of ['--port', '--host', '--bootstrap', '--max-sessions', '--blind-peer'])
    expect(out).toContain(flag)
})

it('an unknown flag is refused with exit code 2', async () => {
  const child = run(['--no-such-flag'])
  expect(await exit(child)).toBe(2)
})

it('--port 0 --max-sessions 1 --host 127.0.0.1 are honoured', async () => {
  const child = run(['--port', '0', '--max-sessions', '1', '--host', '127.0.0.1'])
  const lines: Record<string, unknown>[] = []
  const listening = await waitFor(child, lines, 'listening')
  expect(String(listening.url)).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/)
  expect(listening.url).not.toBe('ws://127.0.0.1:8787')
  const first = new WebSocket(String(listening.url))
  await new Promise((resolve) => first.once('message', resolve))
  const second = new WebSocket(String(listening.url))
  const [closeCode] = await new Promise<[number]>((resolve) => second.once('close', (c) => resolve([c])))
  expect(closeCode).toBe(4000 + 7) // TOO_MANY_SESSIONS: the limit of 1 holds
  first.close()
  const code = exit(child)
  child.kill('SIGTERM')
  expect(await code).toBe(0)
})

it('--blind-peer <dir> runs a blind peer whose key is logged, served in /health, and kept across restarts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'orchard-relay-bp-'))
  try {
    const keys: string[] = []
    for (let run_ = 0; run_ < 2; run_++) {
      const child = run(['--port', '0', '--blind-peer', dir])
      const lines: Record<string, unknown>[] = []
      const listening = await waitFor(child, lines, 'listening')
      expect(String(listening.blindPeer)).toMatch(/^[0-9a-f]{64}$/)
      const health = (await (
        await fetch(String(listening.url).replace('ws:', 'http:') + '/health')
      ).json()) as {
        blindPeer: string
      }
      expect(health.blindPeer).toBe(listening.blindPeer)
      keys.push(health.blindPeer)
      const code = exit(child)
      child.kill('SIGTERM')
      expect(await code).toBe(0)
    }
    expect(keys[1]).toBe(keys[0])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
