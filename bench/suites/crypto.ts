/**
 * `pnpm bench crypto`: hypercore's hot crypto — parent hashes (one per call and batched), 1 KiB
 * leaf hashes, 1 MiB bulk BLAKE2b, Ed25519 sign/verify, and the ciphers of the replication path —
 * for @orchard/crypto, against hypercore-crypto / sodium-native (`real`, the native Holepunch
 * figure). Beside them: @orchard/crypto's pure-JS fallback (`js`) and libsodium-wrappers called
 * directly (`libsodium`).
 *
 * @orchard/crypto has two WebAssembly set-ups: under Node its signatures run in libsodium (`ours`
 * on the hashing and signature rows); in browsers in @noble/curves (Ed25519, with WebCrypto for
 * signAsync/verifyAsync) — `kernel` beside them. The ciphers run in our kernel in both (`ours` on
 * the cipher rows, libsodium's own beside them). The last rows run the same in Chromium, where the
 * browser default really runs.
 */

import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as orchard from '@orchard/crypto'
import { build } from 'esbuild'
import hc from 'hypercore-crypto'
import sodiumWrappers from 'libsodium-wrappers-sumo'
import na from 'sodium-native'
import { launchChromium } from '../../packages/storage/test/browser/chromium.ts'
import { type BenchContext, measure } from '../harness.ts'

const BATCH = 1024
const MiB = 1024 * 1024

interface Node {
  index: number
  size: number
  hash: Uint8Array
}

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n)
  let x = seed || 1
  for (let i = 0; i < n; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

const nodes: Node[] = Array.from({ length: 2 * BATCH }, (_, i) => ({
  index: i,
  size: 4096,
  hash: bytes(32, i + 1)
}))
const pairs = Array.from({ length: BATCH }, (_, i) => [nodes[2 * i]!, nodes[2 * i + 1]!] as [Node, Node])
const block = bytes(1024, 7)
const blocks = Array.from({ length: 256 }, (_, i) => bytes(1024, i + 11))
const bulk = bytes(MiB, 9)
const message = bytes(112, 3) // a tree signable is 112 bytes
const seed = bytes(32, 5)

/** libsodium-wrappers doing what hypercore-crypto does, with buffers reused across calls. */
function libsodiumOps(s: typeof sodiumWrappers) {
  const parentIn = new Uint8Array(73)
  const leafIn = new Uint8Array(9 + 1024)
  const view = new DataView(parentIn.buffer)
  const leafView = new DataView(leafIn.buffer)
  return {
    parent(a: Node, b: Node) {
      parentIn[0] = 1
      view.setUint32(1, a.size + b.size, true)
      parentIn.set(a.hash, 9)
      parentIn.set(b.hash, 41)
      return s.crypto_generichash(32, parentIn, null)
    },
    leaf(data: Uint8Array) {
      leafView.setUint32(1, data.byteLength, true)
      leafIn.set(data, 9)
      return s.crypto_generichash(32, leafIn, null)
    }
  }
}

type Rates = { wasm: number; js: number; libsodium: number; native: number }

/** The Node default: kernel hashing, libsodium for the rest. */
const NODE_DEFAULT = { backend: 'wasm', libsodium: true } as const
/** The browser default: kernel hashing and ciphers, @noble/curves + WebCrypto for Ed25519. */
const KERNEL = { backend: 'wasm', libsodium: false } as const

/** One way to run an operation: the @orchard/crypto set-up it needs (none: a native package) and the call. */
interface Variant {
  options?: orchard.ReadyOptions
  /** Builds the call once the set-up is active (a secretstream binds to the primitives it starts on). */
  make: () => () => unknown
  opsPerCall?: number
}

/**
 * ops/s of each variant, measured in turns — `rounds` rounds of `ms` each, the variants interleaved
 * — keeping each one's best round: on a shared machine a neighbour's burst then costs one round of
 * one variant rather than a whole figure, and every variant sees the same conditions.
 */
async function interleaved<K extends string>(
  variants: Record<K, Variant>,
  { rounds = 3, ms = 300 } = {}
): Promise<Record<K, number>> {
  const best = {} as Record<K, number>
  for (let r = 0; r < rounds; r++) {
    for (const [name, v] of Object.entries(variants) as [K, Variant][]) {
      if (v.options) await orchard.ready(v.options)
      const timing = await measure(v.make(), {
        opsPerCall: v.opsPerCall ?? 1,
        ms,
        warmupMs: r === 0 ? 200 : 50
      })
      best[name] = Math.max(best[name] ?? 0, timing.opsPerSec)
    }
  }
  await orchard.ready(NODE_DEFAULT)
  return best
}

async function rates(run: {
  ours: () => unknown
  libsodium: () => unknown
  native: () => unknown
  opsPerCall?: number
  ms?: number
}): Promise<Rates> {
  const opts = { opsPerCall: run.opsPerCall ?? 1, ms: run.ms ?? 800 }
  await orchard.ready(NODE_DEFAULT)
  const wasm = (await measure(run.ours, opts)).opsPerSec
  await orchard.ready({ backend: 'js' })
  const js = (await measure(run.ours, { ...opts, ms: Math.min(opts.ms, 500) })).opsPerSec
  await orchard.ready(NODE_DEFAULT)
  const libsodium = (await measure(run.libsodium, opts)).opsPerSec
  const native = (await measure(run.native, opts)).opsPerSec
  return { wasm, js, libsodium, native }
}

function row(ctx: BenchContext, metric: string, unit: string, r: Rates, scale = 1) {
  ctx.report({
    metric,
    unit,
    ours: r.wasm * scale,
    real: r.native * scale,
    extra: { js: r.js * scale, libsodium: r.libsodium * scale }
  })
}

export default async function crypto(ctx: BenchContext): Promise<void> {
  await sodiumWrappers.ready
  await orchard.ready(NODE_DEFAULT)
  const ls = libsodiumOps(sodiumWrappers)
  const kp = hc.keyPair(Buffer.from(seed))
  const sig = hc.sign(Buffer.from(message), kp.secretKey)
  const lsKeys = sodiumWrappers.crypto_sign_seed_keypair(seed)
  const [a, b] = pairs[0]!
  const out = Buffer.alloc(32)

  row(
    ctx,
    'parent hash, 64 B of hashes, one per call',
    'ops/s',
    await rates({
      ours: () => orchard.parent(a, b),
      libsodium: () => ls.parent(a, b),
      native: () => hc.parent(a, b)
    })
  )
  row(
    ctx,
    `parent hash, batched ×${BATCH} (native: per call)`,
    'ops/s',
    await rates({
      ours: () => orchard.hashParents(pairs),
      libsodium: () => {
        for (const [x, y] of pairs) ls.parent(x, y)
      },
      native: () => {
        for (const [x, y] of pairs) hc.parent(x, y)
      },
      opsPerCall: BATCH
    })
  )
  row(
    ctx,
    'leaf hash, 1 KiB block, one per call',
    'ops/s',
    await rates({
      ours: () => orchard.data(block),
      libsodium: () => ls.leaf(block),
      native: () => hc.data(block)
    })
  )
  row(
    ctx,
    'leaf hash, 1 KiB blocks, batched ×256',
    'ops/s',
    await rates({
      ours: () => orchard.hashLeaves(blocks),
      libsodium: () => {
        for (const x of blocks) ls.leaf(x)
      },
      native: () => {
        for (const x of blocks) hc.data(x)
      },
      opsPerCall: blocks.length
    })
  )
  row(
    ctx,
    'appendTree, 256 × 1 KiB blocks (leaves + parents + roots)',
    'blocks/s',
    await rates({
      ours: () => orchard.appendTree([], blocks),
      libsodium: () => appendWith(blocks, ls.leaf, ls.parent),
      native: () =>
        appendWith(
          blocks,
          (x) => hc.data(x),
          (x, y) => hc.parent(x, y)
        ),
      opsPerCall: blocks.length
    })
  )
  row(
    ctx,
    'BLAKE2b-256, 1 MiB bulk',
    'MiB/s',
    await rates({
      ours: () => orchard.blake2b(bulk),
      libsodium: () => sodiumWrappers.crypto_generichash(32, bulk, null),
      native: () => na.crypto_generichash(out, bulk),
      ms: 1500
    })
  )
  await signatureRows(ctx, kp, sig, lsKeys)
  await cipherRows(ctx)
  await chromiumRows(ctx)
}

/** Sign and verify: the Node default (libsodium), and beside it what browsers run. */
async function signatureRows(
  ctx: BenchContext,
  kp: { publicKey: Buffer; secretKey: Buffer },
  sig: Buffer,
  lsKeys: { publicKey: Uint8Array; privateKey: Uint8Array }
): Promise<void> {
  const PARALLEL = 64
  const signs = Array.from({ length: PARALLEL }, () => message)
  const signRates = await interleaved({
    ours: { options: NODE_DEFAULT, make: () => () => orchard.sign(message, kp.secretKey) },
    native: { make: () => () => hc.sign(message, kp.secretKey) },
    libsodium: { make: () => () => sodiumWrappers.crypto_sign_detached(message, lsKeys.privateKey) },
    js: { options: { backend: 'js' }, make: () => () => orchard.sign(message, kp.secretKey) },
    kernel: { options: KERNEL, make: () => () => orchard.sign(message, kp.secretKey) },
    kernelAsync: { options: KERNEL, make: () => () => orchard.signAsync(message, kp.secretKey) },
    kernelAsyncX64: {
      options: KERNEL,
      make: () => () => Promise.all(signs.map((m) => orchard.signAsync(m, kp.secretKey))),
      opsPerCall: PARALLEL
    }
  })
  ctx.report({
    metric: 'Ed25519 sign, 112 B',
    unit: 'ops/s',
    ours: signRates.ours,
    real: signRates.native,
    extra: {
      libsodium: signRates.libsodium,
      js: signRates.js,
      kernel: signRates.kernel,
      'kernel signAsync (WebCrypto)': signRates.kernelAsync,
      [`kernel signAsync ×${PARALLEL}`]: signRates.kernelAsyncX64
    }
  })
  const verifyRates = await interleaved({
    ours: { options: NODE_DEFAULT, make: () => () => orchard.verify(message, sig, kp.publicKey) },
    native: { make: () => () => hc.verify(message, sig, kp.publicKey) },
    libsodium: {
      make: () => () => sodiumWrappers.crypto_sign_verify_detached(sig, message, lsKeys.publicKey)
    },
    js: { options: { backend: 'js' }, make: () => () => orchard.verify(message, sig, kp.publicKey) },
    kernel: { options: KERNEL, make: () => () => orchard.verify(message, sig, kp.publicKey) },
    kernelAsync: { options: KERNEL, make: () => () => orchard.verifyAsync(message, sig, kp.publicKey) },
    kernelAsyncX64: {
      options: KERNEL,
      make: () => () => Promise.all(signs.map((m) => orchard.verifyAsync(m, sig, kp.publicKey))),
      opsPerCall: PARALLEL
    }
  })
  ctx.report({
    metric: 'Ed25519 verify, 112 B',
    unit: 'ops/s',
    ours: verifyRates.ours,
    real: verifyRates.native,
    extra: {
      libsodium: verifyRates.libsodium,
      js: verifyRates.js,
      kernel: verifyRates.kernel,
      'kernel verifyAsync (WebCrypto)': verifyRates.kernelAsync,
      [`kernel verifyAsync ×${PARALLEL}`]: verifyRates.kernelAsyncX64
    }
  })
}

/** The ciphers of replication: `ours` is the kernel (the default everywhere), `libsodium` its own build. */
async function cipherRows(ctx: BenchContext): Promise<void> {
  const key = bytes(32, 21)
  const nonce = bytes(12, 22)
  const nonce24 = bytes(24, 23)
  const ad = new Uint8Array(0)
  const cases: [string, (data: Uint8Array) => () => unknown, (data: Uint8Array) => () => unknown][] = [
    [
      'ChaCha20-Poly1305 encrypt',
      (data) => () => orchard.chacha20poly1305Encrypt(key, nonce, ad, data),
      (data) => {
        const out = Buffer.alloc(data.byteLength + 16)
        return () => na.crypto_aead_chacha20poly1305_ietf_encrypt(out, data as Buffer, null, null, nonce, key)
      }
    ],
    [
      'secretstream push',
      (data) => {
        const push = new orchard.SecretStreamPush(key)
        return () => push.push(data)
      },
      (data) => {
        const state = Buffer.alloc(na.crypto_secretstream_xchacha20poly1305_STATEBYTES as number)
        na.crypto_secretstream_xchacha20poly1305_init_push(state, Buffer.alloc(24), Buffer.from(key))
        const out = Buffer.alloc(data.byteLength + 17)
        return () => na.crypto_secretstream_xchacha20poly1305_push(state, out, data as Buffer, null, 0)
      }
    ],
    [
      'XSalsa20 (block encryption)',
      (data) => {
        const out = new Uint8Array(data.byteLength)
        return () => orchard.xsalsa20Xor(data, nonce24, key, out)
      },
      (data) => {
        const out = Buffer.alloc(data.byteLength)
        return () => na.crypto_stream_xor(out, data as Buffer, Buffer.from(nonce24), Buffer.from(key))
      }
    ]
  ]
  for (const size of [64 * 1024, 1100]) {
    const data = Buffer.from(bytes(size, 24))
    for (const [name, ours, native] of cases) {
      if (name.startsWith('XSalsa20') && size !== 64 * 1024) continue
      const r = await interleaved({
        kernel: { options: KERNEL, make: () => ours(data) },
        libsodium: { options: NODE_DEFAULT, make: () => ours(data) },
        js: { options: { backend: 'js' }, make: () => ours(data) },
        native: { make: () => native(data) }
      })
      const MB = size / 1e6
      ctx.report({
        metric: `${name}, ${size >= 1024 * 8 ? `${size / 1024} KiB` : `${size} B`}`,
        unit: 'MB/s',
        ours: r.kernel * MB,
        real: r.native * MB,
        extra: { libsodium: r.libsodium * MB, js: r.js * MB }
      })
    }
  }
}

/**
 * The browser default where it runs: a page (esbuild bundle of @orchard/crypto and
 * libsodium-wrappers, as a browser bundler resolves them) measures in Chromium the kernel's ciphers
 * against libsodium-wrappers' and @noble's, and Ed25519 sync (@noble, libsodium) against WebCrypto.
 */
async function chromiumRows(ctx: BenchContext): Promise<void> {
  const bundle = await build({
    stdin: { contents: PAGE, resolveDir: fileURLToPath(new URL('..', import.meta.url)), loader: 'ts' },
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    logLevel: 'silent'
  })
  const js = bundle.outputFiles[0]!.contents
  const server = createServer((req, res) => {
    if (req.url === '/app.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(js)
    } else {
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<!doctype html><meta charset="utf-8"><script type="module" src="/app.js"></script>')
    }
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const profile = mkdtempSync(join(tmpdir(), 'orchard-bench-crypto-'))
  const chromium = await launchChromium(profile)
  try {
    const page = await chromium.open(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
    const rows = (await page.evaluate('window.runCryptoBench()')) as {
      metric: string
      unit: string
      ours: number
      extra: Record<string, number>
    }[]
    for (const r of rows) ctx.report({ ...r, metric: `Chromium: ${r.metric}`, real: null })
  } finally {
    await chromium.close()
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
    rmSync(profile, { recursive: true, force: true })
  }
}

/** The Chromium page: `ours` is the browser default (kernel ciphers; WebCrypto for the async forms). */
const PAGE = `
import * as c from '@orchard/crypto'

async function rate(fn, ms = 600, opsPerCall = 1) {
  const run = async (budget) => {
    let calls = 0
    const start = performance.now()
    let now = start
    while (now - start < budget) {
      const r = fn()
      if (r instanceof Promise) await r
      calls++
      now = performance.now()
    }
    return (calls * opsPerCall * 1000) / (now - start)
  }
  await run(150)
  return run(ms)
}

const SETUPS = { kernel: {}, libsodium: { libsodium: true }, js: { backend: 'js' } }

// Each set-up in turn, three rounds, the best round kept (see interleaved() in crypto.ts).
async function each(make, opsPerCall = 1) {
  const out = {}
  for (let round = 0; round < 3; round++) {
    for (const [name, options] of Object.entries(SETUPS)) {
      await c.ready(options)
      out[name] = Math.max(out[name] ?? 0, await rate(make(), 300, opsPerCall))
    }
  }
  await c.ready()
  return out
}

async function best(make, opsPerCall = 1) {
  let top = 0
  for (let round = 0; round < 3; round++) top = Math.max(top, await rate(make(), 300, opsPerCall))
  return top
}

async function runCryptoBench() {
  await c.ready()
  const key = new Uint8Array(32).fill(7)
  const nonce = new Uint8Array(12).fill(1)
  const nonce24 = new Uint8Array(24).fill(2)
  const rows = []
  for (const size of [65536, 1100]) {
    const data = new Uint8Array(size).fill(3)
    const label = size === 65536 ? '64 KiB' : size + ' B'
    const MB = size / 1e6
    const ciphers = [
      ['ChaCha20-Poly1305 encrypt', () => () => c.chacha20poly1305Encrypt(key, nonce, new Uint8Array(0), data)],
      ['secretstream push', () => { const p = new c.SecretStreamPush(key); return () => p.push(data) }],
      ['XSalsa20 (block encryption)', () => { const out = new Uint8Array(size); return () => c.xsalsa20Xor(data, nonce24, key, out) }]
    ]
    for (const [name, make] of ciphers) {
      if (name.startsWith('XSalsa20') && size !== 65536) continue
      const r = await each(make)
      rows.push({ metric: name + ', ' + label, unit: 'MB/s', ours: r.kernel * MB, extra: { libsodium: r.libsodium * MB, js: r.js * MB } })
    }
  }
  const kp = c.keyPair(new Uint8Array(32).fill(5))
  const message = new Uint8Array(112).fill(9)
  const sig = c.sign(message, kp.secretKey)
  const batch = Array.from({ length: 64 }, () => message)
  const sync = { sign: await each(() => () => c.sign(message, kp.secretKey)), verify: await each(() => () => c.verify(message, sig, kp.publicKey)) }
  await c.ready()
  const webcrypto = {
    sign: await best(() => () => c.signAsync(message, kp.secretKey)),
    verify: await best(() => () => c.verifyAsync(message, sig, kp.publicKey)),
    sign64: await best(() => () => Promise.all(batch.map((m) => c.signAsync(m, kp.secretKey))), 64),
    verify64: await best(() => () => Promise.all(batch.map((m) => c.verifyAsync(m, sig, kp.publicKey))), 64)
  }
  for (const op of ['sign', 'verify']) {
    rows.push({
      metric: 'Ed25519 ' + op + 'Async (WebCrypto), 112 B',
      unit: 'ops/s',
      ours: webcrypto[op],
      extra: { ['×64 in flight']: webcrypto[op + '64'], ['kernel sync (@noble)']: sync[op].kernel, ['libsodium sync']: sync[op].libsodium, js: sync[op].js }
    })
  }
  return rows
}

Object.assign(globalThis, { runCryptoBench, ready: true })
`

/** What a caller of per-call hashing does for an append: hash each leaf, merge equal roots. */
function appendWith(
  list: Uint8Array[],
  leaf: (x: Uint8Array) => Uint8Array,
  parent: (x: Node, y: Node) => Uint8Array
): Node[] {
  const stack: Node[] = []
  for (let i = 0; i < list.length; i++) {
    let node: Node = { index: 2 * i, size: list[i]!.byteLength, hash: leaf(list[i]!) }
    let depth = 0
    while (stack.length > 0 && depthOf(stack[stack.length - 1]!.index) === depth) {
      const left = stack.pop()!
      node = { index: left.index + 2 ** depth, size: left.size + node.size, hash: parent(left, node) }
      depth++
    }
    stack.push(node)
  }
  return stack
}

function depthOf(index: number): number {
  let d = 0
  while (index % 2 === 1) {
    index = (index - 1) / 2
    d++
  }
  return d
}
