import { CodecError } from '@orchard/codec'
import { keyPair, ready } from '@orchard/crypto'
import { openMemoryStorage } from '@orchard/storage'
import { memoryPair, WireError } from '@orchard/wire'
import { beforeAll, describe, expect, it } from 'vitest'
import { createManifest, Hypercore, HypercoreError } from '../src/index.ts'
import * as m from '../src/replication/messages.ts'
import { answerHonestly, attachBadPeer, type BadPeerContext, type Behaviour } from './interop/bad-peer.ts'

// ≥ 20 kinds of misbehaving peers. For each: the victim raises a typed error, drops the peer, keeps
// its core consistent (nothing unverified stored), and an honest peer then completes the download.

const T = m.MESSAGE_TYPES
const N = 64
let writer: Hypercore

beforeAll(async () => {
  await ready()
  writer = new Hypercore(openMemoryStorage())
  await writer.append(Array.from({ length: N }, (_, i) => new Uint8Array(40).fill(i)))
})

/**
 * `drive`: what the victim asks for. A `get` past its length rides on the upgrade request, and
 * then the block's proof covers the tree, so the upgrade carries no nodes of its own; cases that
 * tamper with upgrade nodes drive a plain `update` instead.
 */
type Case = {
  name: string
  behaviour: Behaviour
  victim?: 'reader' | 'writer'
  code?: RegExp
  drive?: 'get' | 'update'
}

/** Answers honestly, but lets `tamper` change each proof first (return false to leave it). */
function tampering(
  tamper: (p: NonNullable<Awaited<ReturnType<BadPeerContext['honest']>>>, req: m.RequestMessage) => unknown
): Behaviour {
  return {
    async onrequest(req, ctx) {
      const proof = await ctx.honest(req)
      if (proof === null) return answerHonestly(req, ctx)
      tamper(proof, req)
      ctx.send(T.data, { request: req.id, ...proof, manifest: req.manifest ? ctx.core.manifest : null })
    }
  }
}

const flip = (b: Uint8Array, i = 0) => {
  b[i % b.byteLength]! ^= 0x5a
}
const copyNodes = (p: {
  upgrade: {
    nodes: m.DataMessage['block'] extends infer _
      ? { index: number; size: number; hash: Uint8Array }[]
      : never
  } | null
}) => p

const cases: Case[] = [
  {
    name: 'an invalid replication capability',
    behaviour: { capability: new Uint8Array(32).fill(1) },
    code: /INVALID_CAPABILITY/
  },
  {
    name: 'a bad signature',
    behaviour: tampering((p) => p.upgrade && flip(p.upgrade.signature!, 10)),
    code: /INVALID_SIGNATURE/
  },
  {
    name: 'a flipped upgrade node hash',
    drive: 'update',
    behaviour: tampering((p) => p.upgrade && flip(p.upgrade.nodes[0]!.hash)),
    code: /INVALID_SIGNATURE/
  },
  {
    name: 'a lying upgrade node size',
    drive: 'update',
    behaviour: tampering((p) => {
      if (p.upgrade) p.upgrade.nodes[0]!.size += 1
    }),
    code: /INVALID_SIGNATURE/
  },
  {
    name: 'a block that does not hash to its node',
    behaviour: tampering((p) => p.block && flip(p.block.value, 3)),
    code: /INVALID_CHECKSUM|INVALID_SIGNATURE/
  },
  {
    name: 'a flipped sibling hash in a block proof',
    behaviour: tampering((p) => p.block?.nodes[0] && flip(p.block.nodes[0].hash)),
    code: /INVALID_CHECKSUM|INVALID_SIGNATURE/
  },
  {
    name: 'data for the wrong fork',
    behaviour: tampering((p) => {
      p.fork += 1
    }),
    code: /PROTOCOL_ERROR/
  },
  {
    name: 'a different block than requested',
    behaviour: {
      async onrequest(req, ctx) {
        if (!req.block) return answerHonestly(req, ctx)
        const other = await ctx.honest({
          ...req,
          block: { index: (req.block.index + 1) % N, nodes: req.block.nodes }
        })
        ctx.send(T.data, { request: req.id, ...other, manifest: null })
      }
    },
    code: /PROTOCOL_ERROR/
  },
  {
    name: 'a block request answered without the block',
    behaviour: {
      async onrequest(req, ctx) {
        if (!req.block) return answerHonestly(req, ctx)
        ctx.send(T.data, { request: req.id, fork: ctx.core.fork })
      }
    },
    code: /PROTOCOL_ERROR/
  },
  { name: 'an oversized length in sync', behaviour: { length: 2 ** 52 }, code: /PROTOCOL_ERROR/ },
  {
    name: 'a range far past any length',
    behaviour: { onopen: (ctx) => ctx.send(T.range, { drop: false, start: 2 ** 51, length: 2 ** 30 }) },
    code: /PROTOCOL_ERROR/
  },
  {
    name: 'bitfields claiming unbounded sparse state',
    behaviour: {
      onopen: (ctx) => {
        for (let i = 0; i < 5000; i++)
          ctx.send(T.bitfield, { start: (i + 1) * 65536, bitfield: new Uint32Array([1]) })
      }
    },
    code: /PROTOCOL_ERROR/
  },
  {
    name: 'an invalid varint',
    behaviour: { onopen: (ctx) => ctx.sendRaw(T.sync, new Uint8Array([0xfe, 1])) },
    code: /TRUNCATED/
  },
  {
    name: 'a truncated data message',
    behaviour: {
      async onrequest(req, ctx) {
        const proof = await ctx.honest(req)
        const bytes = (await import('@orchard/codec')).encode(m.data, {
          request: req.id,
          ...proof!,
          manifest: ctx.core.manifest
        })
        ctx.sendRaw(T.data, bytes.subarray(0, bytes.byteLength >> 1))
      }
    },
    code: /TRUNCATED|INVALID/
  },
  {
    name: 'an unknown message type',
    behaviour: { onopen: (ctx) => ctx.sendRaw(42, new Uint8Array([1, 2, 3])) },
    code: /PROTOCOL_ERROR/
  },
  {
    name: 'a flood of unsolicited data',
    behaviour: {
      onopen: (ctx) => {
        for (let i = 0; i < 200; i++) ctx.send(T.data, { request: 1000 + i, fork: 0 })
      }
    },
    code: /PROTOCOL_ERROR/
  },
  {
    name: 'a manifest that does not hash to the key',
    behaviour: {
      async onrequest(req, ctx) {
        const proof = await ctx.honest(req)
        const forged = createManifest({ signers: [{ publicKey: keyPair().publicKey }] })
        ctx.send(T.data, { request: req.id, ...proof!, manifest: req.manifest ? forged : null })
      }
    },
    code: /INVALID_MANIFEST/
  },
  {
    name: 'extra nodes in an upgrade proof',
    drive: 'update',
    behaviour: tampering((p) => {
      if (p.upgrade) p.upgrade.nodes.push({ ...p.upgrade.nodes[0]! })
    }),
    code: /INVALID_PROOF/
  },
  {
    name: 'an upgrade longer than its proof',
    behaviour: tampering((p) => {
      if (p.upgrade) p.upgrade.length += 3
    }),
    code: /INVALID_PROOF/
  },
  {
    name: 'a node index out of range',
    drive: 'update',
    behaviour: tampering((p) => {
      if (p.upgrade) p.upgrade.nodes[0]!.index = 2 ** 52
    }),
    code: /INVALID_PROOF/
  },
  {
    name: 'a forged encrypted frame',
    behaviour: { onopen: (ctx) => ctx.raw.write(new Uint8Array([20, 0, 0, ...new Uint8Array(20).fill(7)])) },
    code: /DECRYPTION_FAILED/
  },
  {
    name: 'a garbage Noise handshake reply',
    behaviour: {
      rawOnly: (raw) =>
        raw.on('data', () => raw.write(new Uint8Array([96, 0, 0, ...new Uint8Array(96).fill(3)])))
    },
    code: /HANDSHAKE_FAILED/
  },
  {
    name: 'a protomux open skipping channel ids',
    behaviour: { onopen: (ctx) => ctx.stream.write(new Uint8Array([0, 1, 9, 1, 0x61, 0])) },
    code: /PROTOCOL_ERROR/
  },
  {
    name: 'a request storm',
    victim: 'writer',
    behaviour: {
      onopen: (ctx) => {
        for (let i = 1; i <= 6000; i++)
          ctx.send(T.request, { id: i, fork: 0, block: { index: i % N, nodes: 0 } })
      }
    },
    code: /PROTOCOL_ERROR/
  },
  {
    name: 'repeated invalid requests',
    victim: 'writer',
    behaviour: {
      onopen: (ctx) => {
        for (let i = 1; i <= 40; i++) ctx.send(T.request, { id: i, fork: 0, hash: { index: 1, nodes: 40 } })
      }
    },
    code: /PROTOCOL_ERROR/
  }
]
void copyNodes

describe('untrusted peers', () => {
  it('has at least 20 distinct misbehaviours', () => {
    expect(new Set(cases.map((c) => c.name)).size).toBeGreaterThanOrEqual(20)
  })

  for (const c of cases) {
    it(`drops a peer that sends ${c.name}, keeps the core intact, and an honest peer completes`, async () => {
      const victim = c.victim === 'writer' ? writer : new Hypercore(openMemoryStorage(), writer.key!)
      await victim.ready()
      const before = { length: victim.length, hash: await victim.treeHash() }
      const errors: Error[] = []
      victim.core.on('peer-error', (err) => errors.push(err))
      const stream = attachBadPeer(writer, victim, c.behaviour)
      stream.on('error', (err) => errors.push(err))
      // a reader wants a block; that makes it ask the bad peer
      if (c.victim !== 'writer') {
        if (c.drive === 'update') victim.update({ wait: true }).catch(() => {})
        else victim.get(7, { timeout: 3000 }).catch(() => {})
      }
      const deadline = Date.now() + 8000
      while (!stream.destroyed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
      expect(stream.destroyed, 'the bad peer was dropped').toBe(true)
      const typed = errors.find(
        (e) => e instanceof HypercoreError || e instanceof WireError || e instanceof CodecError
      )
      expect(typed, `a typed error (got ${errors.map((e) => e.message).join('; ')})`).toBeDefined()
      if (c.code) expect(`${(typed as { code: string }).code}`).toMatch(c.code)

      // nothing unverified was stored: whatever the victim holds matches the writer
      if (c.victim === 'writer') {
        expect(victim.length).toBe(before.length)
        expect(await victim.treeHash()).toEqual(before.hash)
      } else {
        expect([0, N]).toContain(victim.length)
        if (victim.length > 0) expect(await victim.treeHash()).toEqual(await writer.treeHash())
        for (let i = 0; i < N; i++) {
          if (await victim.has(i)) expect(await victim.get(i, { wait: false })).toEqual(await writer.get(i))
        }
      }

      // an honest peer completes the download
      const reader = c.victim === 'writer' ? new Hypercore(openMemoryStorage(), writer.key!) : victim
      await reader.ready()
      const [x, y] = memoryPair()
      const a = writer.replicate(false, { stream: x, keepAlive: 0 })
      const b = reader.replicate(true, { stream: y, keepAlive: 0 })
      await reader.download({ start: 0, end: N }).done()
      for (let i = 0; i < N; i++) expect(await reader.get(i)).toEqual(await writer.get(i))
      a.destroy()
      b.destroy()
      if (reader !== writer) await reader.close()
    }, 30_000)
  }
})
