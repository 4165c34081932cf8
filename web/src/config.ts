/**
 * Where the app finds its relay. The server that serves the app (`pnpm start`, or Vite's dev
 * server) answers `/config.json`; a `?relay=ws://…` query overrides it. The last config seen is
 * kept in localStorage so an offline start (the service worker may also have a cached copy) still
 * knows its relay and dials it once the network is back.
 */

/** What `/config.json` holds. */
export interface AppConfig {
  /** The relay's WebSocket URL, e.g. `ws://127.0.0.1:8787`. */
  relay: string
  /** The DHT bootstrap nodes the relay is on (`host:port`), for native peers; informational here. */
  bootstrap?: string[]
  /**
   * Public keys (hex) of blind peers that keep the open notebook's cores while every tab is closed
   * (`pnpm start` runs one beside its relay). None: a notebook is there only while a peer has it.
   */
  blindPeers?: string[]
}

const STORED = 'orchard-notebook:config'
const FALLBACK: AppConfig = { relay: 'ws://127.0.0.1:8787' }

function isConfig(x: unknown): x is AppConfig {
  if (typeof x !== 'object' || x === null || typeof (x as AppConfig).relay !== 'string') return false
  const blind = (x as AppConfig).blindPeers
  return blind === undefined || (Array.isArray(blind) && blind.every((k) => typeof k === 'string'))
}

function stored(): AppConfig | null {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(STORED) ?? 'null')
    return isConfig(parsed) ? parsed : null
  } catch {
    return null
  }
}

/** Loads the config: `?relay=` first, then `/config.json`, then the last one seen, then the default. */
export async function loadConfig(): Promise<AppConfig> {
  const override = new URLSearchParams(location.search).get('relay')
  if (override) return { relay: override }
  try {
    const res = await fetch(new URL('config.json', location.href), { cache: 'no-store' })
    if (res.ok) {
      const parsed: unknown = await res.json()
      if (isConfig(parsed)) {
        localStorage.setItem(STORED, JSON.stringify(parsed))
        return parsed
      }
    }
  } catch {
    // offline: fall through to what we saw last
  }
  return stored() ?? FALLBACK
}
