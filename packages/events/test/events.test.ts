import { describe, expect, it } from 'vitest'
import { Emitter, nextTask, once } from '../src/index.ts'

class Thing extends Emitter<{ data: [n: number, s: string]; end: [] }> {}

describe('Emitter', () => {
  it('calls listeners in order with typed arguments', () => {
    const t = new Thing()
    const seen: string[] = []
    t.on('data', (n, s) => seen.push(`a${n}${s}`))
    t.on('data', (n, s) => seen.push(`b${n}${s}`))
    expect(t.emit('data', 1, 'x')).toBe(true)
    expect(t.emit('end')).toBe(false)
    expect(seen).toEqual(['a1x', 'b1x'])
  })

  it('once fires a single time and off removes once-listeners by the original function', () => {
    const t = new Thing()
    let calls = 0
    const l = () => calls++
    t.once('end', l)
    t.emit('end')
    t.emit('end')
    expect(calls).toBe(1)
    t.once('end', l)
    t.off('end', l)
    t.emit('end')
    expect(calls).toBe(1)
    expect(t.listenerCount('end')).toBe(0)
  })

  it('tolerates listeners removing themselves while emitting', () => {
    const t = new Thing()
    const seen: number[] = []
    const a = () => {
      seen.push(1)
      t.off('end', a)
    }
    t.on('end', a)
    t.on('end', () => seen.push(2))
    t.emit('end')
    t.emit('end')
    expect(seen).toEqual([1, 2, 2])
  })

  it('once() resolves with the event arguments and rejects on abort', async () => {
    const t = new Thing()
    const p = once(t, 'data')
    t.emit('data', 7, 'y')
    expect(await p).toEqual([7, 'y'])
    const ac = new AbortController()
    const q = once(t, 'end', ac.signal)
    ac.abort(new Error('stop'))
    await expect(q).rejects.toThrow('stop')
    expect(t.listenerCount('end')).toBe(0)
  })
})

describe('nextTask', () => {
  const after = async (queue: (fn: () => void) => void) => {
    const order: string[] = []
    queue(() => order.push('queued task'))
    await Promise.resolve() // microtasks alone do not get past it
    order.push('microtask')
    await nextTask()
    order.push('next task')
    return order
  }

  it('resolves after the tasks queued before it (setImmediate, as in Node)', async () => {
    expect(await after((fn) => setImmediate(fn))).toEqual(['microtask', 'queued task', 'next task'])
  })

  it('resolves after the tasks queued before it without setImmediate (a MessageChannel, as in browsers)', async () => {
    const immediate = globalThis.setImmediate
    // biome-ignore lint/suspicious/noExplicitAny: the browser case, where there is no setImmediate
    ;(globalThis as any).setImmediate = undefined
    try {
      const channel = new MessageChannel()
      const order = await after((fn) => {
        channel.port1.onmessage = fn
        channel.port2.postMessage(null)
      })
      channel.port1.close()
      expect(order).toEqual(['microtask', 'queued task', 'next task'])
    } finally {
      globalThis.setImmediate = immediate
    }
  })
})
