/**
 * Manifests: who may sign a core. A core's key is `BLAKE2b-256(MANIFEST ‖ encode(manifest))`, so
 * the manifest is self-certifying: a peer sends it, we hash it and compare with the key.
 * Encodings are hypercore 11's (versions 0–2; the decoder accepts version 3 like hypercore does).
 */
import { array, type Codec, CodecError, decode, encode, fixed32, uint } from '@orchard/codec'
import { blake2bBatch } from '@orchard/crypto'
import { DEFAULT_NAMESPACE, MANIFEST } from './caps.ts'
import { BadArgumentError, InvalidManifestError } from './errors.ts'

/** A signer of a manifest: who signs, under which namespace. */
export interface Signer {
  /** The signature scheme; hypercore has only Ed25519. */
  signature: 'ed25519'
  /** The 32-byte namespace mixed into what is signed. */
  namespace: Uint8Array
  /** The signer's 32-byte public key. */
  publicKey: Uint8Array
}

/** A prologue: the core must start with the first `length` blocks whose tree hashes to `hash`. */
export interface Prologue {
  /** The tree hash of the prologue blocks. */
  hash: Uint8Array
  /** How many blocks the prologue covers. */
  length: number
}

/** Who may sign a core and how; the core's key is this manifest's hash. */
export interface Manifest {
  /** Encoding version (0–2). */
  version: number
  /** The tree hash function; hypercore has only BLAKE2b. */
  hash: 'blake2b'
  /** Whether a signer may patch (sign a length extending another signer's signed length). */
  allowPatch: boolean
  /** How many signers must sign a length. */
  quorum: number
  /** The signers. */
  signers: Signer[]
  /** Blocks the core must start with, or null. */
  prologue: Prologue | null
  /** Keys of cores linked to this one (version 2), or null. */
  linked: Uint8Array[] | null
  /** Application bytes hashed into the key (version 2), or null. */
  userData: Uint8Array | null
}

/** What `createManifest` accepts: everything but the signers' public keys is optional. */
export interface ManifestInput {
  /** Default 1. */
  version?: number
  /** Only `'blake2b'` (the default). */
  hash?: string
  /** Default false. */
  allowPatch?: boolean
  /** Default: a majority of the signers. */
  quorum?: number
  /** The signers; only the public key is required. */
  signers?: Array<{
    /** The signer's 32-byte public key. */
    publicKey: Uint8Array
    /** Default: hypercore's default signer namespace. */
    namespace?: Uint8Array
    /** Only `'ed25519'` (the default). */
    signature?: string
  }>
  /** Default none. */
  prologue?: Prologue | null
  /** Default none. */
  linked?: Uint8Array[] | null
  /** Default none. */
  userData?: Uint8Array | null
}

const PATCH = 1
const PROLOGUE = 2
const LINKED = 4
const USER_DATA = 8

/** Normalises `input` with hypercore's defaults (version 1, quorum = majority, default namespace). */
export function createManifest(input: ManifestInput): Manifest {
  if (input.hash !== undefined && input.hash !== 'blake2b')
    throw new BadArgumentError('only BLAKE2b manifests are supported')
  const signers = (input.signers ?? []).map((s): Signer => {
    if (!(s?.publicKey instanceof Uint8Array) || s.publicKey.byteLength !== 32) {
      throw new BadArgumentError('a signer needs a 32-byte public key')
    }
    if (s.signature !== undefined && s.signature !== 'ed25519')
      throw new BadArgumentError('only Ed25519 signers are supported')
    const ns = s.namespace ?? DEFAULT_NAMESPACE
    if (!(ns instanceof Uint8Array) || ns.byteLength !== 32)
      throw new BadArgumentError('a signer namespace is 32 bytes')
    return { signature: 'ed25519', namespace: ns.slice(), publicKey: s.publicKey.slice() }
  })
  const version = input.version ?? (input.linked?.length || input.userData ? 2 : 1)
  const quorum = input.quorum ?? (signers.length === 0 ? 0 : (signers.length >> 1) + 1)
  if (!Number.isInteger(quorum) || quorum < 0)
    throw new BadArgumentError('quorum must be a non-negative integer')
  if (quorum > signers.length) throw new BadArgumentError('quorum is higher than the number of signers')
  let prologue: Prologue | null = null
  if (input.prologue) {
    const { hash, length } = input.prologue
    if (
      !(hash instanceof Uint8Array) ||
      hash.byteLength !== 32 ||
      !Number.isSafeInteger(length) ||
      length < 0
    ) {
      throw new BadArgumentError('invalid prologue')
    }
    prologue = { hash: hash.slice(), length }
  }
  const userData = input.userData ?? null
  if (userData !== null && version < 2) throw new BadArgumentError('userData needs a version 2 manifest')
  let linked: Uint8Array[] | null = null
  if (input.linked?.length) {
    if (version < 2) throw new BadArgumentError('linked needs a version 2 manifest')
    linked = input.linked.map((k) => {
      if (!(k instanceof Uint8Array) || k.byteLength !== 32)
        throw new BadArgumentError('linked keys are 32 bytes')
      return k.slice()
    })
  }
  return {
    version,
    hash: 'blake2b',
    allowPatch: !!input.allowPatch,
    quorum,
    signers,
    prologue,
    linked,
    userData
  }
}

/** The default manifest of a core created from a key pair: one Ed25519 signer. */
export function defaultManifest(publicKey: Uint8Array): Manifest {
  return createManifest({ signers: [{ publicKey }] })
}

function enumCodec(name: string, value: string): Codec<string> {
  return {
    preencode(s) {
      s.end += 1
    },
    encode(s, v) {
      if (v !== value) throw new CodecError('INVALID_VALUE', `unknown ${name}: ${v}`)
      uint.encode(s, 0)
    },
    decode(s) {
      const n = uint.decode(s)
      if (n !== 0) throw new CodecError('INVALID_ENCODING', `unknown ${name} id ${n}`)
      return value
    }
  }
}

const hashType = enumCodec('hash', 'blake2b')
const signatureType = enumCodec('signature', 'ed25519')

const signerCodec: Codec<Signer> = {
  preencode(s, m) {
    signatureType.preencode(s, m.signature)
    fixed32.preencode(s, m.namespace)
    fixed32.preencode(s, m.publicKey)
  },
  encode(s, m) {
    signatureType.encode(s, m.signature)
    fixed32.encode(s, m.namespace)
    fixed32.encode(s, m.publicKey)
  },
  decode(s) {
    return {
      signature: signatureType.decode(s) as 'ed25519',
      namespace: fixed32.decode(s),
      publicKey: fixed32.decode(s)
    }
  }
}
const signerArray = array(signerCodec)
const keyArray = array(fixed32)

function isSingleSigner(m: Manifest): boolean {
  return m.quorum === 1 && m.signers.length === 1 && !m.allowPatch
}

/** hypercore's `messages.manifest`: byte-identical encoding of every version. */
export const manifestCodec: Codec<Manifest> = {
  preencode(s, m) {
    uint.preencode(s, m.version)
    if (m.version === 0) {
      hashType.preencode(s, m.hash)
      s.end += 1 // type
      if (m.prologue && m.signers.length === 0) s.end += 32
      else if (isSingleSigner(m)) signerCodec.preencode(s, m.signers[0]!)
      else {
        s.end += 1 // flags
        uint.preencode(s, m.quorum)
        signerArray.preencode(s, m.signers)
      }
      return
    }
    s.end += 1 // flags
    hashType.preencode(s, m.hash)
    uint.preencode(s, m.quorum)
    signerArray.preencode(s, m.signers)
    if (m.prologue) {
      fixed32.preencode(s, m.prologue.hash)
      uint.preencode(s, m.prologue.length)
    }
    if (m.linked) keyArray.preencode(s, m.linked)
    if (m.userData) {
      uint.preencode(s, m.userData.byteLength)
      s.end += m.userData.byteLength
    }
  },
  encode(s, m) {
    uint.encode(s, m.version)
    if (m.version === 0) {
      hashType.encode(s, m.hash)
      if (m.prologue && m.signers.length === 0) {
        uint.encode(s, 0)
        fixed32.encode(s, m.prologue.hash)
      } else if (isSingleSigner(m)) {
        uint.encode(s, 1)
        signerCodec.encode(s, m.signers[0]!)
      } else {
        uint.encode(s, 2)
        uint.encode(s, m.allowPatch ? 1 : 0)
        uint.encode(s, m.quorum)
        signerArray.encode(s, m.signers)
      }
      return
    }
    const flags =
      (m.allowPatch ? PATCH : 0) |
      (m.prologue ? PROLOGUE : 0) |
      (m.linked ? LINKED : 0) |
      (m.userData ? USER_DATA : 0)
    uint.encode(s, flags)
    hashType.encode(s, m.hash)
    uint.encode(s, m.quorum)
    signerArray.encode(s, m.signers)
    if (m.prologue) {
      fixed32.encode(s, m.prologue.hash)
      uint.encode(s, m.prologue.length)
    }
    if (m.linked) keyArray.encode(s, m.linked)
    if (m.userData) {
      uint.encode(s, m.userData.byteLength)
      s.buffer.set(m.userData, s.start)
      s.start += m.userData.byteLength
    }
  },
  decode(s) {
    const version = uint.decode(s)
    if (version === 0) {
      const hash = hashType.decode(s) as 'blake2b'
      const type = uint.decode(s)
      const base = { version: 0, hash, linked: null, userData: null }
      if (type === 0) {
        return {
          ...base,
          allowPatch: false,
          quorum: 0,
          signers: [],
          prologue: { hash: fixed32.decode(s), length: 0 }
        }
      }
      if (type === 1)
        return { ...base, allowPatch: false, quorum: 1, signers: [signerCodec.decode(s)], prologue: null }
      if (type !== 2) throw new CodecError('INVALID_ENCODING', `unknown version-0 manifest type ${type}`)
      const flags = uint.decode(s)
      return {
        ...base,
        allowPatch: (flags & 1) !== 0,
        quorum: uint.decode(s),
        signers: signerArray.decode(s),
        prologue: null
      }
    }
    if (version > 3) throw new CodecError('INVALID_ENCODING', `unknown manifest version ${version}`)
    const flags = uint.decode(s)
    const hash = hashType.decode(s) as 'blake2b'
    const quorum = uint.decode(s)
    const signers = signerArray.decode(s)
    const prologue = flags & PROLOGUE ? { hash: fixed32.decode(s), length: uint.decode(s) } : null
    const linked = flags & LINKED ? keyArray.decode(s) : null
    let userData: Uint8Array | null = null
    if (flags & USER_DATA) {
      const len = uint.decode(s)
      if (s.end - s.start < len) throw new CodecError('TRUNCATED', 'manifest userData is truncated')
      userData = s.buffer.subarray(s.start, s.start + len)
      s.start += len
    }
    return { version, hash, allowPatch: (flags & PATCH) !== 0, quorum, signers, prologue, linked, userData }
  }
}

/** The manifest's bytes, as hypercore encodes them (what its hash, the core key, is taken over). */
export function encodeManifest(manifest: Manifest): Uint8Array {
  return encode(manifestCodec, manifest)
}

/** Decodes a stored or received manifest; malformed bytes raise `InvalidManifestError`. */
export function decodeManifest(bytes: Uint8Array): Manifest {
  let m: Manifest
  try {
    m = decode(manifestCodec, bytes)
  } catch (err) {
    throw new InvalidManifestError('the manifest does not decode', { cause: err })
  }
  if (m.quorum > m.signers.length) throw new InvalidManifestError('the manifest quorum exceeds its signers')
  return m
}

/** The core key of `manifest`: `BLAKE2b-256(MANIFEST ‖ encode(manifest))`. */
export function manifestHash(manifest: Manifest): Uint8Array {
  return blake2bBatch([MANIFEST, encodeManifest(manifest)], 32)
}

/** A compat core: its key is its single signer's public key. */
export function isCompat(key: Uint8Array, manifest: Manifest | null): boolean {
  if (manifest?.signers.length !== 1) return false
  const pk = manifest.signers[0]!.publicKey
  if (pk.byteLength !== key.byteLength) return false
  for (let i = 0; i < pk.byteLength; i++) if (pk[i] !== key[i]) return false
  return true
}

/**
 * The key of a core signed per `manifest` — or, given a 32-byte public key, by that one signer
 * (with `version`/`namespace`) — as hypercore's `Hypercore.key` derives it; `compat` cores use
 * the signer's public key itself. An encoded manifest is decoded first.
 */
export function coreKey(
  manifest: ManifestInput | Manifest | Uint8Array,
  opts: { compat?: boolean; version?: number; namespace?: Uint8Array } = {}
): Uint8Array {
  let input: ManifestInput | Manifest
  if (manifest instanceof Uint8Array) {
    input =
      manifest.byteLength === 32
        ? { version: opts.version, signers: [{ publicKey: manifest, namespace: opts.namespace }] }
        : decodeManifest(manifest)
  } else input = manifest
  const normalised = createManifest(input as ManifestInput)
  if (opts.compat) {
    const signer = normalised.signers[0]
    if (!signer) throw new BadArgumentError('a compat key needs a signer')
    return signer.publicKey.slice()
  }
  return manifestHash(normalised)
}
