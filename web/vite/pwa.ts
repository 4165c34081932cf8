/**
 * The Vite side of the PWA:
 * - defines `__ORCHARD_SERVICE_WORKER__`: true in builds (the app registers `sw.js`), false in dev;
 * - emits the PNG icons (`icons.ts`) into the build, and serves them in dev;
 * - in dev, answers `/config.json` (the relay's URL: `ORCHARD_RELAY`, default the relay CLI's
 *   `ws://127.0.0.1:8787`); `pnpm start` serves the built app and its own config;
 * - after the build is written, writes the precache manifest into `sw.js`: every file of the
 *   output (but `sw.js`), and a version hashed from their contents, so a build that changes any
 *   file installs a new cache.
 */
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, relative, resolve, sep } from 'node:path'
import type { Plugin } from 'vite'
import { pngIcons } from './icons.ts'

/** The identifier in `src/sw.ts` the manifest replaces. */
const PLACEHOLDER = 'ORCHARD_PRECACHE'
/** The service worker's file name in the output. */
export const SW_FILE = 'sw.js'
/** The relay a dev server points the app at. */
const DEV_RELAY = 'ws://127.0.0.1:8787'

function filesUnder(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...filesUnder(path))
    else out.push(path)
  }
  return out
}

/** Writes the precache manifest of the build in `outDir` into its `sw.js`; returns the manifest. */
export function writePrecacheManifest(outDir: string): { version: string; files: string[] } {
  const swPath = join(outDir, SW_FILE)
  const files = filesUnder(outDir)
    .map((f) => relative(outDir, f).split(sep).join('/'))
    .filter((f) => f !== SW_FILE && !f.endsWith('.map'))
    .sort()
  const hash = createHash('sha256')
  for (const f of files) hash.update(f).update(readFileSync(join(outDir, f)))
  const manifest = { version: hash.digest('hex').slice(0, 16), files }
  const code = readFileSync(swPath, 'utf8')
  if (!code.includes(PLACEHOLDER)) throw new Error(`${swPath} has no ${PLACEHOLDER} to replace`)
  writeFileSync(swPath, code.replaceAll(PLACEHOLDER, JSON.stringify(manifest)))
  return manifest
}

/** The plugin (see the module doc). */
export function pwa(): Plugin {
  let outDir = ''
  return {
    name: 'orchard-notebook-pwa',
    // the app registers its service worker in builds only (decided here, not by NODE_ENV, which a
    // build run under a test runner inherits as `test`)
    config(_config, env) {
      return { define: { __ORCHARD_SERVICE_WORKER__: JSON.stringify(env.command === 'build') } }
    },
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir)
    },
    configureServer(server) {
      const icons = pngIcons()
      server.middlewares.use((req, res, next) => {
        const path = (req.url ?? '/').split('?')[0]!.replace(/^\//, '')
        const icon = icons.get(path)
        if (icon) {
          res.setHeader('content-type', 'image/png')
          res.end(icon)
        } else if (path === 'config.json') {
          res.setHeader('content-type', 'application/json')
          res.end(JSON.stringify({ relay: process.env.ORCHARD_RELAY ?? DEV_RELAY }))
        } else next()
      })
    },
    generateBundle() {
      for (const [fileName, source] of pngIcons()) this.emitFile({ type: 'asset', fileName, source })
    },
    writeBundle: {
      // after every other plugin has written its files (index.html included)
      order: 'post',
      handler() {
        writePrecacheManifest(outDir)
      }
    }
  }
}
