/**
 * Share links: a notebook is shared as the app's URL with `#key=<id>` in the fragment, where the id
 * is the notebook's key (its notes bee's core key) in z-base-32, as hypercore prints core ids. The
 * fragment never reaches a server. Readers accept z-base-32 or hex. No DOM, no Node: the Node CLI
 * uses this module too.
 */

import { fromZBase32, toHex, toZBase32 } from '@orchard/codec'

export { toHex }

/** The bytes of a hex string (even length, hex digits only), or null. */
export function fromHex(text: string): Uint8Array | null {
  if (!/^(?:[0-9a-f]{2})*$/i.test(text)) return null
  const out = new Uint8Array(text.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(text.slice(2 * i, 2 * i + 2), 16)
  return out
}

/** A 32-byte key from its z-base-32 (52 characters) or hex (64 characters) form, or null. */
export function parseKey(text: string): Uint8Array | null {
  const t = text.trim()
  const key = t.length === 64 ? fromHex(t) : t.length === 52 ? fromZBase32(t.toLowerCase()) : null
  return key && key.byteLength === 32 ? key : null
}

/** The notebook key in a share link (`…#key=<id>`), a bare `#key=<id>` fragment, or a bare id; else null. */
export function keyFromLink(link: string): Uint8Array | null {
  const hash = link.includes('#') ? link.slice(link.indexOf('#') + 1) : link
  const params = new URLSearchParams(hash)
  const id = params.get('key') ?? (hash.includes('=') ? null : hash)
  return id === null ? null : parseKey(id)
}

/** The share link of notebook `key` on the app at `base` (its origin and path; any fragment dropped). */
export function shareLink(base: string, key: Uint8Array): string {
  const at = base.indexOf('#')
  return `${at === -1 ? base : base.slice(0, at)}#key=${toZBase32(key)}`
}

/** z-base-32 of `bytes` (hypercore's `core.id` form: 52 characters for a 32-byte key). */
export const toZ32 = toZBase32
