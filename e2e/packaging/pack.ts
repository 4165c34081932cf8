/**
 * Orchard as a user installs it, shared by the packaging test and `pnpm bench bundle`: pack every
 * publishable workspace package with `pnpm pack` (so `publishConfig` applies and `workspace:*`
 * becomes a version), install the tarballs with npm into an empty folder with no workspace around
 * it, and build the Vite app of `web/` there.
 */
import { execFile } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** The repository root. */
export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
/** This folder: the fixtures (a Node script, a consumer, tsconfigs, the Vite app). */
export const fixtures = join(root, 'e2e', 'packaging')

export interface Manifest {
  name: string
  version: string
  private?: boolean
  license?: string
  sideEffects?: boolean
  exports?: unknown
  dependencies?: Record<string, string>
}

/** The workspace packages that publish: `packages/*` and `wasm`, minus any still marked private. */
export function publishable(): string[] {
  const dirs = [
    ...readdirSync(join(root, 'packages')).map((d) => join(root, 'packages', d)),
    join(root, 'wasm')
  ]
  return dirs.filter((d) => {
    const file = join(d, 'package.json')
    return existsSync(file) && !(JSON.parse(readFileSync(file, 'utf8')) as Manifest).private
  })
}

/** Runs `cmd` in `cwd`; on failure the error carries its stdout and stderr. */
export async function sh(cmd: string, args: string[], cwd: string, timeout = 120_000) {
  try {
    return await run(cmd, args, { cwd, timeout, maxBuffer: 64 * 1024 * 1024 })
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string }
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${e.stdout ?? ''}\n${e.stderr ?? e.message}`)
  }
}

/**
 * Packs `packages` into `dir/tarballs` and installs them into `dir/app` (both created); returns the
 * app folder. Third-party dependencies come from the registry or npm's cache.
 */
export async function packAndInstall(dir: string, packages = publishable()): Promise<string> {
  const tarballs = join(dir, 'tarballs')
  const app = join(dir, 'app')
  mkdirSync(tarballs)
  mkdirSync(app)
  // one at a time: each pack's `prepack` brings its `dist/` (and its references') up to date
  for (const pkg of packages) await sh('pnpm', ['pack', '--pack-destination', tarballs], pkg)
  copyFileSync(join(fixtures, 'app-package.json'), join(app, 'package.json'))
  const tgz = readdirSync(tarballs).map((f) => join(tarballs, f))
  await sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...tgz], app)
  return app
}

/** Builds the Vite app of `web/` inside `app` with the workspace's Vite; returns its output folder. */
export async function buildViteApp(app: string): Promise<string> {
  mkdirSync(join(app, 'web'), { recursive: true })
  for (const f of ['index.html', 'main.ts']) copyFileSync(join(fixtures, 'web', f), join(app, 'web', f))
  const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js')
  await sh(process.execPath, [vite, 'build', 'web', '--outDir', '../dist-web', '--logLevel', 'warn'], app)
  return join(app, 'dist-web')
}
