/**
 * The real Holepunch/libsodium packages used as oracles (Node only): hypercore-crypto and
 * sodium-native are devDependencies of this package; flat-tree, noise-curve-ed and noise-handshake
 * are resolved from the interop-test package's @hyperswarm/secret-stream, the way hyperswarm uses them.
 */
import { createRequire } from 'node:module'
import hypercoreCrypto from 'hypercore-crypto'
import sodium from 'sodium-native'

const fromInterop = createRequire(new URL('../../../test/package.json', import.meta.url))
const fromSecretStream = createRequire(fromInterop.resolve('@hyperswarm/secret-stream'))

export const hc = hypercoreCrypto
export const na = sodium
export const flatTree = fromInterop('flat-tree')
export const curve = fromSecretStream('noise-curve-ed') as {
  dh(publicKey: Uint8Array, keyPair: { secretKey: Uint8Array }): Uint8Array
}
export const noiseHmac = fromSecretStream('noise-handshake/hmac') as (
  out: Uint8Array,
  batch: Uint8Array[],
  key: Uint8Array
) => void

export const buf = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength)
