/**
 * The client's line to the owner on its own, with a transport that only records what is sent: the
 * order writes go out in, their writer seqs, and how a write sent `alone` (a compare-and-swap)
 * waits for the writes before it and holds back the ones after it, across an owner change too.
 */
import { describe, expect, it } from 'vitest'
import { Connection, type Transport } from '../src/connection.ts'
import type { Request } from '../src/protocol.ts'

function recorder(): Transport & { sent: Request[] } {
  const sent: Request[] = []
  return { sent, send: (req) => sent.push(req), detach() {} }
}

const ref = { ns: [], name: 'c' }
const tick = () => new Promise((r) => setTimeout(r, 0))
const seqs = (reqs: Request[]) => reqs.map((r) => r.writer?.seq ?? null)

describe('Connection', () => {
  it('sends plain writes at once, in call order, with increasing writer seqs', async () => {
    const conn = new Connection('client-a')
    const t = recorder()
    conn.attach(t)
    conn.request('core.append', [ref, []], { write: true }).catch(() => {})
    conn.request('core.get', [ref, 0, {}]).catch(() => {})
    conn.request('core.append', [ref, []], { write: true }).catch(() => {})
    expect(t.sent.map((r) => r.method)).toEqual(['core.append', 'core.get', 'core.append'])
    expect(seqs(t.sent)).toEqual([1, null, 2])
    expect(t.sent[0]!.writer!.client).toBe('client-a')
    conn.close()
  })

  it('sends an alone write only once earlier writes are answered, and holds later writes until it is', async () => {
    const conn = new Connection('client-b')
    const t = recorder()
    conn.attach(t)
    const a = conn.request('core.append', [ref, []], { write: true })
    const b = conn.request('bee.write', [ref, []], { write: true, alone: true })
    const c = conn.request('core.append', [ref, []], { write: true })
    conn.request('core.has', [ref, 0, 1]).catch(() => {}) // reads are never held
    expect(t.sent.map((r) => r.method)).toEqual(['core.append', 'core.has'])

    conn.receive({ id: t.sent[0]!.id, ok: true, value: { length: 1, byteLength: 0 } })
    await a
    expect(t.sent.map((r) => r.method)).toEqual(['core.append', 'core.has', 'bee.write'])

    // an owner change while it is in flight: it is re-sent alone, later writes still wait
    const next = recorder()
    conn.attach(next)
    expect(next.sent.map((r) => r.method)).toEqual(['core.has', 'bee.write'])
    conn.receive({ id: t.sent[2]!.id, ok: true, value: { length: 1, byteLength: 0, refused: true } })
    expect(await b).toEqual({ length: 1, byteLength: 0, refused: true })
    await tick()
    expect(next.sent.map((r) => r.method)).toEqual(['core.has', 'bee.write', 'core.append'])
    expect(seqs([t.sent[0]!, t.sent[2]!, next.sent[2]!])).toEqual([1, 2, 3])

    conn.close()
    await expect(c).rejects.toMatchObject({ code: 'STORE_CLOSED' })
  })

  it('fails held writes with StoreClosedError when closed', async () => {
    const conn = new Connection()
    const t = recorder()
    conn.attach(t)
    const first = conn.request('bee.write', [ref, []], { write: true, alone: true })
    const held = conn.request('core.append', [ref, []], { write: true })
    expect(t.sent).toHaveLength(1)
    conn.close()
    await expect(first).rejects.toMatchObject({ code: 'STORE_CLOSED' })
    await expect(held).rejects.toMatchObject({ code: 'STORE_CLOSED' })
    expect(t.sent).toHaveLength(1)
  })
})
