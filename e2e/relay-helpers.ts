/**
 * Shared plumbing of the relay e2e tests: the real Holepunch packages (not dependencies of the e2e
 * package, so required through `packages/relay`), calling the test page's functions, and naming
 * a step that hangs.
 */
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'

const require = createRequire(fileURLToPath(new URL('../packages/relay/package.json', import.meta.url)))
// biome-ignore lint/suspicious/noExplicitAny: the real Holepunch packages are untyped
export type Untyped = any
export const Hyperswarm: Untyped = require('hyperswarm')
export const HyperDHT: Untyped = require('hyperdht')
export const createTestnet: (size: number, opts: { host: string }) => Promise<Untyped> =
  require('@hyperswarm/testnet')

/** Calls `window[fn](...args)` on `page` (arguments as JSON) and returns its result. */
export function pageCall<T>(page: Page, fn: string, ...args: unknown[]): Promise<T> {
  return page.evaluate(`window.${fn}(${args.map((a) => JSON.stringify(a)).join(', ')})`) as Promise<T>
}

/**
 * Rejects when `p` takes longer than `ms` (so a stuck step fails with a name, not a timeout),
 * adding what `explain` tells about the state then.
 */
export function within<T>(
  p: Promise<T>,
  ms: number,
  what: string,
  explain?: () => Promise<string>
): Promise<T> {
  let timer: ReturnType<typeof setTimeout>
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(async () => {
      const why = explain ? await explain().catch((e: Error) => e.message) : ''
      reject(new Error(`${what}: no result in ${ms} ms ${why}`.trim()))
    }, ms)
  })
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}
