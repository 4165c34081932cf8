/**
 * Orchard Notebook's build: the app (`index.html` → `src/main.ts`) and its service worker
 * (`src/sw.ts` → `sw.js` at the root, so its scope is the whole app), plus the PWA plugin
 * (icons, dev `/config.json`, the precache manifest written into `sw.js`).
 */
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import { pwa, SW_FILE } from './vite/pwa.ts'

const root = fileURLToPath(new URL('.', import.meta.url))

export default defineConfig({
  root,
  base: './',
  plugins: [pwa()],
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    // libsodium (~530 kB) is a lazy chunk the app never loads by default
    chunkSizeWarningLimit: 600,
    rolldownOptions: {
      input: {
        main: fileURLToPath(new URL('index.html', import.meta.url)),
        sw: fileURLToPath(new URL('src/sw.ts', import.meta.url))
      },
      output: {
        entryFileNames: (chunk) => (chunk.name === 'sw' ? SW_FILE : 'assets/[name]-[hash].js')
      }
    }
  },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' }
})
