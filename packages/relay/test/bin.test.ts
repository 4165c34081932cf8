import { type ChildProcess, spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'
import WebSocket from 'ws'

/**
 * The CLI, spawned as a user runs it. Sources run through `tsx` (a clean checkout has no build
 * output of this package until `pnpm build`); the compiled `dist/bin.js` is the same module.
 */
const pkg = join(dirname(fileURLToPath(import.meta.url)), '..')
const bin = join(pkg, 'src', 'bin.ts')

function run(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', bin, ...args], {
    cwd: pkg,
    stdio: ['ignore', 'pipe', 'pipe']
  })
}

function exit(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)))
}

/** Reads JSON log lines from the child's stdout until one matches. */
function waitFor(
  child: ChildProcess,
  lines: Record<string, unknown>[],
  event: string
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let buf = ''
    const check = () => {
      const hit = lines.find((l) => l.event === event)
      if (hit) resolve(hit)
    }
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString()
      let nl = buf.indexOf('\n')
      while (nl !== -1) {
        try {
          lines.push(JSON.parse(buf.slice(0, nl)))
        } catch {}
        buf = buf.slice(nl + 1)
        nl = buf.indexOf('\n')
      }
      check()
    })
    child.on('exit', () => reject(new Error(`exited before ${event}: ${JSON.stringify(lines)}`)))
  })
}

it('orchard-relay --help prints the usage and exits 0', async () => {
  const child = run(['--help'])
  let out = ''
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString()
  })
  expect(await exit(child)).toBe(0)
  for (const flag of ['--port', '--host', '--bootstrap', '--max-sessions']) expect(out).toContain(flag)
})

it('an unknown flag is refused with exit code 2', async () => {
  const child = run(['--no-such-flag'])
  expect(await exit(child)).toBe(2)
})

it('with no flags it starts (embedded testnet on loopback, port 8787), serves /health, and SIGTERM closes it cleanly', async () => {
  const child = run([])
  const lines: Record<string, unknown>[] = []
  const listening = await waitFor(child, lines, 'listening')
  expect(listening).toMatchObject({ url: 'ws://127.0.0.1:8787', testnet: true })
  const health = await fetch('http://127.0.0.1:8787/health')
  expect(await health.json()).toMatchObject({ ok: true, sessions: 0 })
  const closed = waitFor(child, lines, 'closed')
  const code = exit(child)
  child.kill('SIGTERM')
  await closed
  expect(await code).toBe(0)
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
