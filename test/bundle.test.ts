import { existsSync, readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, type Plugin } from 'esbuild'
import { describe, expect, it } from 'vitest'

/**
 * The isomorphic packages must bundle for a browser with no polyfills: no Node built-in may be
 * resolved, no `buffer`/`process` shim pulled in, and none of our own sources may name `Buffer`.
 * Every isomorphic entry point that exists in the tree is checked; a new package is covered as soon
 * as it is listed here.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '..')

const ISOMORPHIC: Record<string, string[]> = {
  codec: ['src/index.ts'],
  events: ['src/index.ts'],
  crypto: ['src/index.ts'],
  storage: ['src/index.ts', 'src/memory.ts', 'src/idb.ts', 'src/opfs.ts'],
  hypercore: ['src/index.ts'],
  wire: ['src/index.ts'],
  corestore: ['src/index.ts'],
  hyperbee: ['src/index.ts'],
  hyperblobs: ['src/index.ts'],
  hyperdrive: ['src/index.ts'],
  localdrive: ['src/index.ts', 'src/browser.ts'],
  'mirror-drive': ['src/index.ts'],
  autobase: ['src/index.ts'],
  swarm: ['src/index.ts'],
  webrtc: ['src/index.ts'],
  tabs: ['src/index.ts'],
  'blind-peering': ['src/index.ts']
}

const FORBIDDEN = new Set([...builtinModules, 'buffer', 'process', 'events', 'stream', 'util'])

/**
 * Node fallbacks inside dependencies that no browser path can reach, listed one by one (never by
 * pattern) and still left external, never polyfilled. libsodium's emscripten glue probes
 * `require("crypto")` in a try/catch only when no `getRandomValue` was supplied and no
 * `crypto.getRandomValues` exists; libsodium-wrappers always supplies one (and refuses to load
 * without `globalThis.crypto.getRandomValues`).
 */
const UNREACHABLE_REQUIRES: { importer: RegExp; path: string }[] = [
  { importer: /\/libsodium-sumo\/dist\/modules-sumo-esm\/libsodium-sumo\.mjs$/, path: 'crypto' }
]

function forbidNode(reached: string[]): Plugin {
  return {
    name: 'forbid-node',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        const unreachable = UNREACHABLE_REQUIRES.some(
          (u) => args.kind === 'require-call' && args.path === u.path && u.importer.test(args.importer)
        )
        if (unreachable) return { path: args.path, external: true }
        const bare = args.path.replace(/^node:/, '').split('/')[0]!
        if (args.path.startsWith('node:') || (FORBIDDEN.has(bare) && !args.path.startsWith('.'))) {
          reached.push(`${args.path} (from ${relative(root, args.importer)})`)
          return { path: args.path, external: true }
        }
        return undefined
      })
    }
  }
}

const entries = Object.entries(ISOMORPHIC).flatMap(([pkg, files]) =>
  files.map((f) => join('packages', pkg, f)).filter((p) => existsSync(join(root, p)))
)

describe('isomorphic packages bundle for the browser without Node', () => {
  it('has entry points to check', () => {
    expect(entries.length).toBeGreaterThan(0)
  })

  for (const entry of entries) {
    it(entry, async () => {
      const reached: string[] = []
      const result = await build({
        entryPoints: [join(root, entry)],
        bundle: true,
        write: false,
        metafile: true,
        platform: 'browser',
        format: 'esm',
        target: 'es2022',
        logLevel: 'silent',
        plugins: [forbidNode(reached)]
      })
      expect(reached, `Node built-ins reached from ${entry}`).toEqual([])
      const ours = Object.keys(result.metafile.inputs).filter(
        (p) => !p.includes('node_modules') && /\.(ts|js|mjs)$/.test(p)
      )
      for (const file of ours) {
        const text = readFileSync(join(root, file), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')
        expect(/\bBuffer\b/.test(text), `${file} names Buffer`).toBe(false)
      }
    })
  }
})
