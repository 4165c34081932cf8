/**
 * Entry: registers the service worker (built app only: it precaches the app shell so the app opens
 * offline), loads the config and starts the app. The running app is `globalThis.orchardNotebook`
 * (for a look from the devtools console).
 */
import { App } from './app.ts'
import { loadConfig } from './config.ts'
import './styles.css'

/** True in builds (`vite/pwa.ts` defines it). */
declare const __ORCHARD_SERVICE_WORKER__: boolean

async function registerServiceWorker(): Promise<void> {
  if (!__ORCHARD_SERVICE_WORKER__ || !('serviceWorker' in navigator)) return
  try {
    await navigator.serviceWorker.register(new URL('sw.js', location.href), { scope: './' })
  } catch (err) {
    console.warn('orchard-notebook: no service worker, the app will not open offline', err)
  }
}

async function main(): Promise<void> {
  registerServiceWorker()
  const root = document.getElementById('app')
  if (!root) throw new Error('no #app element')
  const app = new App(root, await loadConfig())
  Object.assign(globalThis, { orchardNotebook: app })
  await app.start()
}

main().catch((err) => {
  console.error(err)
  const root = document.getElementById('app')
  if (root) root.textContent = `Orchard Notebook could not start: ${err instanceof Error ? err.message : err}`
})
