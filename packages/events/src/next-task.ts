/**
 * `nextTask()`: resolves on a later task of the event loop, after the tasks already queued (a
 * transport's drain, a data channel's `bufferedamountlow`, I/O). A promise chain never lets those
 * in: its continuations are microtasks. `setImmediate` where there is one (Node), else a
 * `MessageChannel` message — not `setTimeout(0)`, which browsers stretch to 4 ms once nested.
 */
type Immediate = (fn: () => void) => unknown

let port: MessagePort | null = null
const waiting: Array<() => void> = []

function postTask(fn: () => void): void {
  if (port === null) {
    const channel = new MessageChannel()
    channel.port1.onmessage = () => waiting.shift()?.()
    port = channel.port2
  }
  waiting.push(fn)
  port.postMessage(null)
}

/** Resolves once the event loop ran the tasks queued before this call. */
export function nextTask(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: Immediate }).setImmediate
  return new Promise((resolve) => (immediate ? immediate(resolve) : postTask(resolve)))
}
