/**
 * A private network namespace for WebRTC tests. Chromium gathers no ICE candidates when only
 * loopback exists, so tests run a Node child inside `unshare -n` holding an isolated veth pair with
 * a default route into it (nothing can leave it; we are root), and start Chromium inside the child's
 * namespace (`nsenter`), driven by Playwright over a pipe, which crosses namespaces.
 */
import { type ChildProcess, type StdioOptions, spawn } from 'node:child_process'
import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CHROMIUM_PATH } from './chromium.ts'

/** The namespace: loopback up, and a veth pair with an address and a default route, isolated. */
const NETNS_SETUP =
  'ip link set lo up && ip link add v0 type veth peer name v1 && ip addr add 10.201.0.1/24 dev v0 && ' +
  'ip link set v0 up && ip link set v1 up && ip route add default via 10.201.0.2 dev v0 && exec "$0" "$@"'

/** The address WebRTC finds between two tabs of the namespace. */
export const VETH_ADDRESS = '10.201.0.1'

/** Runs the TypeScript file `script` (through tsx) with `args` in a new network namespace. */
export function spawnInNetns(script: string, args: string[], cwd: string, stdio: StdioOptions): ChildProcess {
  return spawn(
    'unshare',
    ['-n', 'sh', '-c', NETNS_SETUP, process.execPath, '--import', 'tsx', script, ...args],
    { cwd, stdio }
  )
}

/** Writes (into `dir`) a Chromium launcher that enters `child`'s network namespace first. */
export function chromiumInNamespaceOf(child: ChildProcess, dir: string): string {
  const path = join(dir, 'chromium-in-netns')
  writeFileSync(path, `#!/bin/sh\nexec nsenter --net=/proc/${child.pid}/ns/net -- ${CHROMIUM_PATH} "$@"\n`)
  chmodSync(path, 0o755)
  return path
}

/** A child started by {@link startInNetns}, and a way to wait for a line of its stdout. */
export interface NetnsChild {
  readonly child: ChildProcess
  /** Resolves with the first match of `re` in everything the child printed; rejects if it exits first. */
  line(re: RegExp): Promise<RegExpExecArray>
}

/**
 * {@link spawnInNetns} with stdout and stderr piped: `line` waits for what the child prints, and a
 * child that exits first fails the wait with its stderr.
 */
export function startInNetns(
  script: string,
  args: string[],
  cwd: string,
  stdin: 'pipe' | 'ignore'
): NetnsChild {
  const child = spawnInNetns(script, args, cwd, [stdin, 'pipe', 'pipe'])
  let out = ''
  let err = ''
  child.stderr!.on('data', (chunk: Uint8Array) => {
    err += chunk
  })
  child.stdout!.on('data', (chunk: Uint8Array) => {
    out += chunk
  })
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`the namespace child exited (${code}): ${err}`)))
  )
  exited.catch(() => {})
  const line = (re: RegExp) =>
    Promise.race([
      exited,
      new Promise<RegExpExecArray>((resolve) => {
        const check = () => {
          const m = re.exec(out)
          if (!m) return
          child.stdout!.off('data', check)
          resolve(m)
        }
        child.stdout!.on('data', check)
        check()
      })
    ])
  return { child, line }
}
