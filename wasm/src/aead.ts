// The constructions libsodium builds from the stream ciphers and Poly1305, as hypercore's stack
// uses them:
//   ChaCha20-Poly1305-IETF (RFC 8439 §2.8)        the Noise handshake's cipher
//   crypto_secretstream_xchacha20poly1305         @hyperswarm/secret-stream's frames
//   crypto_stream_xor (XSalsa20)                   hypercore block encryption
//   crypto_secretbox_easy (XSalsa20-Poly1305)      the DHT
// Inputs and outputs are separate regions the loader lays out (except where noted); the Poly1305
// state, keystream scratch and subkeys live at fixed addresses below the arena (layout.ts).

import { KS, MAC, POLY, SUBKEY, TAG_BLOCK, ZERO16 } from './layout'
import { equal16, polyFinish, polyInit, polyUpdate } from './poly1305'
import { chacha20Xor, salsa20Xor } from './stream'
import { chachaXor1, hchacha20, hsalsa20, salsaXor1 } from './stream.generated'

/** Zeroes the key-derived scratch (Poly1305 state, keystream, subkey, tag) before a call returns. */
function wipe(): void {
  memory.fill(POLY, 0, ZERO16 - POLY)
}

/** Keys POLY with the first 32 bytes of ChaCha20 block `ctr`. */
function polyKeyChaCha(k: usize, ctr: u32, n: usize): void {
  memory.fill(KS, 0, 64)
  chachaXor1(KS, KS, k, ctr, n)
  polyInit(POLY, KS)
}

/** Absorbs (16 − len mod 16) mod 16 zero bytes: RFC 8439's padding to a whole block. */
// @ts-ignore: decorator
@inline function padTo16(len: usize): void {
  polyUpdate(POLY, ZERO16, (16 - (len & 15)) & 15)
}

/** Absorbs two u64 little-endian lengths. */
function lengths(a: u64, b: u64): void {
  store<u64>(KS, a, 0)
  store<u64>(KS, b, 8)
  polyUpdate(POLY, KS, 16)
}

/** The RFC 8439 tag over ad and the ciphertext c, written to out. */
function aeadTag(ad: usize, adLen: usize, c: usize, cLen: usize, out: usize): void {
  polyUpdate(POLY, ad, adLen)
  padTo16(adLen)
  polyUpdate(POLY, c, cLen)
  padTo16(cLen)
  lengths(<u64>adLen, <u64>cLen)
  polyFinish(POLY, out)
}

/** ChaCha20-Poly1305-IETF encryption: out = ciphertext (mLen) ‖ tag (16). */
export function aeadEncrypt(k: usize, n: usize, ad: usize, adLen: usize, m: usize, mLen: usize, out: usize): void {
  polyKeyChaCha(k, 0, n)
  chacha20Xor(out, m, mLen, k, 1, n)
  aeadTag(ad, adLen, out, mLen, out + mLen)
  wipe()
}

/** ChaCha20-Poly1305-IETF decryption of c (cLen bytes, tag after them) into out; 0, or -1 if forged. */
export function aeadDecrypt(k: usize, n: usize, ad: usize, adLen: usize, c: usize, cLen: usize, out: usize): i32 {
  polyKeyChaCha(k, 0, n)
  aeadTag(ad, adLen, c, cLen, MAC)
  const ok = equal16(MAC, c + cLen)
  if (ok) chacha20Xor(out, c, cLen, k, 1, n)
  wipe()
  return ok ? 0 : -1
}

// Secretstream state (44 bytes): k (32) ‖ counter (u32 LE) ‖ inonce (8). Counter ‖ inonce is the
// 12-byte ChaCha20-IETF nonce of every message.
const S_NONCE: usize = 32
const S_INONCE: usize = 36
const TAG_REKEY: u32 = 2

/** init_push / init_pull: k = HChaCha20(key, header[0..16]), counter 1, inonce = header[16..24]. */
export function streamInit(s: usize, key: usize, header: usize): void {
  hchacha20(s, key, header)
  store<u32>(s, 1, S_NONCE)
  memory.copy(s + S_INONCE, header + 16, 8)
}

/** The MAC of one message: Poly1305 keyed by block 0, over the 64-byte tag block, c, padding, lengths. */
function streamMac(s: usize, block: usize, c: usize, cLen: usize, out: usize): void {
  polyKeyChaCha(s, 0, s + S_NONCE)
  polyUpdate(POLY, block, 64)
  polyUpdate(POLY, c, cLen)
  // libsodium pads by (0x10 − 64 + mlen) & 0xf, i.e. mlen mod 16 zero bytes (not to a whole
  // block); the format is whatever that code does, so this does the same.
  polyUpdate(POLY, ZERO16, cLen & 15)
  lengths(0, 64 + <u64>cLen)
  polyFinish(POLY, out)
}

/** After a message: inonce ^= mac[0..8], counter + 1, and a rekey on TAG_REKEY or counter wrap. */
function streamAdvance(s: usize, mac: usize, tag: u32): void {
  store<u64>(s + S_INONCE, load<u64>(s + S_INONCE) ^ load<u64>(mac))
  const counter = load<u32>(s, S_NONCE) + 1
  store<u32>(s, counter, S_NONCE)
  if ((tag & TAG_REKEY) != 0 || counter == 0) {
    // k ‖ inonce := ChaCha20(k, nonce) from block 0 XOR (k ‖ inonce); counter back to 1.
    // (In TAG_BLOCK, which the message no longer needs: a partial block's keystream goes to KS.)
    const buf = TAG_BLOCK
    memory.copy(buf, s, 32)
    memory.copy(buf + 32, s + S_INONCE, 8)
    chacha20Xor(buf, buf, 40, s, 0, s + S_NONCE)
    memory.copy(s, buf, 32)
    memory.copy(s + S_INONCE, buf + 32, 8)
    store<u32>(s, 1, S_NONCE)
  }
}

/** Pushes m (mLen bytes) with `tag`: out = encrypted tag (1) ‖ c (mLen) ‖ mac (16). */
export function streamPush(s: usize, out: usize, m: usize, mLen: usize, tag: u32): void {
  // The tag block: the tag byte and 63 zeros, encrypted with block 1; all 64 bytes are MACed.
  const block = TAG_BLOCK
  memory.fill(block, 0, 64)
  store<u8>(block, <u8>tag)
  chachaXor1(block, block, s, 1, s + S_NONCE)
  store<u8>(out, load<u8>(block))
  chacha20Xor(out + 1, m, mLen, s, 2, s + S_NONCE)
  streamMac(s, block, out + 1, mLen, out + 1 + mLen)
  streamAdvance(s, out + 1 + mLen, tag)
  wipe()
}

/**
 * Pulls the message c (cLen ≥ 17 bytes) into out (cLen − 17 bytes); returns its tag, or -1 if it is
 * forged (then the state is unchanged).
 */
export function streamPull(s: usize, out: usize, c: usize, cLen: usize): i32 {
  const mLen = cLen - 17
  const block = TAG_BLOCK
  memory.fill(block, 0, 64)
  store<u8>(block, load<u8>(c))
  chachaXor1(block, block, s, 1, s + S_NONCE)
  const tag = <u32>load<u8>(block)
  store<u8>(block, load<u8>(c))
  const mac = MAC
  streamMac(s, block, c + 1, mLen, mac)
  const ok = equal16(mac, c + 1 + mLen)
  if (ok) {
    chacha20Xor(out, c + 1, mLen, s, 2, s + S_NONCE)
    streamAdvance(s, mac, tag)
  }
  wipe()
  return ok ? <i32>tag : -1
}

/** crypto_stream_xor: XSalsa20 of (k, 24-byte n) from block 0; dst may equal src. */
export function xsalsa20Xor(dst: usize, src: usize, len: usize, k: usize, n: usize): void {
  hsalsa20(SUBKEY, k, n)
  salsa20Xor(dst, src, len, SUBKEY, 0, n + 16)
  wipe()
}

/** Keys POLY with XSalsa20 keystream bytes 0..32 and leaves bytes 32..64 at KS + 32. */
function secretboxKeys(k: usize, n: usize): void {
  hsalsa20(SUBKEY, k, n)
  memory.fill(KS, 0, 64)
  salsaXor1(KS, KS, SUBKEY, 0, n + 16)
  polyInit(POLY, KS)
}

/** XORs m into dst with the XSalsa20 keystream from byte 32 on (block 0's second half, then block 1…). */
function secretboxXor(dst: usize, m: usize, mLen: usize, n: usize): void {
  const head = min<usize>(mLen, 32)
  for (let i: usize = 0; i < head; i++) store<u8>(dst + i, load<u8>(m + i) ^ load<u8>(KS + 32 + i))
  if (mLen > 32) salsa20Xor(dst + 32, m + 32, mLen - 32, SUBKEY, 1, n + 16)
}

/** crypto_secretbox_easy: out = mac (16) ‖ c (mLen). */
export function secretboxEasy(out: usize, m: usize, mLen: usize, k: usize, n: usize): void {
  secretboxKeys(k, n)
  secretboxXor(out + 16, m, mLen, n)
  polyUpdate(POLY, out + 16, mLen)
  polyFinish(POLY, out)
  wipe()
}

/** crypto_secretbox_open_easy of box (boxLen ≥ 16) into out; 0, or -1 if forged. */
export function secretboxOpen(out: usize, box: usize, boxLen: usize, k: usize, n: usize): i32 {
  const cLen = boxLen - 16
  secretboxKeys(k, n)
  polyUpdate(POLY, box + 16, cLen)
  polyFinish(POLY, MAC)
  const ok = equal16(MAC, box)
  if (ok) secretboxXor(out, box + 16, cLen, n)
  wipe()
  return ok ? 0 : -1
}
