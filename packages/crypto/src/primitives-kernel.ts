/**
 * The primitives browsers get by default: the ciphers in our WebAssembly kernel (ciphers-wasm.ts),
 * Ed25519 keys, signatures and Noise DH on @noble/curves by libsodium's rules (ed25519-noble.ts),
 * and `signAsync` / `verifyAsync` on WebCrypto (ed25519-webcrypto.ts). No libsodium: it is ~190 KB
 * gzipped, most of a web app's crypto, and the kernel's ciphers are faster than its WebAssembly build.
 */
import type { KernelCiphers } from './ciphers-wasm.ts'
import { nobleEd25519 } from './ed25519-noble.ts'
import { webCryptoSignatures } from './ed25519-webcrypto.ts'
import type { Primitives } from './types.ts'

/** The kernel primitives over an instantiated kernel's ciphers. */
export function kernelPrimitives(ciphers: KernelCiphers): Primitives {
  return {
    name: 'kernel',
    ...nobleEd25519,
    ...webCryptoSignatures(nobleEd25519),
    chacha20poly1305Encrypt: (key, nonce, ad, plaintext) =>
      ciphers.chacha20poly1305Encrypt(key, nonce, ad, plaintext),
    chacha20poly1305Decrypt: (key, nonce, ad, ciphertext) =>
      ciphers.chacha20poly1305Decrypt(key, nonce, ad, ciphertext),
    secretStream: (key, header) => ciphers.secretStream(key, header),
    xsalsa20Xor: (data, nonce, key, out) => ciphers.xsalsa20Xor(data, nonce, key, out),
    secretboxEasy: (message, nonce, key) => ciphers.secretboxEasy(message, nonce, key),
    secretboxOpenEasy: (box, nonce, key) => ciphers.secretboxOpenEasy(box, nonce, key)
  }
}
