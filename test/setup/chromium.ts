/**
 * How every test launches Chromium: Debian's binary (or `CHROMIUM_PATH`) with one set of flags —
 * headless, no sandbox (CI runs as root), nothing that reaches the network on its own, and WebRTC
 * allowed to show real local addresses (its tests run in a private network namespace).
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export const CHROMIUM_ARGS = [
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
