import { playwright } from '@vitest/browser-playwright'
import { defineConfig } from 'vitest/config'
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './test/setup/chromium.ts'

/**
 * One `vitest run` drives every test in the tree:
 * - `*.test.ts` run in Node;
 * - `*.browser.test.ts` run in real Chromium (Debian's `/usr/bin/chromium`, launched by Playwright).
 * Global setups run in Node first and hand data (oracle vectors from the real Holepunch
 * packages, addresses of loopback servers) to both kinds through `provide`/`inject`.
 */

const testGlobs = ['packages/*/test/**/', 'test/**/', 'wasm/test/**/', 'e2e/']

export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          environment: 'node',
          include: testGlobs.map((g) => `${g}*.test.ts`),
          exclude: ['**/*.browser.test.ts', '**/node_modules/**'],
          testTimeout: 60_000,
          hookTimeout: 60_000
        }
      },
      {
        extends: true,
        test: {
          name: 'chromium',
          include: testGlobs.map((g) => `${g}*.browser.test.ts`),
          globalSetup: ['test/setup/crypto-vectors.ts'],
          exclude: ['**/node_modules/**'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({
              launchOptions: {
                executablePath: CHROMIUM_PATH,
                args: CHROMIUM_ARGS
              }
            }),
            instances: [{ browser: 'chromium' }]
          }
        }
      }
    ]
  }
})
