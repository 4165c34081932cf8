/**
 * The service worker: precaches the built app shell so the app opens with no network, and serves
 * it cache-first. The list of files and the cache's version are written into this file by the
 * build (`vite/pwa.ts` replaces `ORCHARD_PRECACHE`), so every build that changes a file gets a new
 * cache and the old one is dropped once the new worker activates.
 *
 * - navigations: the cached `index.html` (the app routes by the URL's fragment);
 * - precached files: cache first;
 * - `config.json` (where the relay is): network first, the last copy when offline;
 * - anything else: the network, untouched.
 */

/** The build's precache manifest (replaced by a literal at build time). */
declare const ORCHARD_PRECACHE: { version: string; files: string[] }

const sw = globalThis as unknown as ServiceWorkerGlobalScope
const precache = ORCHARD_PRECACHE
const PREFIX = 'orchard-notebook-'
const SHELL = `${PREFIX}shell-${precache.version}`
const RUNTIME = `${PREFIX}runtime`
const scope = new URL(sw.registration.scope)
const shellUrls = new Set(precache.files.map((f) => new URL(f, scope).href))
const indexUrl = new URL('index.html', scope).href
const configUrl = new URL('config.json', scope).href

sw.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL)
      // `reload`: straight from the server, never from the HTTP cache of an older build
      await cache.addAll([...shellUrls].map((url) => new Request(url, { cache: 'reload' })))
      await sw.skipWaiting()
    })()
  )
})

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith(`${PREFIX}shell-`) && name !== SHELL) await caches.delete(name)
      }
      await sw.clients.claim()
    })()
  )
})

async function fromShell(url: string): Promise<Response> {
  const cached = await caches.match(url, { cacheName: SHELL })
  return cached ?? fetch(url)
}

async function networkFirst(request: Request): Promise<Response> {
  const cache = await caches.open(RUNTIME)
  try {
    const response = await fetch(request)
    if (response.ok) await cache.put(request, response.clone())
    return response
  } catch (err) {
    const cached = await cache.match(request)
    if (cached) return cached
    throw err
  }
}

sw.addEventListener('fetch', (event) => {
  const { request } = event
  if (request.method !== 'GET') return
  const url = new URL(request.url)
  if (url.origin !== scope.origin) return
  url.hash = ''
  url.search = ''
  if (request.mode === 'navigate') {
    event.respondWith(fromShell(indexUrl))
  } else if (url.href === configUrl) {
    event.respondWith(networkFirst(request))
  } else if (shellUrls.has(url.href)) {
    event.respondWith(fromShell(url.href))
  }
})
