/**
 * Ed25519 through WebCrypto (`crypto.subtle`, native code in every current browser and in Node),
 * for `signAsync` / `verifyAsync` on the `kernel` and `noble` primitives, where the synchronous
 * path is pure JS and several times slower. The results are libsodium's, not WebCrypto's:
 * - signatures: Ed25519 is deterministic, so WebCrypto's equal libsodium's — provided the secret
 *   key's public half is the seed's public key, which libsodium hashes as given. A key whose halves
 *   disagree is signed on the synchronous path.
 * - verification: libsodium refuses a non-canonical S, an R or public key of small order and a
 *   non-canonical public key before the (cofactorless) equation; BoringSSL and OpenSSL check only
 *   some of these, so all of them are checked here first. What remains — the point decoding and
 *   the equation — is the same computation everywhere.
 * Where WebCrypto has no Ed25519 (older engines), or a known-answer self-test fails, everything
 * runs on the synchronous primitives.
 */
import { hasSmallOrder, isCanonicalY } from './ed25519-noble.ts'
import type { Primitives } from './types.ts'

type SignFns = Pick<Primitives, 'sign' | 'verify' | 'keyPair'>

/** PKCS #8 (RFC 8410) wrapping of a 32-byte Ed25519 seed: this prefix, then the seed. */
const PKCS8_PREFIX = [
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20
]
/** The group order L, little-endian: a canonical S is below it. */
const ORDER = [
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10
]
/** Public keys kept imported (verification mostly repeats a few keys: a core's, a writer's). */
const PUBLIC_KEY_CACHE = 64

const fromHex = (s: string) => Uint8Array.from(s.match(/../g) ?? [], (h) => Number.parseInt(h, 16))
// RFC 8032 §7.1, TEST 2 (a one-byte message): the self-test a platform must pass to be used.
const KAT_SEED = fromHex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb')
const KAT_PUBLIC = fromHex('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c')
const KAT_SIGNATURE = fromHex(
  '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00'
)

function hex(bytes: Uint8Array): string {
  let s = ''
  for (let i = 0; i < bytes.byteLength; i++) s += bytes[i]!.toString(16).padStart(2, '0')
  return s
}

function isCanonicalScalar(s: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    if (s[i]! !== ORDER[i]!) return s[i]! < ORDER[i]!
  }
  return false // equal to L
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  let diff = 0
  for (let i = 0; i < a.byteLength; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

function pkcs8(seed: Uint8Array): Uint8Array<ArrayBuffer> {
  const der = new Uint8Array(48)
  der.set(PKCS8_PREFIX)
  der.set(seed, 16)
  return der
}

/** A secret key imported for signing, with the bytes it was imported from. */
interface SigningKey {
  bytes: Uint8Array
  key: Promise<CryptoKey | null>
}

/** The async signature functions over WebCrypto, falling back to `sync`. */
export interface AsyncSignatures {
  signAsync(message: Uint8Array, secretKey: Uint8Array): Promise<Uint8Array>
  verifyAsync(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): Promise<boolean>
}

/** `signAsync` / `verifyAsync` on WebCrypto where it passes the self-test, else on `sync`. */
export function webCryptoSignatures(sync: SignFns): AsyncSignatures {
  let usable: Promise<boolean> | null = null
  // By object, checked against its bytes on each use (a caller may overwrite a key in place).
  const signingKeys = new WeakMap<Uint8Array, SigningKey>()
  const publicKeys = new Map<string, Promise<CryptoKey | null>>()

  const subtle = (): SubtleCrypto | undefined => globalThis.crypto?.subtle

  async function selfTest(): Promise<boolean> {
    try {
      const s = subtle()
      if (!s) return false
      const key = await s.importKey('pkcs8', pkcs8(KAT_SEED), 'Ed25519', false, ['sign'])
      const sig = new Uint8Array(await s.sign('Ed25519', key, new Uint8Array([0x72])))
      const pub = await s.importKey('raw', KAT_PUBLIC, 'Ed25519', false, ['verify'])
      const ok = await s.verify('Ed25519', pub, KAT_SIGNATURE, new Uint8Array([0x72]))
      return ok && equalBytes(sig, KAT_SIGNATURE)
    } catch {
      return false
    }
  }

  /** The imported key for `bytes`, the current contents of the caller's `secretKey`. */
  function signingKey(secretKey: Uint8Array, bytes: Uint8Array): Promise<CryptoKey | null> {
    const cached = signingKeys.get(secretKey)
    if (cached && equalBytes(cached.bytes, bytes)) return cached.key
    const seed = bytes.subarray(0, 32)
    // libsodium hashes the public half as given: WebCrypto derives it, so they must agree.
    const matches = equalBytes(sync.keyPair(seed).publicKey, bytes.subarray(32))
    const key = matches
      ? subtle()!
          .importKey('pkcs8', pkcs8(seed), 'Ed25519', false, ['sign'])
          .catch(() => null)
      : Promise.resolve(null)
    signingKeys.set(secretKey, { bytes, key })
    return key
  }

  /** The imported key for `publicKey` (a copy the caller no longer touches). */
  function verifyingKey(publicKey: Uint8Array<ArrayBuffer>): Promise<CryptoKey | null> {
    const id = hex(publicKey)
    let key = publicKeys.get(id)
    if (key) {
      publicKeys.delete(id) // re-inserted below: the map's order is least recently used first
    } else {
      key = subtle()!
        .importKey('raw', publicKey, 'Ed25519', false, ['verify'])
        .catch(() => null)
      if (publicKeys.size >= PUBLIC_KEY_CACHE) publicKeys.delete(publicKeys.keys().next().value!)
    }
    publicKeys.set(id, key)
    return key
  }

  return {
    async signAsync(message, secretKey) {
      // Copies first: the caller may reuse its buffers while this waits.
      const m = message.slice()
      const sk = secretKey.slice()
      usable ??= selfTest()
      if (!(await usable)) return sync.sign(m, sk)
      const key = await signingKey(secretKey, sk)
      if (key === null) return sync.sign(m, sk)
      try {
        return new Uint8Array(await subtle()!.sign('Ed25519', key, m))
      } catch {
        return sync.sign(m, sk) // WebCrypto failed (it should not): the same signature, slower
      }
    },

    async verifyAsync(message, signature, publicKey) {
      const m = message.slice()
      const sig = signature.slice()
      const pk = publicKey.slice()
      usable ??= selfTest()
      if (!(await usable)) return sync.verify(m, sig, pk)
      const R = sig.subarray(0, 32)
      if (!isCanonicalScalar(sig.subarray(32)) || hasSmallOrder(R)) return false
      if (!isCanonicalY(pk) || hasSmallOrder(pk)) return false
      const key = await verifyingKey(pk)
      // Not importable: not a point, which libsodium refuses too — but let it decide.
      if (key === null) return sync.verify(m, sig, pk)
      try {
        return await subtle()!.verify('Ed25519', key, sig, m)
      } catch {
        return sync.verify(m, sig, pk) // WebCrypto failed (it should not): the same decision, slower
      }
    }
  }
}
