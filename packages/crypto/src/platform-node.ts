/**
 * What `#platform` means under Node (the `node` condition of package.json `imports`): libsodium is
 * the default for signatures, Noise DH and the ciphers. Its WebAssembly build signs and verifies
 * several times faster than @noble/curves, and there its ~190 KB gzipped costs no download.
 */

/** Whether `ready()` loads libsodium unless told otherwise. */
export const LIBSODIUM_BY_DEFAULT = true
