/**
 * Plumbing of `pnpm bench relay` (`bench/suites/relay.ts`): timeouts, a small worker pool,
 * percentiles, and the handle of the relay child process (`relay-process.ts`).
 */
import { type ChildProcess, fork } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { RelayMemory } from './relay-process.ts'

const here = dirname(fileURLToPath(import.meta.url))

export const noop = () => {}
/** `RELAY_DEBUG=1`: phase timings on stderr. */
export const debug = process.env.RELAY_DEBUG
  ? (...args: unknown[]) => console.error(`[relay ${Math.round(performance.now())} ms]`, ...args)
  : noop
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Rejects when `p` takes longer than `ms`. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing in ${ms} ms`)), ms)
  })
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}

/** Runs `fn` over `items`, `n` at a time; failures are the callee's to record. */
export async function pool<T>(
  items: T[],
  n: number,
  fn: (item: T, i: number) => Promise<void>
): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      await fn(items[i]!, i).catch(noop)
    }
  }
  await Promise.all(Array.from({ length: n }, worker))
}

export function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : Number.NaN
}

/**
 * Forks the relay (`relay-process.ts` through tsx, with `--expose-gc`) on `bootstrap`: its URL,
 * its memory on demand, and a close that waits for it to exit (then kills it).
 */
export async function startRelay(bootstrap: unknown, maxSessions: number) {
  const child: ChildProcess = fork(
    join(here, 'relay-process.ts'),
    [JSON.stringify(bootstrap), String(maxSessions)],
    {
      cwd: join(here, '../..'),
      execArgv: ['--import', 'tsx', '--expose-gc'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc']
    }
  )
  let tail = ''
  child.stderr?.on('data', (d: Buffer) => {
    tail = (tail + d.toString()).slice(-2000)
  })
  const next = <T>(op: string) =>
    new Promise<T>((resolve, reject) => {
      const onMessage = (m: { op: string }) => {
        if (m.op !== op) return
        child.off('exit', onExit)
        child.off('message', onMessage)
        resolve(m as T)
      }
      const onExit = (code: number | null) => {
        child.off('message', onMessage)
        reject(new Error(`the relay process exited (${code}): ${tail}`))
      }
      child.on('message', onMessage)
      child.once('exit', onExit)
    })
  const { url } = await within(next<{ url: string }>('ready'), 30_000, 'relay start')
  return {
    url,
    mem(): Promise<RelayMemory> {
      const reply = next<RelayMemory>('mem')
      child.send({ op: 'mem' })
      return within(reply, 30_000, 'relay memory')
    },
    async close(): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.send({ op: 'close' })
      await within(exited, 10_000, 'relay close').catch(() => child.kill('SIGKILL'))
    }
  }
}
