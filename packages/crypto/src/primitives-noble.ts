/**
 * The pure-JS primitives, for engines where WebAssembly cannot run: Ed25519 from ed25519-noble.ts
 * (with `signAsync` / `verifyAsync` on WebCrypto where it has Ed25519) and @noble/ciphers for the
 * AEADs and stream ciphers. `ready()` imports this module only when it falls back (or is asked for
 * `backend: 'js'`), so bundles fetch it only then.
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js'
import { secretbox, xsalsa20 } from '@noble/ciphers/salsa.js'
import { nobleEd25519 } from './ed25519-noble.ts'
import { webCryptoSignatures } from './ed25519-webcrypto.ts'
import { DecryptionError } from './errors.ts'
import { JsSecretStream } from './secretstream-js.ts'
import type { Primitives } from './types.ts'

export const noblePrimitives: Primitives = {
  name: 'noble',
  ...nobleEd25519,
  ...webCryptoSignatures(nobleEd25519),

  chacha20poly1305Encrypt(key, nonce, ad, plaintext) {
    return chacha20poly1305(key, nonce, ad).encrypt(plaintext)
  },

  chacha20poly1305Decrypt(key, nonce, ad, ciphertext) {
    try {
      return chacha20poly1305(key, nonce, ad).decrypt(ciphertext)
    } catch {
      throw new DecryptionError()
    }
  },

  secretStream(key, header) {
    return new JsSecretStream(key, header)
  },

  xsalsa20Xor(data, nonce, key, out) {
    return xsalsa20(key, nonce, data, out)
  },

  secretboxEasy(message, nonce, key) {
    return secretbox(key, nonce).seal(message)
  },

  secretboxOpenEasy(box, nonce, key) {
    try {
      return secretbox(key, nonce).open(box)
    } catch {
      throw new DecryptionError()
    }
  }
}
