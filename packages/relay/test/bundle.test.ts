import { readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { expect, it } from 'vitest'

/** The tab client must bundle for a browser: no Node built-in, no `Buffer`, no hyperdht/ws. */
it('@orchard/relay/client bundles for the browser with no Node built-ins, no hyperdht and no ws', async () => {
  const entry = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'client', 'index.ts')
  const reached: string[] = []
  const forbidden = new Set([
    ...builtinModules,
    'buffer',
    'process',
    'events',
    'stream',
    'util',
    'hyperdht',
    'ws'
  ])
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'esm',
    logLevel: 'silent',
    metafile: true,
    absWorkingDir: join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..'),
    plugins: [
      {
        name: 'forbid-node',
        setup(b) {
          b.onResolve({ filter: /.*/ }, (args) => {
            const bare = args.path.replace(/^node:/, '').split('/')[0]!
            // libsodium's emscripten glue probes require("crypto") in a try/catch it never reaches in a browser
            const sodiumProbe =
              args.kind === 'require-call' && args.path === 'crypto' && /libsodium/.test(args.importer)
            if (
              !sodiumProbe &&
              (args.path.startsWith('node:') || (!args.path.startsWith('.') && forbidden.has(bare)))
            ) {
              reached.push(`${args.path} (from ${args.importer})`)
              return { path: args.path, external: true }
            }
            return undefined
          })
        }
      }
    ]
  })
  expect(reached).toEqual([])
  expect(result.outputFiles[0]!.text).toContain('HANDSHAKE_REPLY')
  // none of our isomorphic sources names Buffer
  const ours = Object.keys(result.metafile?.inputs ?? {}).filter((f) =>
    /packages\/(relay|wire|codec|events)\/src\//.test(f)
  )
  for (const f of ours) expect(readFileSync(f, 'utf8')).not.toMatch(/\bBuffer\b/)
  expect(ours.some((f) => f.includes('relay/src/client/relay-dht.ts'))).toBe(true)
})
