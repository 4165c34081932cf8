/** Driving the `orchard-relay` CLI as a child process: its exit and its JSON log lines. */
import type { ChildProcess } from 'node:child_process'

/** Resolves with the child's exit code. */
export function exit(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)))
}

/** Reads JSON log lines from the child's stdout until one matches. */
export function waitFor(
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
