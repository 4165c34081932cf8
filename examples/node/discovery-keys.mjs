// Discovery keys: a core's key lets you read (and verify) it, so peers never announce it.
// They meet under its discovery key, a one-way hash of the key, instead.
//
//   node examples/node/discovery-keys.mjs
import assert from 'node:assert/strict'
import { discoveryKey, keyPair, ready } from '@orchard/crypto'
import { Hypercore } from '@orchard/hypercore'
import { openMemoryStorage } from '@orchard/storage'

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')

await ready() // loads the WebAssembly crypto; Hypercore does it on its own, plain functions need it

// A core signed by a key pair of our own (deterministic from a seed, for the example's sake).
const seed = new Uint8Array(32).fill(7)
const signer = keyPair(seed)
const core = new Hypercore(openMemoryStorage(), { keyPair: signer })
await core.ready()

console.log('key            ', hex(core.key))
console.log('discovery key  ', hex(core.discoveryKey))
console.log('z-base-32 id   ', core.id)

// The same discovery key, computed three ways: the session's, the static helper's, crypto's.
const same =
  hex(Hypercore.discoveryKey(core.key)) === hex(core.discoveryKey) &&
  hex(discoveryKey(core.key)) === hex(core.discoveryKey) &&
  hex(Hypercore.discoveryKey(core.id)) === hex(core.discoveryKey)
console.log('Hypercore.discoveryKey, crypto.discoveryKey and the session agree:', same)

// Hypercore derives the key from the manifest naming the signer, so the same key pair always
// gives the same core key, here or in the real hypercore.
const derived = hex(Hypercore.key(signer.publicKey)) === hex(core.key)
console.log('key from the public key alone:', derived)

await core.close()
assert.ok(same && derived)
