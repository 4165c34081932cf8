/**
 * The app's icons, drawn here rather than kept as binaries: a pale leaf on a green square, as
 * `public/icon.svg` draws it. The PNG sizes a web app manifest needs (192 and 512, usable as
 * maskable: the leaf stays inside the central safe zone) are rasterised with 4×4 supersampling
 * and encoded as PNG (zlib from Node, our own CRC-32).
 */
import { deflateSync } from 'node:zlib'

const GREEN = [0x2f, 0x6f, 0x4f]
const LEAF = [0xea, 0xf5, 0xee]
/** The leaf in a 512 box: a vesica between tips (256, 96) and (256, 416), 180 wide, tilted 35°. */
const HALF_LENGTH = 160
const HALF_WIDTH = 90
const RADIUS = (HALF_WIDTH ** 2 + HALF_LENGTH ** 2) / (2 * HALF_WIDTH)
const OFFSET = RADIUS - HALF_WIDTH
const TILT = (35 * Math.PI) / 180
const RIB = 7

/** Colour of the icon at (x, y) of a 512 box. */
function colourAt(x: number, y: number): number[] {
  const dx = x - 256
  const dy = y - 256
  // rotate into the leaf's frame (its axis along v)
  const u = dx * Math.cos(TILT) + dy * Math.sin(TILT)
  const v = -dx * Math.sin(TILT) + dy * Math.cos(TILT)
  const inLeaf = (u - OFFSET) ** 2 + v ** 2 <= RADIUS ** 2 && (u + OFFSET) ** 2 + v ** 2 <= RADIUS ** 2
  if (!inLeaf) return GREEN
  const onRib = Math.abs(u) < RIB && Math.abs(v) < HALF_LENGTH - 30
  return onRib ? GREEN : LEAF
}

/** RGBA pixels of the icon at `size`×`size`. */
export function drawIcon(size: number): Uint8Array {
  const out = new Uint8Array(size * size * 4)
  const scale = 512 / size
  const n = 4
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const sum = [0, 0, 0]
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const c = colourAt((x + (sx + 0.5) / n) * scale, (y + (sy + 0.5) / n) * scale)
          sum[0]! += c[0]!
          sum[1]! += c[1]!
          sum[2]! += c[2]!
        }
      }
      const at = (y * size + x) * 4
      out[at] = Math.round(sum[0]! / (n * n))
      out[at + 1] = Math.round(sum[1]! / (n * n))
      out[at + 2] = Math.round(sum[2]! / (n * n))
      out[at + 3] = 255
    }
  }
  return out
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.byteLength)
  const view = new DataView(out.buffer)
  view.setUint32(0, data.byteLength)
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i)
  out.set(data, 8)
  view.setUint32(8 + data.byteLength, crc32(out.subarray(4, 8 + data.byteLength)))
  return out
}

/** A PNG file of `width`×`height` RGBA pixels. */
export function encodePng(width: number, height: number, rgba: Uint8Array): Uint8Array {
  const header = new Uint8Array(13)
  const view = new DataView(header.buffer)
  view.setUint32(0, width)
  view.setUint32(4, height)
  header.set([8, 6, 0, 0, 0], 8) // 8-bit RGBA, deflate, no filter method, no interlace
  const raw = new Uint8Array(height * (1 + width * 4))
  for (let y = 0; y < height; y++) {
    raw[y * (1 + width * 4)] = 0 // filter: none
    raw.set(rgba.subarray(y * width * 4, (y + 1) * width * 4), y * (1 + width * 4) + 1)
  }
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', new Uint8Array(deflateSync(raw, { level: 9 }))),
    chunk('IEND', new Uint8Array(0))
  ]
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.byteLength
  }
  return out
}

/** The PNG icons the manifest lists, by path under the app's root. */
export function pngIcons(): Map<string, Uint8Array> {
  const icons = new Map<string, Uint8Array>()
  for (const size of [192, 512]) icons.set(`icons/icon-${size}.png`, encodePng(size, size, drawIcon(size)))
  return icons
}
