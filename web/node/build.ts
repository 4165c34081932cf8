/** Builds the app with Vite (the config in `web/vite.config.ts`) into `outDir`. */
import { fileURLToPath } from 'node:url'
import { build } from 'vite'

/** The `web/` folder. */
export const WEB_DIR = fileURLToPath(new URL('..', import.meta.url))
/** Where `vite build` writes by default. */
export const DEFAULT_OUT_DIR = fileURLToPath(new URL('../dist', import.meta.url))

/** Runs `vite build` into `outDir` (default `web/dist`); resolves with `outDir`. */
export async function buildApp(outDir = DEFAULT_OUT_DIR): Promise<string> {
  await build({
    configFile: fileURLToPath(new URL('../vite.config.ts', import.meta.url)),
    mode: 'production',
    build: { outDir },
    logLevel: 'warn'
  })
  return outDir
}
