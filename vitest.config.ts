import { playwright } from '@vitest/browser-playwright'
import { defineConfig } from 'vitest/config'

/**
 * One `vitest run` drives every test in the tree:
 * - `*.test.ts` run in Node;
 * - `*.browser.test.ts` run in real Chromium (Debian's `/usr/bin/chromium`, launched by Playwright).
 * Global setups run in Node first and hand data (oracle vectors from the real Holepunch
 * packages, addresses of loopback servers) to both kinds through `provide`/`inject`.
 */
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-features=WebRtcHideLocalIpsWithMdns'
]

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
                executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
                args: chromiumArgs
              }
            }),
            instances: [{ browser: 'chromium' }]
          }
        }
      }
    ]
  }
})
