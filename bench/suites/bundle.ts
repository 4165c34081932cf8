/**
 * `pnpm bench bundle`: what the packaging test's Vite app (a core on IndexedDB replicating over a
 * WebSocket; `e2e/packaging/web`) costs a user in bytes. The app is built as a user would build it
 * — from the packed tarballs installed with npm into an empty folder — and every emitted file is
 * gzipped (level 9). The hashing kernel ships as `.wasm` assets streamed in at run time (only the
 * one the engine runs is fetched); the inline base64 copy is a lazy chunk fetched only if an asset
 * cannot be, so the figures below separate what a SIMD engine loads from what merely ships.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { buildViteApp, packAndInstall } from '../../e2e/packaging/pack.ts'
import type { Suite } from '../harness.ts'

interface Asset {
  file: string
  raw: number
  gzip: number
}

function assets(dir: string): Asset[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(join(dir, f)).isFile())
    .map((file) => {
      const bytes = readFileSync(join(dir, file))
      return { file, raw: bytes.byteLength, gzip: gzipSync(bytes, { level: 9 }).byteLength }
    })
}

const sum = (list: Asset[], key: 'raw' | 'gzip') => list.reduce((n, a) => n + a[key], 0)

const suite: Suite = async ({ report }) => {
  const tmp = mkdtempSync(join(tmpdir(), 'orchard-bench-bundle-'))
  try {
    const built = await buildViteApp(await packAndInstall(tmp))
    const all = assets(built)
    const js = all.filter((a) => a.file.endsWith('.js'))
    const inline = js.filter((a) => /kernel\.generated-/.test(a.file))
    const loadedJs = js.filter((a) => !inline.includes(a))
    const simd = all.filter((a) => /kernel-simd-.*\.wasm$/.test(a.file))
    const scalar = all.filter((a) => /kernel-scalar-.*\.wasm$/.test(a.file))
    const row = (metric: string, list: Asset[]) =>
      report({ metric, unit: 'bytes', ours: sum(list, 'gzip'), real: null, extra: { raw: sum(list, 'raw') } })

    row('gzip JS + WASM loaded (SIMD engine)', [...loadedJs, ...simd])
    row('gzip JS + WASM loaded (scalar engine)', [...loadedJs, ...scalar])
    row('gzip JS loaded', loadedJs)
    row('gzip WASM kernel asset, SIMD', simd)
    row('gzip WASM kernel asset, scalar', scalar)
    row('gzip inline kernel fallback (lazy, unused)', inline)
    row('gzip everything emitted', all)
    for (const a of js.sort((x, y) => y.gzip - x.gzip))
      row(`gzip chunk ${a.file.replace(/-[\w-]{8}\.js$/, '.js')}`, [a])
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}

export default suite
