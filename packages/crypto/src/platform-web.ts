/**
 * What `#platform` means in browsers, workers and bundlers (every condition but `node`): no
 * libsodium by default. The ciphers run in our kernel, Ed25519 on @noble/curves, and `signAsync` /
 * `verifyAsync` on WebCrypto, so a web app does not download libsodium (~190 KB gzipped);
 * `ready({ libsodium: true })` still loads it, from a chunk of its own.
 */

/** Whether `ready()` loads libsodium unless told otherwise. */
export const LIBSODIUM_BY_DEFAULT = false
